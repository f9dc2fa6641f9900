<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

/**
 * Data Machine issue #1820 in small: three flows start together against a
 * provider that saturates above one request in flight. Without Sluice
 * (Data Machine's own limiter at its default of 3) AI requests pile up, stall
 * into cURL 28 and jobs fail after their retries; with Sluice every item is
 * processed and the provider never serves more than the limit.
 */
final class BurnInTest extends GateTestCase
{
    private const FLOWS = 3;
    private const ITEMS = 3;

    private function burnIn(): float
    {
        Site::configure([], ['request_timeout' => 2, 'retry_base_delay' => 1, 'max_attempts' => 2]);
        Provider::reset(latencyMs: 800, saturateAbove: 1);
        for ($flow = 1; $flow <= self::FLOWS; $flow++) {
            datamachine_fixture_start_flow("b$flow", self::ITEMS);
        }
        // Three CLI runners and WP-Cron through PHP-FPM every second, side by side.
        return Runner::until(static fn () => Site::unfinishedJobs() === 0, 3, 120, 'WP CLI', true);
    }

    private static function failedJobs(): int
    {
        return array_sum(array_filter(Site::jobStatuses(), static fn ($n, $status) => str_starts_with((string) $status, 'failed'), ARRAY_FILTER_USE_BOTH));
    }

    public function testWithoutSluiceTheStampedeFailsJobsOnCurl28(): void
    {
        self::sluice(['enabled' => false]);
        $this->burnIn();
        self::assertGreaterThan(0, self::failedJobs(), 'the same run without Sluice reproduces the failures');
        self::assertGreaterThan(0, Provider::stats()['stalled'], 'requests stalled into cURL 28');
        self::assertLessThan(self::FLOWS * self::ITEMS, Site::processedItems());
    }

    public function testWithSluiceEveryItemIsProcessedAndNothingFails(): void
    {
        global $wpdb;
        self::sluice(['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 2]);
        $took = $this->burnIn();
        $stats = Provider::stats();
        self::assertSame(0, self::failedJobs(), 'no job failed');
        self::assertSame(self::FLOWS * self::ITEMS, Site::processedItems(), 'every item processed');
        self::assertSame(0, $stats['stalled'], 'no request stalled');
        self::assertSame(1, $stats['max_served_in_flight'], 'the provider served one at a time');
        self::assertGreaterThan(0, count(Site::deferrals()));
        $viaCron = (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}actionscheduler_logs WHERE message LIKE 'action complete via WP Cron%'");
        self::assertGreaterThan(0, $viaCron, 'WP-Cron through PHP-FPM ran some of the steps');
        fwrite(STDERR, sprintf("burn-in with Sluice: %d items in %.1f s (ideal %.1f s), %d deferrals\n",
            self::FLOWS * self::ITEMS, $took, self::FLOWS * self::ITEMS * 0.8, count(Site::deferrals())));
    }
}
