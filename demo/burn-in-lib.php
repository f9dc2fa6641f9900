<?php
/**
 * The burn-in: Data Machine's three-flow shape (the fixture: fetch -> ai ->
 * publish, one job per item) run by N concurrent queue runners (CLI, with
 * WP-Cron runs through PHP-FPM joining them every second) against a fake provider that
 * saturates above the limit, once per configuration. Used by
 * demo/burn-in.php (`make demo`, `make bench-burn-in`, `make bench-load`) and
 * bench/gate.php. Runs inside the test site's WordPress (support/WordPress/load.php)
 * and drives it through the support library (Runner, Site, Provider).
 */

declare(strict_types=1);

namespace Sluice\Demo;

use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

final class BurnIn
{
    /** What every phase shares; a phase may override any of it. */
    public const DEFAULTS = [
        'flows' => 3,
        'items' => 4,            // per flow
        'runners' => 4,          // concurrent CLI queue runners
        'latency_ms' => 1000,    // the provider's service time
        'limit' => 1,            // what the provider takes (saturate_above) and Sluice's limit
        'request_timeout' => 3,  // the fixture's AI request timeout (cURL 28 after it)
        'retry_base_delay' => 1, // the fixture's JobRetryPolicy back-off base
        'max_attempts' => 3,
        'throttle_delay' => null,     // Sluice's deferral delays (null: Sluice's defaults, 10 s and 300 s)
        'throttle_delay_max' => null,
        'wp_cron' => true,       // a WP-Cron run through PHP-FPM joins the runners every second (Runner::until)
        'waiting_line' => true,  // Sluice's waiting line (false: deferrals wait on their timer alone)
        'batch_size' => 1,       // Data Machine's queue_tuning: actions per claim; runners + 1 concurrent batches
        'timeout' => 100.0,
        'live' => true,          // a live line every live_every seconds
        'live_every' => 0.5,
        'probe_dir' => null,     // bench/gate-probe.php's samples go there
        'backend' => null,       // Sluice's setting backend (null: its default, auto)
        'sluice_settings' => [], // more of Sluice's settings (provider_limits, adaptive_limit, ...)
        'provider_config' => [], // the fake provider's /__config after its reset (capacity_schedule, over_capacity, outages, ...)
        'fixture_knobs' => [],   // more of the Data Machine fixture's knobs (provider_turn_attempts, ...)
        'on_reset' => null,      // called once the site is clean and configured, before the flows start
    ];

    /**
     * The fixture's provider's protection state (adaptive limit, circuit) in the store the site uses, or null
     * when that store keeps no key records.
     */
    public static function providerState(): ?\SluiceWP\Provider\ProviderState
    {
        $settings = (array) get_option('sluice_settings', []);
        $store = (new \SluiceWP\Backend\BackendChoice((string) ($settings['backend'] ?? 'auto'), 'ungated', 300))->backend();
        if (!$store instanceof \SluiceWP\Backend\RecordStore) {
            return null;
        }
        return (new \SluiceWP\Provider\ProviderStates($store))->read(\SluiceWP\Gate\KeyNames::forBlog()->provider('fake', false))->state;
    }

    /**
     * One configuration, from a clean site to every job finished.
     *
     * @param array<string, mixed> $phase DEFAULTS plus: sluice (bool), dm_limit (int|null: Data Machine's
     *        pipeline_ai_concurrency_limit, null = its default), dm_throttle_delay (int|null), keep_dm_limiter (bool)
     * @return array<string, mixed> the measured figures
     */
    public static function run(string $label, array $phase): array
    {
        $p = $phase + self::DEFAULTS;
        Site::reset();
        Provider::reset((int) $p['latency_ms'], (int) $p['limit']);
        if ($p['provider_config'] !== []) {
            Provider::configure((array) $p['provider_config']);
        }
        $dataMachine = ['queue_tuning' => ['batch_size' => (int) $p['batch_size'], 'concurrent_batches' => (int) $p['runners'] + 1]];
        if (isset($p['dm_limit'])) {
            $dataMachine['pipeline_ai_concurrency_limit'] = (int) $p['dm_limit'];
        }
        if (isset($p['dm_throttle_delay'])) {
            $dataMachine['pipeline_ai_throttle_delay'] = (int) $p['dm_throttle_delay'];
        }
        $sluice = ['enabled' => (bool) $p['sluice']];
        if ($p['sluice']) {
            $sluice += ['site_limit' => (int) $p['limit'], 'waiting_line' => (bool) $p['waiting_line']];
            $sluice += isset($p['backend']) ? ['backend' => (string) $p['backend']] : [];
            $sluice += array_filter(['throttle_delay' => $p['throttle_delay'], 'throttle_delay_max' => $p['throttle_delay_max']], 'is_int');
            $sluice = (array) $p['sluice_settings'] + $sluice;
        }
        Site::configure($dataMachine, [
            'request_timeout' => (float) $p['request_timeout'],
            'retry_base_delay' => (int) $p['retry_base_delay'],
            'max_attempts' => (int) $p['max_attempts'],
        ] + (array) $p['fixture_knobs'], $sluice);
        update_option('sluice_bench_keep_dm_limiter', !empty($p['keep_dm_limiter']), true);
        update_option('sluice_bench_probe_dir', (string) ($p['probe_dir'] ?? ''), true);
        if (is_callable($p['on_reset'])) {
            ($p['on_reset'])();
        }

        $total = (int) $p['flows'] * (int) $p['items'];
        $start = microtime(true);
        for ($f = 1; $f <= (int) $p['flows']; $f++) {
            datamachine_fixture_start_flow((string) $f, (int) $p['items']);
        }
        $lastLive = 0.0;
        $timedOut = null;
        $done = static function () use ($p, $label, $start, $total, &$lastLive): bool {
            $now = microtime(true);
            // Finished: every job completed or failed, or nothing left queued that could move one (stranded jobs).
            $finished = Site::unfinishedJobs() === 0 || self::queuedSteps() === 0;
            if ($p['live'] && ($now - $lastLive >= $p['live_every'] || $finished)) {
                $lastLive = $now;
                fwrite(STDOUT, self::liveLine($label, $now - $start, $total, (bool) $p['sluice'], (bool) $p['waiting_line'], (int) $p['limit'], $p['dm_limit'] ?? 3) . "\n");
            }
            return $finished;
        };
        try {
            $makespan = Runner::until($done, (int) $p['runners'], (float) $p['timeout'], 'WP CLI', (bool) $p['wp_cron']);
        } catch (\RuntimeException $e) {
            $makespan = microtime(true) - $start;
            $timedOut = $e->getMessage();
        }
        $provider = Provider::stats();
        $statuses = Site::jobStatuses();
        $failed = 0;
        foreach ($statuses as $status => $n) {
            $failed += str_starts_with($status, 'failed') ? $n : 0;
        }
        $ideal = $total * ((int) $p['latency_ms'] / 1000) / (int) $p['limit'];
        return [
            'label' => $label,
            'sluice' => (bool) $p['sluice'],
            'limit' => $p['sluice'] ? (int) $p['limit'] : (int) ($p['dm_limit'] ?? 3),
            'provider_limit' => (int) $p['limit'],
            'items' => $total,
            'runners' => (int) $p['runners'],
            'makespan' => $makespan,
            'started_at' => $start,
            'ideal' => $ideal,
            'timed_out' => $timedOut,
            'jobs' => $statuses,
            'completed' => $statuses['completed'] ?? 0,
            'failed' => $failed,
            'unfinished' => Site::unfinishedJobs(),
            'stranded' => self::queuedSteps() === 0 ? Site::unfinishedJobs() : 0,
            'processed' => Site::processedItems(),
            'ai_request_failures' => self::dmLogCount("message IN ('Step failed, retry scheduled', 'Job failed after retries')"),
            'sluice_deferrals' => count(Site::deferrals()),
            'dm_deferrals' => self::dmLogCount("message = 'Pipeline AI step deferred by concurrency limit'"),
            'provider' => $provider,
            'max_in_flight' => (int) $provider['max_served_in_flight'],
            'waiting_line' => (bool) $p['waiting_line'],
            'actions' => Site::actionStatuses('datamachine_execute_step'),
            'handoffs_ms' => self::handoffDelaysMs(Site::aiRuns(), (int) $p['limit']),
            'wakes_sent' => $p['sluice'] ? self::lineNow()['wakes_sent'] : 0,
        ];
    }

    /** Deferrals by whichever limiter acted. */
    public static function deferrals(array $r): int
    {
        return $r['sluice_deferrals'] + $r['dm_deferrals'];
    }

    private static function liveLine(string $label, float $t, int $total, bool $sluice, bool $waitingLine, int $limit, int $dmLimit): string
    {
        $statuses = Site::jobStatuses();
        $failed = 0;
        foreach ($statuses as $status => $n) {
            $failed += str_starts_with($status, 'failed') ? $n : 0;
        }
        $stats = Provider::stats();
        if ($sluice) {
            $line = self::lineNow();
            $slots = sprintf('Sluice slots held %d/%d  ', $line['held'], $limit) . ($waitingLine
                ? sprintf('line: waiting %d, reserved %d, hand-offs %d', $line['waiting'], $line['reserved'], $line['wakes_sent'])
                : 'line off (deferrals wait on their timer)');
            $deferred = count(Site::deferrals());
        } else {
            global $wpdb;
            $rows = (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE 'datamachine\\_pipeline\\_ai\\_lease\\_%'");
            $slots = sprintf('DM option leases %d/%d', $rows, $dmLimit);
            $deferred = self::dmLogCount("message = 'Pipeline AI step deferred by concurrency limit'");
        }
        return sprintf(
            '%-11s %5.1fs  done %3d/%d  failed %2d  deferred %4d  provider in flight %d (stalled %d)  %s',
            $label, $t, $statuses['completed'] ?? 0, $total, $failed, $deferred,
            (int) $stats['served_in_flight'], (int) $stats['stalled_open'], $slots,
        );
    }

    /**
     * The segment's waiting line now, over this site's keys: slots held, tickets waiting (not yet served),
     * slots reserved for a woken ticket, and hand-offs (wakes sent) so far.
     *
     * @return array{held: int, waiting: int, reserved: int, wakes_sent: int}
     */
    public static function lineNow(): array
    {
        $now = ['held' => 0, 'waiting' => 0, 'reserved' => 0, 'wakes_sent' => 0];
        foreach (\Sluice\status() as $key) {
            $now['held'] += (int) $key['active'];
            $now['reserved'] += (int) ($key['reserved'] ?? 0);
            $now['wakes_sent'] += (int) ($key['wakes_sent'] ?? 0);
        }
        foreach (\Sluice\line() as $queue) {
            foreach ($queue['tickets'] as $ticket) {
                $now['waiting'] += ($ticket['state'] ?? 'waiting') === 'waiting' ? 1 : 0;
            }
        }
        return $now;
    }

    /**
     * Hand-off delays (ms) from Site::aiRuns(): for each AI step that had to wait for a slot (the
     * (limit+1)-th to start and later), the time from the end that freed its slot (the (i-limit)-th end,
     * ends in order) to its start. At limit 1: one step's end to the next one's start.
     *
     * @param list<array{started: float, finished: float}> $runs in start order
     * @return list<float>
     */
    public static function handoffDelaysMs(array $runs, int $limit): array
    {
        $ends = array_column($runs, 'finished');
        sort($ends);
        $delays = [];
        foreach (array_values($runs) as $i => $run) {
            if ($i >= $limit) {
                $delays[] = max(0.0, ($run['started'] - $ends[$i - $limit]) * 1000);
            }
        }
        return $delays;
    }

    /** Data Machine's step and resume actions that are pending or running: 0 means no job can move any more. */
    private static function queuedSteps(): int
    {
        global $wpdb;
        return (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}actionscheduler_actions WHERE hook IN ('datamachine_execute_step', 'datamachine_resume_ai_step') AND status IN ('pending', 'in-progress')");
    }

    private static function dmLogCount(string $where): int
    {
        global $wpdb;
        return (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}datamachine_logs WHERE $where");
    }

    /**
     * bench/gate-probe.php's samples of one phase.
     *
     * @return list<array<string, mixed>>
     */
    public static function samples(string $dir): array
    {
        $rows = [];
        foreach (glob($dir . '/samples-*.jsonl') ?: [] as $file) {
            foreach (file($file, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [] as $line) {
                $row = json_decode($line, true);
                if (is_array($row)) {
                    $rows[] = $row;
                }
            }
        }
        return $rows;
    }

    /** An AI step's action: Sluice decided on it, the fixture ran an AI step in it, or it is Data Machine's resume. */
    public static function isAi(array $s): bool
    {
        return in_array($s['decision'], ['admit', 'defer', 'copy_refused'], true) || $s['step'] === 'ai' || $s['hook'] === 'datamachine_resume_ai_step';
    }

    /**
     * Prints a table: a column per entry of $columns (header => what its cells read), a row per
     * [label, cell], where cell(column value) is the text.
     *
     * @param array<string, mixed> $columns
     * @param list<array{0: string, 1: callable(mixed): string}> $rows
     */
    public static function printTable(string $corner, array $columns, array $rows, int $cellWidth = 26): void
    {
        $width = max(strlen($corner), ...array_map(static fn (array $row) => strlen($row[0]), $rows));
        $header = sprintf("%-{$width}s", $corner);
        foreach (array_keys($columns) as $name) {
            $header .= sprintf("  %{$cellWidth}s", $name);
        }
        echo $header, "\n", str_repeat('-', strlen($header)), "\n";
        foreach ($rows as [$label, $cell]) {
            $line = sprintf("%-{$width}s", $label);
            foreach ($columns as $column) {
                $line .= sprintf("  %{$cellWidth}s", $cell($column));
            }
            echo $line, "\n";
        }
    }

    /**
     * The capacity view of the site key after a Sluice run, as `wp sluice capacity --key=site` shows it (the
     * last 1 and 5 minutes; they may hold an earlier mode's run too), and what one more slot would change.
     */
    public static function printCapacity(): void
    {
        $plugin = \SluiceWP\Plugin::instance();
        $collector = new \SluiceWP\Capacity\CapacityCollector($plugin->backends, $plugin->siteStatus());
        $site = \SluiceWP\Gate\KeyNames::forBlog()->site();
        $report = $collector->only($collector->collect(null, [1, 5]), $site);
        if ($report === null || $report->rows === []) {
            echo "capacity view: none (", $report->unavailable ?? 'no counts for the site key', ")\n";
            return;
        }
        $whatIf = $collector->atLimit($report, $report->limitsInForce[$site] + 1);
        $columns = [];
        foreach ($report->rows as $i => $row) {
            $columns["last {$row->windowMin} min"] = [$row, $whatIf->rows[$i]];
        }
        $n = static fn (?float $v, int $d = 2): string => $v === null ? '-' : number_format($v, $d);
        BurnIn::printTable('capacity view of the site key (wp sluice capacity --key=site)', $columns, [
            ['new AI steps per second', static fn ($c) => $n($c[0]->arrivalRate, 3)],
            ['mean hold (s) and its cv', static fn ($c) => $n($c[0]->holdMeanS) . ' (cv ' . $n($c[0]->holdCv) . ')'],
            ['utilisation rho at limit ' . $report->limitsInForce[$site], static fn ($c) => $n($c[0]->rho)],
            ['wait (s): Little / M/G/c / measured', static fn ($c) => $n($c[0]->waitLittleS, 1) . ' / ' . $n($c[0]->waitMgcS, 1) . ' / ' . $n($c[0]->waitMeasuredS, 1)],
            ['headroom (steps per second)', static fn ($c) => $n($c[0]->headroomPerS, 3)],
            ['provider requests per step', static fn ($c) => $n($c[0]->retryAmplification)],
            ['what-if limit ' . $whatIf->whatIfLimit . ': rho, M/G/c wait (s)', static fn ($c) => $n($c[1]->rho) . ', ' . $n($c[1]->waitMgcS, 1)],
        ]);
        foreach ($report->alerts as $alert) {
            echo 'capacity alert: ', \SluiceWP\Capacity\AlertText::of($alert), "\n";
        }
    }

    /**
     * One item's story from the event log, as `wp sluice events --action=<id>` shows it: the first step this run
     * deferred, from its deferral through its wake to its admission and finish (seconds from the run's start).
     */
    public static function printItemStory(float $runStartedAt): void
    {
        global $wpdb;
        $table = \SluiceWP\Log\EventLogSchema::table();
        $first = $wpdb->get_var($wpdb->prepare(
            "SELECT action_id FROM {$table} WHERE event = 'deferred' AND created_at >= %s ORDER BY id LIMIT 1",
            gmdate('Y-m-d H:i:s', (int) $runStartedAt),
        ));
        if ($first === null) {
            echo "item story: no step was deferred in this run\n";
            return;
        }
        $story = (new \SluiceWP\Log\ItemStory())->ofAction((int) $first);
        printf("one item's story (wp sluice events --action=%d): job %s, step %s\n", (int) $first, $story[0]['job_id'] ?? '-', $story[0]['flow_step_id'] ?? '-');
        printf("  %7s  %-9s  %7s  %7s  %8s  %s\n", 's', 'event', 'action', 'copy', 'ms', 'reason (admitted: the keys taken)');
        foreach ($story as $row) {
            $at = isset($row['at_ms']) && (int) $row['at_ms'] > 0 ? (int) $row['at_ms'] / 1000 : (float) strtotime($row['created_at'] . ' UTC');
            printf("  %7.1f  %-9s  %7d  %7s  %8s  %s\n", $at - $runStartedAt, $row['event'], (int) $row['action_id'],
                (int) $row['copy_action_id'] > 0 ? (string) $row['copy_action_id'] : '-',
                (int) ($row['duration_ms'] ?? 0) > 0 ? (string) $row['duration_ms'] : '-', $row['reason'] !== '' ? $row['reason'] : '-');
        }
        echo "  (ms: woken, how long its slot stays reserved for it; admitted, its wait since first deferred; finished, its hold)\n";
    }

    /** @param list<float|int> $xs */
    public static function mean(array $xs): ?float
    {
        return $xs === [] ? null : array_sum($xs) / count($xs);
    }

    /** @param list<float|int> $xs */
    public static function median(array $xs): ?float
    {
        return self::percentile($xs, 50);
    }

    /**
     * The p-th percentile, linear between the closest ranks (p 50 is the median).
     *
     * @param list<float|int> $xs
     */
    public static function percentile(array $xs, float $p): ?float
    {
        if ($xs === []) {
            return null;
        }
        sort($xs);
        $rank = ($p / 100) * (count($xs) - 1);
        $lo = (int) floor($rank);
        $hi = (int) ceil($rank);
        return (float) $xs[$lo] + ($rank - $lo) * ($xs[$hi] - $xs[$lo]);
    }

    /** A fresh, empty folder that queue runners of both users (root CLI, www-data FPM) can write. */
    public static function probeDir(string $name): string
    {
        $dir = sys_get_temp_dir() . '/sluice-bench-probe-' . getmypid() . '-' . $name;
        if (is_dir($dir)) {
            array_map('unlink', glob($dir . '/*') ?: []);
        } else {
            mkdir($dir, 0777, true);
        }
        chmod($dir, 01777);
        return $dir;
    }
}
