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

    /** The original's cancel fails after its copy was scheduled: the work must still run once, not now and again as its copy. */
    public function testACancelThatFailsAfterTheCopyWasScheduledDoesNotRunTheWorkTwice(): void
    {
        sluice_test_reset_runs();
        self::sluice(['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 1, 'ai_hooks' => ['sluice_test_counted_task']]);
        self::testKnobs(['cancel_fails' => true]);
        $holder = self::holdSiteSlot();
        as_schedule_single_action(time() - 1, 'sluice_test_counted_task', [8], 'sluice-fault');
        self::runQueueOnce();
        self::testKnobs([]);
        (new \SluiceWP\Backend\NativeBackend())->release($holder);
        global $wpdb;
        $wpdb->query("UPDATE {$wpdb->prefix}actionscheduler_actions SET scheduled_date_gmt = UTC_TIMESTAMP() - INTERVAL 1 SECOND, scheduled_date_local = NOW() - INTERVAL 1 SECOND WHERE status = 'pending' AND hook = 'sluice_test_counted_task'");
        self::runQueueOnce();
        $runs = (int) $wpdb->get_var("SELECT COALESCE(SUM(runs), 0) FROM {$wpdb->prefix}counted_task_runs");
        self::assertSame(1, $runs, 'the work ran once: ' . print_r(Site::actionStatuses('sluice_test_counted_task'), true));
        // Neither row could be cancelled: Action Scheduler failed the original (the gate's throw) and the copy ran.
        self::assertSame(['complete' => 1, 'failed' => 1], Site::actionStatuses('sluice_test_counted_task'));
        self::assertStringContainsString('its copy carries the work', Site::sluiceErrors(), 'and it said so');
        Site::reset(); // the errors logged were the point of this test
    }

    /**
     * Only the original's cancel fails (a lock on its row): its copy is
     * cancelled instead, with its ticket, and the original runs now, as when
     * Action Scheduler refuses a copy. The work runs once, at once.
     */
    public function testACancelThatFailsForTheOriginalAloneCancelsTheCopyAndRunsTheOriginal(): void
    {
        sluice_test_reset_runs();
        self::sluice(['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 1, 'ai_hooks' => ['sluice_test_counted_task']]);
        $holder = self::holdSiteSlot();
        $original = (int) as_schedule_single_action(time() - 1, 'sluice_test_counted_task', [9], 'sluice-fault');
        self::testKnobs(['cancel_fails' => $original]);
        self::runQueueOnce();
        self::testKnobs([]);
        global $wpdb;
        $runs = static fn (): int => (int) $wpdb->get_var("SELECT COALESCE(SUM(runs), 0) FROM {$wpdb->prefix}counted_task_runs");
        self::assertSame(1, $runs(), 'the original ran now: ' . print_r(Site::actionStatuses('sluice_test_counted_task'), true));
        self::assertSame('complete', \ActionScheduler::store()->get_status((string) $original));
        self::assertSame(['canceled' => 1, 'complete' => 1], Site::actionStatuses('sluice_test_counted_task'), 'its copy was cancelled');
        self::assertSame(0, self::keyStatus(self::siteKey())?->queued, 'and left the line');
        self::assertStringContainsString('was cancelled instead and the action runs now', Site::sluiceErrors(), 'and it said so');
        (new \SluiceWP\Backend\NativeBackend())->release($holder);
        $wpdb->query("UPDATE {$wpdb->prefix}actionscheduler_actions SET scheduled_date_gmt = UTC_TIMESTAMP() - INTERVAL 1 SECOND, scheduled_date_local = NOW() - INTERVAL 1 SECOND WHERE status = 'pending' AND hook = 'sluice_test_counted_task'");
        self::runQueueOnce();
        self::assertSame(1, $runs(), 'and nothing ran again');
        Site::reset(); // the errors logged were the point of this test
    }
}
