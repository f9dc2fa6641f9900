<?php
/**
 * The Action Scheduler conformance suite: pins, one test each, every Action Scheduler behaviour Sluice's gate relies on
 * (listed in ActionSchedulerAdapter.php), with real queue runs, against whichever Action Scheduler the test site loaded (Composer's,
 * SLUICE_ACTION_SCHEDULER_DIR's, or the test-only stand-in; the suite prints which). It must pass against the
 * real Action Scheduler 3.9.3 and against the stand-in alike: a difference is a bug in the stand-in.
 *
 * In-process runs use a fresh ActionScheduler_QueueRunner, as a new runner process would have: the singleton's
 * 30 s budget counts from when this PHPUnit process loaded WordPress, and once it is spent the batch loop
 * stops after one action. Behaviour that needs processes of its own (exit, a fatal error, two runners at once)
 * runs bin/queue-runner.php.
 */

declare(strict_types=1);

namespace Sluice\WpTests\Conformance;

use ActionScheduler;
use ActionScheduler_QueueRunner;
use ActionScheduler_Store;
use Exception;
use InvalidArgumentException;
use RuntimeException;

/** @group action-scheduler-hybrid */
final class SchedulerConformanceTest extends ConformanceTestCase
{
    public static function setUpBeforeClass(): void
    {
        fwrite(STDERR, "scheduler conformance: Action Scheduler " . \sluice_test_action_scheduler_which() . "\n");
    }

    // ---------------------------------------------------------------- which AS, wiring

    public function testTheLoadedActionSchedulerIsReportedAndUsesTheStoreOfItsMigrationState(): void
    {
        $which = \sluice_test_action_scheduler_which();
        self::assertMatchesRegularExpression('/^(real \d+\.\d+\.\d+ \(|stand-in \(test-only, reproduces 3\.9\.3\))/', $which);
        self::assertNotEmpty(\ActionScheduler_Versions::instance()->latest_version());
        if (self::hybrid()) {
            self::assertFalse(\ActionScheduler_DataController::is_migration_complete());
            self::assertNotInstanceOf(\ActionScheduler_DBStore::class, ActionScheduler::store(), 'the hybrid store is no DB store');
            self::assertInstanceOf(\ActionScheduler_DBStore::class, \Action_Scheduler\Migration\Controller::instance()->get_migration_config_object()->get_destination_store(), 'it saves new actions in a DB store');
        } else {
            self::assertTrue(\ActionScheduler_DataController::is_migration_complete());
            self::assertInstanceOf(\ActionScheduler_DBStore::class, ActionScheduler::store(), 'get_status semantics are the DB store\'s');
        }
        self::assertTrue(ActionScheduler::is_initialized());
    }

    public function testTheQueueRunsOnWpCronAndOnTheRunQueueAction(): void
    {
        self::assertIsInt(wp_next_scheduled('action_scheduler_run_queue', ['WP Cron']));
        self::assertSame(60, wp_get_schedules()['every_minute']['interval'] ?? null);
        self::assertInstanceOf(ActionScheduler_QueueRunner::class, ActionScheduler::runner());
        self::assertSame(10, has_action('action_scheduler_run_queue', [ActionScheduler::runner(), 'run']));
    }

    // ---------------------------------------------------------------- process_action order

    public function testBeforeExecuteFiresBeforeTheStatusCheckAndTheRunOrderIsFixed(): void
    {
        $id = $this->schedule(['job' => 1]);
        $seen = null;
        $this->listen('action_scheduler_before_execute', function ($actionId) use ($id, &$seen): void {
            if ((int) $actionId === $id) {
                $seen = [ActionScheduler::store()->get_status($actionId), $this->row($id)['attempts']];
            }
        });

        $this->runQueue();

        self::assertSame([ActionScheduler_Store::STATUS_PENDING, '0'], $seen, 'before_execute sees the action still pending, not yet started');
        self::assertSame(['before_execute', 'begin_execute', 'callback', 'after_execute', 'completed_action'], $this->eventNames($id));
        self::assertSame(['complete', '1'], [$this->row($id)['status'], $this->row($id)['attempts']]);
        self::assertSame(['action created', 'action started via WP CLI', 'action complete via WP CLI'], $this->logs($id));
    }

    public function testBeforeExecuteAlsoFiresForAnActionCanceledAfterItWasClaimed(): void
    {
        $first = $this->schedule(['job' => 'first'], time() - 20);
        $second = $this->schedule(['job' => 'second'], time() - 10);
        // The first action's callback cancels the second, which is already in the same claim.
        $this->listen(self::HOOK, static function ($job) use ($second): void {
            if ($job === 'first') {
                ActionScheduler::store()->cancel_action($second);
            }
        }, 20);

        $this->runQueue();

        self::assertSame([['first']], $this->calls);
        self::assertSame(['canceled_action', 'before_execute', 'execution_ignored'], $this->eventNames($second));
        self::assertSame('canceled', $this->row($second)['status']);
        self::assertSame('complete', $this->row($first)['status']);
    }

    public function testCanceledInsideBeforeExecuteIsIgnoredNotFailed(): void
    {
        $id = $this->schedule(['job' => 1]);
        $this->listen('action_scheduler_before_execute', static function ($actionId) use ($id): void {
            if ((int) $actionId === $id) {
                ActionScheduler::store()->cancel_action($actionId);
            }
        });

        $this->runQueue();

        self::assertSame(['before_execute', 'canceled_action', 'execution_ignored'], $this->eventNames($id));
        self::assertSame('WP CLI', $this->eventArgs('execution_ignored', $id)[1]);
        self::assertSame([], $this->calls);
        $row = $this->row($id);
        self::assertSame(['canceled', '0'], [$row['status'], $row['attempts']]);
        self::assertSame(['action created', 'action canceled', 'action ignored via WP CLI'], $this->logs($id));
    }

    public function testAThrowFromABeforeExecuteListenerMarksTheActionFailed(): void
    {
        $id = $this->schedule(['job' => 1]);
        $this->listen('action_scheduler_before_execute', static function ($actionId) use ($id): void {
            if ((int) $actionId === $id) {
                throw new RuntimeException('listener broke');
            }
        });

        $this->runQueue();
        $this->runQueue();

        self::assertSame(['before_execute', 'failed_execution'], $this->eventNames($id), 'failed once, never claimed again');
        self::assertSame([], $this->calls);
        self::assertSame(['failed', '0'], [$this->row($id)['status'], $this->row($id)['attempts']]);
        $error = $this->eventArgs('failed_execution', $id)[1];
        self::assertInstanceOf(Exception::class, $error);
        self::assertSame('listener broke', $error->getMessage());
        self::assertSame(['action created', 'action failed via WP CLI: listener broke'], $this->logs($id));
    }

    public function testAThrowingAfterExecuteListenerFiresBothAfterExecuteAndFailedExecution(): void
    {
        $id = $this->schedule(['job' => 1]);
        $this->listen('action_scheduler_after_execute', static function ($actionId) use ($id): void {
            if ((int) $actionId === $id) {
                throw new RuntimeException('after_execute listener broke');
            }
        }, 20);

        $this->runQueue();

        self::assertSame(['before_execute', 'begin_execute', 'callback', 'after_execute', 'failed_execution'], $this->eventNames($id));
        self::assertSame(['failed', '1'], [$this->row($id)['status'], $this->row($id)['attempts']]);
        self::assertInstanceOf(RuntimeException::class, $this->eventArgs('failed_execution', $id)[1]->getPrevious());
        self::assertSame(['action created', 'action started via WP CLI', 'action complete via WP CLI',
                          'action failed via WP CLI: after_execute listener broke'], $this->logs($id));
    }

    public function testAThrowingCallbackFailsTheActionOnceWithoutRetry(): void
    {
        $id = $this->schedule(['boom']);
        $this->listen(self::HOOK, static function ($what): void {
            if ($what === 'boom') {
                throw new RuntimeException('callback broke');
            }
        }, 20);

        $this->runQueue();
        $this->runQueue();

        self::assertSame(['before_execute', 'begin_execute', 'callback', 'failed_execution'], $this->eventNames($id));
        self::assertSame(['failed', '1'], [$this->row($id)['status'], $this->row($id)['attempts']]);
    }

    // ---------------------------------------------------------------- scheduling a copy

    public function testAUniqueCopyIsRefusedWhileTheOriginalIsPending(): void
    {
        $args = ['job' => 7];
        $original = $this->schedule($args, time() + 300);

        self::assertSame(0, as_schedule_single_action(time() + 60, self::HOOK, $args, self::GROUP, true));
        $otherArgs = as_schedule_single_action(time() + 60, self::HOOK, ['job' => 8], self::GROUP, true);
        if (self::hybrid()) {
            // The hybrid store has no save_unique_action: the factory's fallback looks for a pending action with the same args.
            self::assertGreaterThan($original, $otherArgs, 'other args are accepted');
        } else {
            // The DB store's unique INSERT compares hook and group only: other args are refused too.
            self::assertSame(0, $otherArgs);
        }
        $elsewhere = as_schedule_single_action(time() + 60, self::HOOK, $args, self::GROUP . '-other', true);
        self::assertGreaterThan($original, $elsewhere, 'another group is not refused');
        self::assertSame(self::hybrid() ? 3 : 2, $this->countRows());
    }

    public function testAUniqueActionIsAcceptedOnceNothingIsPendingOrRunning(): void
    {
        $original = $this->schedule(['job' => 1]);
        $this->runQueue();
        self::assertSame('complete', $this->row($original)['status']);

        self::assertGreaterThan($original, as_schedule_single_action(time() + 60, self::HOOK, ['job' => 1], self::GROUP, true));
    }

    public function testANonUniqueIdenticalCopyIsAcceptedAndKeepsThePriority(): void
    {
        $original = $this->schedule(['job_id' => 3, 'flow_step_id' => 'a_1'], time() + 300, 3);
        $action = ActionScheduler::store()->fetch_action((string) $original);

        $copy = as_schedule_single_action(time() + 120, $action->get_hook(), $action->get_args(), $action->get_group(), false, $action->get_priority());

        self::assertGreaterThan($original, $copy);
        $copied = ActionScheduler::store()->fetch_action((string) $copy);
        self::assertSame([self::HOOK, ['job_id' => 3, 'flow_step_id' => 'a_1'], self::GROUP, 3],
            [$copied->get_hook(), $copied->get_args(), $copied->get_group(), $copied->get_priority()]);
        self::assertSame(['pending', '3'], [$this->row($copy)['status'], $this->row($copy)['priority']]);
        self::assertSame($this->row($original)['args'], $this->row($copy)['args']);
        self::assertSame('pending', $this->row($original)['status']);
    }

    public function testThePriorityIsClampedToATinyint(): void
    {
        self::assertSame('255', $this->row($this->schedule([1], null, 300))['priority']);
        self::assertSame('0', $this->row($this->schedule([2], null, -5))['priority']);
        self::assertSame('10', $this->row((int) as_schedule_single_action(time(), self::HOOK, [3]))['priority']);
    }

    public function testClaimsTakePriorityFirstThenDate(): void
    {
        $this->schedule(['old-low'], time() - 60, 10);
        $this->schedule(['new-high'], time() - 5, 5);
        $this->schedule(['mid-low'], time() - 30, 10);
        $this->listen('action_scheduler_queue_runner_batch_size', static fn () => 1, self::LAST);

        $this->runQueue();

        self::assertSame([['new-high'], ['old-low'], ['mid-low']], $this->calls);
    }

    public function testAPreScheduleFilterShortCircuitReturnsZeroOrItsInt(): void
    {
        $this->listen('pre_as_schedule_single_action', $refuse = static fn () => false, self::LAST, 7);
        self::assertSame(0, as_schedule_single_action(time(), self::HOOK, [1], self::GROUP));
        remove_filter('pre_as_schedule_single_action', $refuse, self::LAST);

        $this->listen('pre_as_schedule_single_action', $number = static fn () => 4242, self::LAST, 7);
        self::assertSame(4242, as_schedule_single_action(time(), self::HOOK, [1], self::GROUP));
        remove_filter('pre_as_schedule_single_action', $number, self::LAST);

        self::assertSame(0, $this->countRows());
    }

    public function testArgsAreJsonObjectsComeBackAsArraysAndTheCallbackGetsArrayValues(): void
    {
        $args = ['job_id' => 5, 'meta' => (object) ['a' => 1, 'b' => [true, null]], 'empty' => new \stdClass(), 'list' => [1, 2], 'text' => 'é"'];
        $id = $this->schedule($args);

        self::assertSame(wp_json_encode($args), $this->row($id)['args']);
        $expected = ['job_id' => 5, 'meta' => ['a' => 1, 'b' => [true, null]], 'empty' => [], 'list' => [1, 2], 'text' => 'é"'];
        self::assertSame($expected, ActionScheduler::store()->fetch_action((string) $id)->get_args());

        $this->runQueue();

        self::assertSame([array_values($expected)], $this->calls);
    }

    public function testLongArgsGoToExtendedArgsAndTooLongArgsAreRefusedWithZero(): void
    {
        $long = ['blob' => str_repeat('x', 500)];
        $id = $this->schedule($long);
        $row = $this->row($id);
        self::assertSame(md5(wp_json_encode($long)), $row['args']);
        self::assertSame(wp_json_encode($long), $row['extended_args']);
        self::assertSame($long, ActionScheduler::store()->fetch_action((string) $id)->get_args());

        $logged = ini_set('error_log', '/dev/null'); // AS writes the refusal to the PHP error log
        try {
            self::assertSame(0, as_schedule_single_action(time(), self::HOOK, ['blob' => str_repeat('x', 8001)], self::GROUP));
        } finally {
            ini_set('error_log', (string) $logged);
        }
        self::assertSame(1, $this->countRows());
    }

    // ---------------------------------------------------------------- batch loop

    public function testADueCopyScheduledDuringARunIsClaimedAgainInTheSameRun(): void
    {
        $id = $this->schedule(['job' => 1]);
        // An always-defer gate (up to 3 times): schedule a due identical copy, then cancel the original.
        $deferrals = 0;
        $this->listen('action_scheduler_before_execute', static function ($actionId) use (&$deferrals): void {
            $store = ActionScheduler::store();
            $action = $store->fetch_action((string) $actionId);
            if ($action->get_hook() !== self::HOOK || $store->get_status((string) $actionId) !== 'pending' || $deferrals >= 3) {
                return;
            }
            $deferrals++;
            as_schedule_single_action(time(), $action->get_hook(), $action->get_args(), $action->get_group(), false, $action->get_priority());
            $store->cancel_action((string) $actionId);
        });

        $this->runQueue();

        self::assertSame(3, $deferrals);
        self::assertSame([[1]], $this->calls);
        self::assertSame(['canceled' => 3, 'complete' => 1], $this->statusCounts());
        self::assertSame(4, count($this->eventsNamed('before_execute')), 'the original and its three copies, in one run');
        self::assertSame('canceled', $this->row($id)['status']);
    }

    public function testTheBatchLoopKeepsClaimingBatchesOfTheFilteredSize(): void
    {
        for ($i = 0; $i < 7; $i++) {
            $this->schedule([$i], time() - 10 + $i);
        }
        $claims = 0;
        $this->listen('action_scheduler_queue_runner_batch_size', static function () use (&$claims) {
            $claims++;
            return 3;
        }, self::LAST);

        $processed = $this->runQueue();

        self::assertGreaterThanOrEqual(7, $processed);
        self::assertCount(7, $this->calls);
        self::assertSame(4, $claims, 'batches of 3, 3, 1 and a last empty one');
    }

    public function testARunTakesNoBatchWhileTheConcurrentBatchLimitIsHeld(): void
    {
        $this->listen('action_scheduler_queue_runner_concurrent_batches', static fn () => 1, self::LAST);
        $id = $this->schedule(['held']);
        $held = ActionScheduler::store()->stake_claim(1);
        self::assertSame([$id], $held->get_actions());
        $other = $this->schedule(['other']);

        $first = $this->runQueue();
        ActionScheduler::store()->release_claim($held);
        $second = $this->runQueue();

        self::assertSame(0, $first, 'one claim open, concurrent_batches 1: nothing runs');
        self::assertSame([['held'], ['other']], $this->calls);
        self::assertGreaterThanOrEqual(2, $second);
        self::assertSame('complete', $this->row($other)['status']);
    }

    // ---------------------------------------------------------------- recurring and AS's own actions

    public function testARecurringActionHasARecurringScheduleAndSchedulesItsNextInstance(): void
    {
        $id = (int) as_schedule_recurring_action(time() - 5, 3600, self::HOOK, ['tick'], self::GROUP, false, 7);
        $schedule = ActionScheduler::store()->fetch_action((string) $id)->get_schedule();
        self::assertTrue($schedule->is_recurring());
        self::assertSame(3600, (int) $schedule->get_recurrence());

        $this->runQueue();

        self::assertSame([['tick']], $this->calls);
        $next = $this->pendingIds();
        self::assertCount(1, $next);
        $nextAction = ActionScheduler::store()->fetch_action((string) $next[0]);
        self::assertTrue($nextAction->get_schedule()->is_recurring());
        self::assertSame([['tick'], 7], [$nextAction->get_args(), $nextAction->get_priority()]);
        self::assertGreaterThan(time() + 3000, $nextAction->get_schedule()->get_date()->getTimestamp());
    }

    public function testDeferringARecurringActionByASingleCopyEndsItsSchedule(): void
    {
        $id = (int) as_schedule_recurring_action(time() - 5, 3600, self::HOOK, ['tick'], self::GROUP);
        $copy = 0;
        $this->listen('action_scheduler_before_execute', static function ($actionId) use ($id, &$copy): void {
            if ((int) $actionId !== $id) {
                return;
            }
            $action = ActionScheduler::store()->fetch_action((string) $actionId);
            $copy = (int) as_schedule_single_action(time(), $action->get_hook(), $action->get_args(), $action->get_group(), false, $action->get_priority());
            ActionScheduler::store()->cancel_action((string) $actionId);
        });

        $this->runQueue();

        self::assertGreaterThan(0, $copy);
        self::assertFalse(ActionScheduler::store()->fetch_action((string) $copy)->get_schedule()->is_recurring());
        self::assertSame([['tick']], $this->calls, 'the copy ran once');
        self::assertSame(['canceled', 'complete'], [$this->row($id)['status'], $this->row($copy)['status']]);
        self::assertSame([], $this->pendingIds(), 'no next instance: the schedule ended');
    }

    public function testActionSchedulersOwnActionsPassThroughBeforeExecute(): void
    {
        $hook = 'action_scheduler_run_recurring_actions_schedule_hook';
        // As Action Scheduler schedules it on admin requests.
        $id = (int) as_schedule_recurring_action(time() - 1, DAY_IN_SECONDS, $hook, [], 'ActionScheduler', true, 20);
        $ensured = 0;
        $this->listen('action_scheduler_ensure_recurring_actions', static function () use (&$ensured): void {
            $ensured++;
        });

        $this->runQueue();

        self::assertGreaterThan(0, $id);
        self::assertSame(['before_execute', 'begin_execute', 'after_execute', 'completed_action'], $this->eventNames($id));
        self::assertSame(1, $ensured);
        self::assertSame('complete', $this->row($id)['status']);
        self::assertTrue(as_has_scheduled_action($hook), 'its next instance');
    }

    // ---------------------------------------------------------------- store edges

    public function testGetStatusOfAMissingIdThrowsOnTheDbStoreAndIsNullOnTheHybridStore(): void
    {
        $id = $this->schedule([1]);
        if (self::hybrid()) {
            self::assertNull(ActionScheduler::store()->get_status((string) ($id + 1000)));
            return;
        }
        $this->expectException(InvalidArgumentException::class);
        ActionScheduler::store()->get_status((string) ($id + 1000));
    }

    public function testFetchingAMissingIdGivesTheNullAction(): void
    {
        self::assertInstanceOf(\ActionScheduler_NullAction::class, ActionScheduler::store()->fetch_action('987654'));
    }

    public function testCancelActionOverwritesACompleteActionAndStillFiresTheHook(): void
    {
        $id = $this->schedule([1]);
        $this->runQueue();
        self::assertSame('complete', $this->row($id)['status']);

        ActionScheduler::store()->cancel_action((string) $id);
        ActionScheduler::store()->cancel_action((string) $id); // nothing changes: still fires
        ActionScheduler::store()->cancel_action('987654');     // no such row: no exception

        self::assertSame('canceled', $this->row($id)['status']);
        self::assertCount(2, $this->eventsNamed('canceled_action', $id));
        // The DB store fires the hook for a missing id too; the hybrid store finds no store for it and does nothing.
        self::assertCount(self::hybrid() ? 0 : 1, $this->eventsNamed('canceled_action', 987654));
    }

    public function testTheFailurePeriodMarksAStaleInProgressActionFailed(): void
    {
        global $wpdb;
        $stale = $this->schedule(['stale']);
        $fresh = $this->schedule(['fresh']);
        foreach ([$stale => 301, $fresh => 60] as $id => $age) {
            $when = gmdate('Y-m-d H:i:s', time() - $age);
            $wpdb->query($wpdb->prepare(
                "UPDATE {$wpdb->prefix}actionscheduler_actions SET status = 'in-progress', attempts = 1, last_attempt_gmt = %s, last_attempt_local = %s WHERE action_id = %d",
                $when, $when, $id,
            ));
        }

        $default = null;
        $this->listen('action_scheduler_failure_period', static function ($period) use (&$default) {
            return $default = $period;
        }, -PHP_INT_MAX);
        $this->listen('action_scheduler_failure_period', $longer = static fn () => 3600, self::LAST);
        $this->runQueue();
        self::assertSame('in-progress', $this->row($stale)['status'], 'younger than a raised failure period');
        if (!has_filter('action_scheduler_queue_runner_time_limit')) {
            self::assertSame(300, $default, 'the default failure period: 10 x the 30 s time limit');
        }
        remove_filter('action_scheduler_failure_period', $longer, self::LAST);
        $this->listen('action_scheduler_failure_period', static fn () => 300, self::LAST);

        $this->runQueue();

        self::assertSame(['failed', 'in-progress'], [$this->row($stale)['status'], $this->row($fresh)['status']]);
        self::assertSame([$stale, 300], array_map('intval', $this->eventArgs('failed_action', $stale)));
        self::assertCount(0, $this->eventsNamed('failed_action', $fresh));
        self::assertSame([], $this->calls, 'a failed action is never run');
        self::assertStringStartsWith('action marked as failed after 300 seconds', $this->logs($stale)[1]);
    }

    // ---------------------------------------------------------------- separate runner processes

    public function testExitInsideACallbackLeavesTheActionInProgressWithNoHook(): void
    {
        $id = (int) as_schedule_single_action(time() - 1, 'sluice_conformance_exit', [1], self::GROUP);

        [$code, $output, $events] = $this->runProcesses(1)[0];

        self::assertSame(0, $code, $output);
        self::assertSame(['before_execute', 'begin_execute', 'ran'], array_column($this->processEvents($events, (string) $id, '1'), 1), $output);
        self::assertSame(['in-progress', '1'], [$this->row($id)['status'], $this->row($id)['attempts']]);
        self::assertSame(['action created', 'action started via WP CLI'], $this->logs($id));
    }

    public function testAFatalErrorInACallbackUnderWpCliFiresUnexpectedShutdown(): void
    {
        $id = (int) as_schedule_single_action(time() - 1, 'sluice_conformance_fatal', [1], self::GROUP);

        [$code, $output, $events] = $this->runProcesses(1)[0];

        self::assertSame(255, $code, $output);
        self::assertSame(['before_execute', 'begin_execute', 'ran', 'unexpected_shutdown'], array_column($this->processEvents($events, (string) $id, '1'), 1), $output);
        self::assertSame('failed', $this->row($id)['status']);
        self::assertStringStartsWith('unexpected shutdown: PHP Fatal error Maximum execution time', $this->logs($id)[2] ?? '');
    }

    public function testAWpCronRequestThroughPhpFpmRunsTheQueueInTheWpCronContext(): void
    {
        // A hook every process of the site listens to (Action Scheduler's own).
        $id = (int) as_schedule_single_action(time() - 1, 'action_scheduler_run_recurring_actions_schedule_hook', [], self::GROUP);

        $cron = \Sluice\Support\WordPress\Runner::wpCron();
        self::assertSame(0, $cron->wait(60.0), $cron->output());
        // wp-cron.php answers at once (fastcgi_finish_request) and then runs the events: wait for the action.
        $deadline = microtime(true) + 60;
        while (in_array($this->row($id)['status'], ['pending', 'in-progress'], true) && microtime(true) < $deadline) {
            usleep(50000);
        }

        self::assertSame('complete', $this->row($id)['status'], $cron->output());
        self::assertSame(['action created', 'action started via WP Cron', 'action complete via WP Cron'], $this->logs($id));
    }

    public function testTwoConcurrentRunnersNeverRunTheSameActionTwice(): void
    {
        $count = 200;
        $ids = [];
        for ($n = 1; $n <= $count; $n++) {
            $ids[$n] = (int) as_schedule_single_action(time() - 1, 'sluice_conformance_count', [$n], self::GROUP);
        }

        // Each runner's first action waits until the other has begun one too (SLUICE_CONFORMANCE_MEET): both then
        // hold claims at once whatever the machine's load (a runner started late could otherwise find none left).
        $runs = $this->runProcesses(2, ['SLUICE_CONFORMANCE_BATCH_SIZE' => '5', 'SLUICE_CONFORMANCE_CONCURRENT_BATCHES' => '5',
                                        'SLUICE_CONFORMANCE_SLEEP_US' => '2000', 'SLUICE_CONFORMANCE_MEET' => '2']);

        $ran = [];
        $begun = [];
        $perRunner = [];
        foreach ($runs as [$code, $output, $events]) {
            self::assertSame(0, $code, $output);
            foreach ($events as [$pid, $event, $what]) {
                if ($event === 'ran') {
                    $ran[$what] = ($ran[$what] ?? 0) + 1;
                    $perRunner[$pid] = ($perRunner[$pid] ?? 0) + 1;
                } elseif ($event === 'begin_execute') {
                    $begun[$what] = ($begun[$what] ?? 0) + 1;
                }
            }
        }
        fwrite(STDERR, sprintf("scheduler conformance: %d actions, runner split %s\n", $count, implode('/', $perRunner)));
        self::assertCount(2, $perRunner, 'both runners worked');
        self::assertSame(array_fill_keys(array_map('strval', range(1, $count)), 1), $this->sortedByKey($ran), 'every callback exactly once');
        self::assertSame(array_fill_keys(array_map('strval', $ids), 1), $this->sortedByKey($begun), 'every action started exactly once');
        self::assertSame(['complete' => $count], $this->statusCounts('sluice_conformance_count'));
    }
}
