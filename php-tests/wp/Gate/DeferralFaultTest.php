<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Site;

/**
 * A deferral schedules the copy first, then moves the ticket to it, then
 * cancels the original. If the store fails between the copy and the
 * cancel (Redis restarting, a database error), the original must still be
 * cancelled: run ungated now and again as its copy later, it would run twice.
 * The store here throws when the ticket moves (the test hooks' knob
 * move_ticket_throws).
 */
final class DeferralFaultTest extends GateTestCase
{
    private const EXPECTED = 'could not follow a deferred action to its copy';

    protected function tearDown(): void
    {
        // The one error this test causes on purpose; anything else Sluice logged fails it.
        $others = array_filter(explode("\n", Site::sluiceErrors()), static fn (string $l): bool => trim($l) !== '' && !str_contains($l, self::EXPECTED));
        self::assertSame([], array_values($others), "Sluice's code logged errors on the site");
    }

    public function testAStoreThatFailsAfterTheCopyWasScheduledStillCancelsTheOriginal(): void
    {
        sluice_test_reset_runs();
        self::sluice(['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 1, 'ai_hooks' => ['sluice_test_counted_task']]);
        self::testKnobs(['move_ticket_throws' => true]);
        $holder = self::holdSiteSlot();
        $original = (int) as_schedule_single_action(time() - 1, 'sluice_test_counted_task', [7], 'sluice-fault');
        self::runQueueOnce();
        global $wpdb;
        $runs = static fn (): int => (int) $wpdb->get_var("SELECT COALESCE(SUM(runs), 0) FROM {$wpdb->prefix}counted_task_runs");
        self::assertSame(0, $runs(), 'the original did not run ungated beside its copy');
        self::assertSame(['canceled' => 1, 'pending' => 1], Site::actionStatuses('sluice_test_counted_task'));
        self::assertStringContainsString(self::EXPECTED, Site::sluiceErrors(), 'and it said so');
        self::testKnobs([]);
        (new \SluiceWP\Backend\NativeBackend())->release($holder);
        $wpdb->query("UPDATE {$wpdb->prefix}actionscheduler_actions SET scheduled_date_gmt = UTC_TIMESTAMP() - INTERVAL 1 SECOND, scheduled_date_local = NOW() - INTERVAL 1 SECOND WHERE status = 'pending' AND hook = 'sluice_test_counted_task'");
        self::runQueueOnce();
        self::assertSame(1, $runs(), 'the copy ran, once');
        self::assertSame(['canceled' => 1, 'complete' => 1], Site::actionStatuses('sluice_test_counted_task'));
        self::assertSame('canceled', \ActionScheduler::store()->get_status((string) $original));
    }
}
