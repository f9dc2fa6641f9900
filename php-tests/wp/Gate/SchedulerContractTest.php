<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use Sluice\WpTests\Cli\WpCli;
use SluiceWP\Gate\Decision;

/**
 * Each point of Action Scheduler's contract (listed in ActionSchedulerAdapter.php) that the gate
 * must handle, one test each, with real queue runs.
 */
final class SchedulerContractTest extends GateTestCase
{
    private static function scheduleAiStep(int $priority = 10, bool $unique = false): int
    {
        [$jobId] = datamachine_fixture_start_flow('q' . random_int(1, 999999), 1);
        global $wpdb;
        // The job's fetch step is not needed here: its AI step is queued directly.
        $wpdb->query("DELETE FROM {$wpdb->prefix}actionscheduler_actions");
        $engine = datamachine_get_engine_data($jobId);
        $aiStep = (string) array_keys($engine['flow_config'])[1];
        $id = (int) as_schedule_single_action(time(), 'datamachine_execute_step', ['job_id' => $jobId, 'flow_step_id' => $aiStep], 'data-machine', $unique, $priority);
        self::assertGreaterThan(0, $id, 'the AI step was scheduled');
        return $id;
    }

    /** before_execute fires before AS's own status check: an action cancelled after its claim is not gated. */
    public function testAnActionThatIsNoLongerPendingPassesAndTakesNothing(): void
    {
        self::sluice(['site_limit' => 1]);
        $id = self::scheduleAiStep();
        \ActionScheduler::store()->cancel_action((string) $id);
        $acquiredBefore = self::keyStatus(self::siteKey())?->acquired ?? 0;
        self::assertSame(Decision::Pass, \SluiceWP\Plugin::instance()->gate()->beforeExecute($id));
        self::assertSame($acquiredBefore, self::keyStatus(self::siteKey())?->acquired ?? 0, 'no slot was taken');
        self::assertSame(Decision::Pass, \SluiceWP\Plugin::instance()->gate()->beforeExecute(987654321), 'a missing id (get_status throws) passes too');
    }

    /**
     * The copy is identical: hook, args, group, priority, and never unique (a unique copy is refused while the original is pending).
     *
     * @group action-scheduler-hybrid
     */
    public function testTheCopyKeepsPriorityAndIsMadeEvenForAUniqueOriginal(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60]);
        $other = self::holdSiteSlot();
        $original = self::scheduleAiStep(priority: 5, unique: true);
        self::assertGreaterThan(0, $original);
        self::runQueueOnce();
        [$first, $copy] = Site::aiActions();
        self::assertSame((string) $original, (string) $first['action_id']);
        self::assertSame('canceled', $first['status']);
        self::assertSame(['pending', '5', $first['args'], $first['group_id']], [$copy['status'], (string) $copy['priority'], $copy['args'], $copy['group_id']]);
        unset($other);
    }

    /**
     * AS records the deferred original as ignored, not failed: no failed hook, no failure log.
     *
     * @group action-scheduler-hybrid
     */
    public function testTheDeferredOriginalIsIgnoredNotFailed(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60]);
        $other = self::holdSiteSlot();
        $id = self::scheduleAiStep();
        self::runQueueOnce();
        global $wpdb;
        $messages = $wpdb->get_col($wpdb->prepare("SELECT message FROM {$wpdb->prefix}actionscheduler_logs WHERE action_id = %d ORDER BY log_id", $id));
        self::assertContains('action ignored via WP CLI', $messages);
        self::assertEmpty(preg_grep('/failed/', $messages), 'no failure was logged: ' . implode(' | ', $messages));
        self::assertSame([['action' => $id, 'decision' => 'defer']], Site::recorded('sluice_test_decisions'));
        unset($other);
    }

    /**
     * If Action Scheduler refuses the copy (0), the original runs: nothing is lost, the throttle is still logged.
     *
     * @group action-scheduler-hybrid
     */
    public function testWhenTheCopyIsRefusedTheOriginalRuns(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60]);
        $other = self::holdSiteSlot();
        $id = self::scheduleAiStep();
        // Set after scheduling: this process's hook stack may still read as inside before_execute
        // (an earlier in-process queue run threw there, and WordPress does not unwind its filter stack).
        self::testKnobs(['refuse_copies' => true]);
        self::runQueueOnce();
        [$only] = Site::aiActions();
        self::assertSame([(string) $id, 'complete'], [(string) $only['action_id'], $only['status']], 'no copy; the original ran');
        self::assertSame('copy_refused', Site::recorded('sluice_test_decisions')[0]['decision']);
        $events = Site::deferrals();
        self::assertCount(1, $events, 'the throttle is logged: ' . print_r([Site::recorded('sluice_test_decisions'), Site::aiActions()], true));
        self::assertSame('0', $events[0]['copy_action_id']);
        unset($other);
    }

    /** A throwing after_execute listener makes AS fire after_execute AND failed_execution: one release. */
    public function testTheLeaseIsReleasedOnceWhenBothEndHooksFire(): void
    {
        self::sluice(['site_limit' => 1]);
        self::testKnobs(['throw_after_execute' => true]);
        $id = self::scheduleAiStep();
        self::runQueueOnce();
        self::assertSame('failed', Site::aiActions()[0]['status'], 'AS failed it after after_execute');
        self::assertSame([['action' => $id]], Site::recorded('sluice_test_releases'), 'released exactly once');
        self::assertSame(0, self::keyStatus(self::siteKey())->active);
    }

    /** An exception in the gate must not fail the action (AS >= 3.9.3 marks it failed): it runs ungated and the error is logged. */
    public function testAnErrorInTheGateLetsTheActionRun(): void
    {
        self::sluice(['site_limit' => 1]);
        self::testKnobs(['broken_backend' => true]);
        self::scheduleAiStep();
        self::runQueueOnce();
        self::assertSame('complete', Site::aiActions()[0]['status']);
        self::assertSame('backend_error', Site::recorded('sluice_test_decisions')[0]['decision']);
        self::assertStringContainsString('Sluice: error while deciding on action', Site::sluiceErrors());
        // Counted, and shown: health degraded with the last error; the report itself does not fail on the broken store.
        wp_cache_flush();
        self::assertSame(1, get_option('sluice_ungated')['count'] ?? 0, 'the ungated action was counted');
        $report = WpCli::sluice(['report']);
        self::assertSame(0, $report->exitCode, 'the report shows a failing store instead of failing: ' . $report);
        $health = $report->json()['health'];
        self::assertSame('degraded', $health['state']);
        $problems = array_column($health['problems'], 'message', 'code');
        self::assertStringContainsString('1 action(s) ran ungated', $problems['ungated_runs'] ?? '');
        self::assertStringContainsString('the backend is broken', $problems['ungated_runs'] ?? '');
        self::assertStringContainsString('broken', $problems['store_error'] ?? '', 'the store could not be read, and the report says so');
        self::assertStringContainsString('ran ungated because the lease store failed', WpCli::sluice(['status'])->stderr, 'wp sluice status warns');
        Site::reset(); // the logged error was the point of this test
    }

    /** `exit` inside an action: no AS hook fires, the action stays in progress, and request end still frees the slot. */
    public function testExitInsideTheStepStillFreesTheSlot(): void
    {
        self::sluice(['site_limit' => 1]);
        Site::configure([], ['fail_mode' => 'exit']);
        self::scheduleAiStep();
        Runner::cli()->wait();
        self::assertSame('in-progress', Site::aiActions()[0]['status'], 'AS leaves it in progress');
        self::assertSame(0, self::keyStatus(self::siteKey())->active, 'the slot went back at request end');
        self::assertCount(1, Site::recorded('sluice_test_releases'), "released by the gate's request-end hook");
    }

    /** A runner's batch loop re-claims due copies in the same run: the delay keeps it from spinning on its own copies. */
    public function testARunnerDoesNotSpinOnItsOwnCopies(): void
    {
        // The timer alone (no line to wake the copy): what a lost wake or a full line falls back to.
        self::sluice(['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 8, 'waiting_line' => false]);
        $other = self::holdSiteSlot();
        self::scheduleAiStep();
        $start = microtime(true);
        self::runQueueOnce();
        // A spinning runner defers the work once per batch; a copy that waits out its 1 s timer comes back at most
        // once per second of the run (a loaded machine's run may outlast the first timer: that is not a spin).
        $runSeconds = microtime(true) - $start;
        self::assertLessThanOrEqual(1 + (int) floor($runSeconds), count(Site::deferrals()), sprintf('no spin: deferrals in one run of %.1f s', $runSeconds));
        // A second and third deferral of the same work: run the queue whenever the copy is due.
        while (count(Site::deferrals()) < 3 && microtime(true) - $start < 25) {
            usleep(250000);
            self::runQueueOnce();
        }
        $deferrals = array_slice(Site::deferrals(), 0, 3);
        $delays = array_map(static fn (array $e): int => (int) $e['delay_s'], $deferrals);
        $attempts = array_map(static fn (array $e): int => (int) $e['attempt'], $deferrals);
        self::assertSame([1, 2, 3], $attempts, 'Sluice counts its own deferrals of the work');
        $created = array_map(static fn (array $e): int => (int) strtotime($e['created_at'] . ' UTC'), $deferrals);
        foreach ($delays as $i => $delay) {
            // Data Machine's own limiter would have waited 1, 2, 4 s (its throttle delay doubling per deferral).
            self::assertLessThanOrEqual(2 ** $i, $delay, "deferral $i waits no longer than Data Machine's back-off: " . json_encode($delays));
            if ($i > 0) {
                self::assertGreaterThan($delays[$i - 1], $delay, 'each copy that comes back too early waits longer: ' . json_encode($delays));
                // The copy ran only once its timer was out (created_at has whole seconds: at most one less).
                self::assertGreaterThanOrEqual($delays[$i - 1] - 1, $created[$i] - $created[$i - 1], 'a copy never runs before its timer: ' . json_encode([$delays, $created]));
            }
        }
        self::assertLessThan(30, microtime(true) - $start);
        unset($other);
    }

    /** A recurring action would lose its schedule to a single copy: it passes ungated. */
    public function testARecurringAiActionPassesUntouched(): void
    {
        self::sluice(['site_limit' => 1, 'ai_hooks' => ['sluice_test_ai_task']]);
        $other = self::holdSiteSlot();
        as_schedule_recurring_action(time(), 3600, 'sluice_test_ai_task', [], 'sluice-test');
        self::runQueueOnce();
        self::assertCount(1, Site::recorded('sluice_test_ai_task_runs'), 'it ran');
        self::assertSame([], Site::deferrals());
        self::assertTrue(as_has_scheduled_action('sluice_test_ai_task'), 'its schedule goes on');
        unset($other);
    }

    /** Action Scheduler's own hooks pass through before_execute too; they are not AI work. */
    public function testActionSchedulersOwnActionsPass(): void
    {
        self::sluice(['site_limit' => 1]);
        $other = self::holdSiteSlot();
        $id = (int) as_schedule_single_action(time(), 'action_scheduler/migration_hook', [], 'action-scheduler-migration');
        self::assertSame(Decision::Pass, \SluiceWP\Plugin::instance()->gate()->beforeExecute($id));
        unset($other);
    }
}
