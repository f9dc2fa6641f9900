<?php
/**
 * The queue conformance suite: pins, one test each, every Action Scheduler behaviour Sluice's gate relies on
 * (listed in ActionSchedulerQueue.php), with real queue runs, against whichever Action Scheduler the test site loaded (Composer's,
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
use PHPUnit\Framework\TestCase;
use RuntimeException;
use Sluice\Support\Process;

final class QueueConformanceTest extends TestCase
{
    private const HOOK = 'sluice_conformance_job';
    private const GROUP = 'sluice-conformance';
    /** Priority of the suite's own knob filters: after whatever the test site sets. */
    private const LAST = PHP_INT_MAX;

    /** @var list<array{0: string, 1: mixed}> [event, action id or payload] in the order they happened */
    private array $events = [];

    /** @var list<array{0: string, 1: callable, 2: int}> listeners to remove after the test */
    private array $listeners = [];

    /** @var list<list<mixed>> positional args each run of HOOK received */
    private array $calls = [];

    /** @var list<string> temporary files */
    private array $files = [];

    public static function setUpBeforeClass(): void
    {
        fwrite(STDERR, "queue conformance: Action Scheduler " . \sluice_test_action_scheduler_which() . "\n");
    }

    protected function setUp(): void
    {
        global $wpdb;
        foreach (['actionscheduler_actions', 'actionscheduler_logs', 'actionscheduler_claims'] as $table) {
            $wpdb->query("TRUNCATE TABLE {$wpdb->prefix}{$table}");
        }
        // Action Scheduler's own batch sizes: other suites tune the queue through the Data Machine
        // fixture's settings (one action a claim), and several tests here need two actions in one claim.
        delete_option('datamachine_settings');
        foreach (['before_execute' => 2, 'execution_ignored' => 2, 'begin_execute' => 2, 'after_execute' => 3,
                  'failed_execution' => 3, 'failed_validation' => 3, 'canceled_action' => 1, 'failed_action' => 2,
                  'unexpected_shutdown' => 2, 'completed_action' => 1] as $event => $accepted) {
            $this->listen("action_scheduler_{$event}", function (...$args) use ($event): void {
                $this->events[] = [$event, $args];
            }, 1, $accepted);
        }
        $this->listen(self::HOOK, function (...$args): void {
            $this->calls[] = $args;
            $this->events[] = ['callback', $args];
        }, 10, 10);
    }

    protected function tearDown(): void
    {
        foreach ($this->listeners as [$hook, $callback, $priority]) {
            remove_filter($hook, $callback, $priority);
        }
        foreach ($this->files as $file) {
            @unlink($file);
        }
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

        $runs = $this->runProcesses(2, ['SLUICE_CONFORMANCE_BATCH_SIZE' => '5', 'SLUICE_CONFORMANCE_CONCURRENT_BATCHES' => '5',
                                        'SLUICE_CONFORMANCE_SLEEP_US' => '2000']);

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
        fwrite(STDERR, sprintf("queue conformance: %d actions, runner split %s\n", $count, implode('/', $perRunner)));
        self::assertCount(2, $perRunner, 'both runners worked');
        self::assertSame(array_fill_keys(array_map('strval', range(1, $count)), 1), $this->sortedByKey($ran), 'every callback exactly once');
        self::assertSame(array_fill_keys(array_map('strval', $ids), 1), $this->sortedByKey($begun), 'every action started exactly once');
        self::assertSame(['complete' => $count], $this->statusCounts('sluice_conformance_count'));
    }

    // ---------------------------------------------------------------- helpers

    /** True while Action Scheduler serves through its hybrid store (its migration is not complete). */
    private static function hybrid(): bool
    {
        return ActionScheduler::store() instanceof \ActionScheduler_HybridStore;
    }

    private function listen(string $hook, callable $callback, int $priority = 10, int $accepted = 1): void
    {
        add_filter($hook, $callback, $priority, $accepted);
        $this->listeners[] = [$hook, $callback, $priority];
    }

    private function schedule(array $args, ?int $when = null, int $priority = 10): int
    {
        $id = (int) as_schedule_single_action($when ?? time() - 1, self::HOOK, $args, self::GROUP, false, $priority);
        self::assertGreaterThan(0, $id);
        return $id;
    }

    /** One in-process queue run, with a fresh runner (see the class comment). */
    private function runQueue(): int
    {
        return (new ActionScheduler_QueueRunner())->run('WP CLI');
    }

    /** @return array<string, string|null> */
    private function row(int $id): array
    {
        global $wpdb;
        return (array) $wpdb->get_row($wpdb->prepare("SELECT * FROM {$wpdb->prefix}actionscheduler_actions WHERE action_id = %d", $id), ARRAY_A);
    }

    /** @return list<string> log messages, oldest first */
    private function logs(int $id): array
    {
        global $wpdb;
        return $wpdb->get_col($wpdb->prepare("SELECT message FROM {$wpdb->prefix}actionscheduler_logs WHERE action_id = %d ORDER BY log_id", $id));
    }

    private function countRows(): int
    {
        global $wpdb;
        return (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}actionscheduler_actions");
    }

    /** @return array<string, int> status => count for one hook */
    private function statusCounts(string $hook = self::HOOK): array
    {
        global $wpdb;
        $out = [];
        foreach ($wpdb->get_results($wpdb->prepare("SELECT status, COUNT(*) AS n FROM {$wpdb->prefix}actionscheduler_actions WHERE hook = %s GROUP BY status ORDER BY status", $hook)) as $row) {
            $out[$row->status] = (int) $row->n;
        }
        return $out;
    }

    /** @return list<int> pending ids of HOOK */
    private function pendingIds(): array
    {
        global $wpdb;
        return array_map('intval', $wpdb->get_col($wpdb->prepare("SELECT action_id FROM {$wpdb->prefix}actionscheduler_actions WHERE hook = %s AND status = 'pending' ORDER BY action_id", self::HOOK)));
    }

    /** The events about one action, by name; the callback counts as the current action's. */
    private function eventNames(int $id): array
    {
        $names = [];
        $current = null;
        foreach ($this->events as [$event, $args]) {
            if ($event === 'callback') {
                if ($current === $id) {
                    $names[] = 'callback';
                }
                continue;
            }
            if ($event === 'before_execute') {
                $current = (int) $args[0];
            }
            if ((int) $args[0] === $id) {
                $names[] = $event;
            }
        }
        return $names;
    }

    /** @return list<list<mixed>> the args of each $event (for one id when given) */
    private function eventsNamed(string $event, ?int $id = null): array
    {
        $out = [];
        foreach ($this->events as [$name, $args]) {
            if ($name === $event && ($id === null || (int) $args[0] === $id)) {
                $out[] = $args;
            }
        }
        return $out;
    }

    /** @return list<mixed> the args of the one $event for $id */
    private function eventArgs(string $event, int $id): array
    {
        $found = $this->eventsNamed($event, $id);
        self::assertCount(1, $found, "one {$event} for action {$id}");
        return $found[0];
    }

    private function sortedByKey(array $counts): array
    {
        ksort($counts, SORT_NATURAL);
        return $counts;
    }

    /**
     * Runs $count bin/queue-runner.php processes at once (they wait on a barrier so they claim together).
     *
     * @param array<string, string> $env
     * @return list<array{0: int, 1: string, 2: list<array{0: string, 1: string, 2: string}>}> exit code, output, events
     */
    private function runProcesses(int $count, array $env = []): array
    {
        $barrier = $this->tempFile('barrier');
        @unlink($barrier);
        $procs = [];
        for ($i = 0; $i < $count; $i++) {
            $events = $this->tempFile('events');
            $output = $this->tempFile('output');
            $vars = $env + ['SLUICE_CONFORMANCE_EVENTS' => $events, 'SLUICE_CONFORMANCE_BARRIER' => $barrier];
            $command = 'exec ' . escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg(__DIR__ . '/bin/queue-runner.php') . ' ' . escapeshellarg('WP CLI');
            $procs[] = [Process::logged($command, $output, $vars), $output, $events];
        }
        $deadline = microtime(true) + 60;
        while (count(glob($barrier . '.ready.*')) < $count && microtime(true) < $deadline) {
            usleep(10000);
        }
        foreach (glob($barrier . '.ready.*') as $ready) {
            $this->files[] = $ready;
        }
        touch($barrier);

        $results = [];
        foreach ($procs as [$process, $output, $events]) {
            $ended = $process->wait(max(1.0, $deadline + 60 - microtime(true)));
            $code = $ended->signal !== null ? 128 + $ended->signal : $ended->exitCode;
            $lines = array_filter(explode("\n", (string) file_get_contents($events)));
            $results[] = [$code, (string) file_get_contents($output), array_map(static fn ($line) => explode(' ', $line, 3), array_values($lines))];
        }
        foreach ($results as [, $output]) {
            self::assertStringContainsString('Action Scheduler: ' . \sluice_test_action_scheduler_which(), $output, 'the runner loaded the same Action Scheduler');
        }
        return $results;
    }

    /** The events about one action in a runner's log; "ran <n>" lines count by the callback's tag. */
    private function processEvents(array $events, string $id, string $tag): array
    {
        return array_values(array_filter($events, static fn ($e) => ($e[1] === 'ran' && $e[2] === $tag) || ($e[1] !== 'ran' && $e[2] === $id)));
    }

    private function tempFile(string $what): string
    {
        $file = tempnam(sys_get_temp_dir(), "sluice-conformance-{$what}-");
        $this->files[] = $file;
        return $file;
    }
}
