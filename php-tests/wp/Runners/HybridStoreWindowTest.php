<?php
declare(strict_types=1);

namespace Sluice\WpTests\Runners;

use Sluice\WpTests\Gate\GateTestCase;
use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

/**
 * Action Scheduler serves through ActionScheduler_HybridStore (no DB store
 * subclass) until its post-store migration is complete: on a fresh site, and
 * again after any plugin is deactivated, whose deactivate_plugin makes its
 * DataController delete the option action_scheduler_migration_status. Every
 * new action of that window is a row of the DB store's table all the same,
 * so the waiting line's wakes work in it: a freed slot's next copy is pulled
 * forward, not left to its fallback timer.
 *
 * @group action-scheduler-hybrid
 */
final class HybridStoreWindowTest extends GateTestCase
{
    /** What an operator does any day: a plugin is deactivated. */
    private static function deactivateAPlugin(): void
    {
        require_once ABSPATH . 'wp-admin/includes/plugin.php';
        $plugin = 'akismet/akismet.php';
        if (!is_plugin_active($plugin)) {
            self::assertNull(activate_plugin($plugin, '', false, true));
        }
        deactivate_plugins($plugin);
        wp_cache_delete('alloptions', 'options');
        self::assertFalse(\ActionScheduler_DataController::is_migration_complete(), 'the deactivation deleted the migration status');
    }

    private static function storeOfANewProcess(): string
    {
        $probe = Runner::php('require $loader; echo get_class(ActionScheduler::store()), "\n";', ['loader' => Site::loader()]);
        self::assertSame(0, $probe->wait(), $probe->output());
        return trim($probe->output());
    }

    public function testAfterAPluginIsDeactivatedWakesStillHandEachFreedSlotOnWithinASecond(): void
    {
        self::deactivateAPlugin();
        self::assertSame('ActionScheduler_HybridStore', self::storeOfANewProcess(), 'runners now serve through the hybrid store');

        // A long fallback delay: only a wake can explain a quick hand-off.
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        Provider::reset(latencyMs: 400);
        datamachine_fixture_start_flow('hy', 4);
        Runner::until(static fn () => Site::processedItems() === 4, 3, 45);

        $gaps = Site::handoffGaps();
        self::assertCount(3, $gaps);
        fwrite(STDERR, sprintf("hybrid store window: hand-off max %.0f ms\n", 1000 * max($gaps)));
        self::assertLessThan(1.0, max($gaps), 'every freed slot went to the next copy within a second, not after its 60 s timer');
        self::assertGreaterThanOrEqual(2, self::keyStatus(self::siteKey())->wakesSent);
        self::assertFalse(\ActionScheduler_DataController::is_migration_complete(), 'the window was still open at the end');
        self::assertSame('ActionScheduler_HybridStore', self::storeOfANewProcess());
    }

    public function testTheWakeMovesAPendingCopyOfTheHybridStoreAndNeverAClaimedOne(): void
    {
        self::deactivateAPlugin();
        $check = Runner::php('require $loader;
            $scheduler = new SluiceWP\Scheduler\ActionSchedulerAdapter();
            $later = as_schedule_single_action(time() + 600, "sluice_test_counted_task", [1], "sluice-hybrid");
            $claimed = as_schedule_single_action(time() + 600, "sluice_test_counted_task", [2], "sluice-hybrid");
            global $wpdb;
            $wpdb->query($wpdb->prepare("UPDATE {$wpdb->prefix}actionscheduler_actions SET claim_id = 99 WHERE action_id = %d", $claimed));
            echo json_encode([get_class(ActionScheduler::store()), $scheduler->pullForward($later), $scheduler->pullForward($claimed),
                ActionScheduler::store()->get_status($later), $scheduler->pullForward(987654321)]), "\n";',
            ['loader' => Site::loader()]);
        self::assertSame(0, $check->wait(), $check->output());
        [$store, $moved, $movedClaimed, $status, $missing] = json_decode(trim($check->output()), true);
        self::assertSame('ActionScheduler_HybridStore', $store);
        self::assertTrue($moved, 'a pending, unclaimed copy is pulled forward in the hybrid store');
        self::assertFalse($movedClaimed, 'a claimed one is not');
        self::assertSame('pending', $status);
        self::assertFalse($missing, 'nor a missing id');
        global $wpdb;
        $due = (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}actionscheduler_actions WHERE hook = 'sluice_test_counted_task' AND scheduled_date_gmt <= UTC_TIMESTAMP()");
        self::assertSame(1, $due);
    }
}
