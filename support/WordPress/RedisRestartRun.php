<?php
declare(strict_types=1);

namespace Sluice\Support\WordPress;

/**
 * A burn-in on the Redis backend whose Redis is SIGKILLed and started empty
 * while AI steps hold slots and have requests in flight: flows x items jobs
 * of the fixture pipeline, CLI queue runners and WP-Cron through PHP-FPM, a
 * provider that stalls any request above the limit (into cURL 28). Used by
 * RedisGateTest and bench/backends.php; the caller starts from a clean site
 * (Site::reset()) with a trusted store.
 */
final class RedisRestartRun
{
    /**
     * @return array{took: float, restarted: bool, epoch_changed: bool, max_in_flight: int, stalled: int,
     *               items: int, completed: int, failed: int, processed: int, deferrals: int}
     */
    public static function run(int $flows = 3, int $items = 4, int $limit = 2, int $latencyMs = 1000, int $requestTimeout = 3, int $runners = 4): array
    {
        Site::configure([], ['request_timeout' => $requestTimeout, 'retry_base_delay' => 1, 'max_attempts' => 2],
            ['backend' => 'redis', 'site_limit' => $limit, 'throttle_delay' => 1, 'throttle_delay_max' => 2]);
        // The Redis backend's drain after a restart is Sluice's provider request timeout (filter sluice_request_timeout).
        update_option('sluice_test_knobs', ['request_timeout' => $requestTimeout]);
        Provider::reset($latencyMs, $limit);
        for ($flow = 1; $flow <= $flows; $flow++) {
            datamachine_fixture_start_flow("restart$flow", $items);
        }
        $epoch = static fn () => RedisTestBed::client()->hGet(RedisTestBed::prefix() . 'epoch', 'id');
        $before = $epoch();
        $restarted = false;
        try {
            $took = Runner::until(static function () use (&$restarted, $limit): bool {
                $stats = Provider::stats();
                if (!$restarted && $stats['answered'] >= $limit + 1 && $stats['in_flight'] > 0) {
                    RedisTestBed::crashRestart(); // AI steps hold slots and have requests in flight right now
                    $restarted = true;
                }
                return Site::unfinishedJobs() === 0;
            }, $runners, 180.0, 'WP CLI', true);
        } finally {
            delete_option('sluice_test_knobs');
        }
        $stats = Provider::stats();
        $statuses = Site::jobStatuses();
        return [
            'took' => $took,
            'restarted' => $restarted,
            'epoch_changed' => $epoch() !== $before,
            'max_in_flight' => (int) $stats['max_in_flight'],
            'stalled' => (int) $stats['stalled'],
            'items' => $flows * $items,
            'completed' => $statuses['completed'] ?? 0,
            'failed' => array_sum(array_filter($statuses, static fn ($n, $s) => str_starts_with((string) $s, 'failed'), ARRAY_FILTER_USE_BOTH)),
            'processed' => Site::processedItems(),
            'deferrals' => count(Site::deferrals()),
        ];
    }
}
