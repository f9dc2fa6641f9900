<?php
/**
 * Store behaviours the gate and its sweep meet, pinned one test each against whichever Action Scheduler the test
 * site loaded, in both of its store states (migrated: ActionScheduler_DBStore; hybrid:
 * ActionScheduler_HybridStore, whose answers differ where noted): the claim order and its tie-breaks, the
 * cleaner's claim time-out, uniqueness against an action in progress, what fetch_action() gives for a cancelled
 * row, and mark_failure() when it changes no row (the reason the sweep never calls it).
 */

declare(strict_types=1);

namespace Sluice\WpTests\Conformance;

use ActionScheduler;
use ActionScheduler_QueueCleaner;
use InvalidArgumentException;

/** @group action-scheduler-hybrid */
final class StoreConformanceTest extends ConformanceTestCase
{
    /** Sets the columns a claim orders by, as rows that ran and were retried would have them. */
    private function setClaimColumns(int $id, int $attempts, string $dateGmt): void
    {
        global $wpdb;
        $wpdb->query($wpdb->prepare(
            "UPDATE {$wpdb->prefix}actionscheduler_actions SET attempts = %d, scheduled_date_gmt = %s, scheduled_date_local = %s WHERE action_id = %d",
            $attempts,
            $dateGmt,
            $dateGmt,
            $id,
        ));
    }

    public function testClaimsOrderByPriorityThenAttemptsThenDateThenId(): void
    {
        $at = static fn (int $ago): string => gmdate('Y-m-d H:i:s', time() - $ago);
        $retried = $this->schedule(['retried'], null, 10);
        $later = $this->schedule(['later'], null, 10);
        $urgent = $this->schedule(['urgent'], null, 5);
        $sameDateHigherId = $this->schedule(['same date, higher id'], null, 10);
        $earlier = $this->schedule(['earlier'], null, 10);
        $this->setClaimColumns($retried, 1, $at(100)); // oldest, but it has run before
        $this->setClaimColumns($later, 0, $at(50));
        $this->setClaimColumns($urgent, 3, $at(10));   // attempts and date do not outrank a lower priority value
        $this->setClaimColumns($sameDateHigherId, 0, $at(50));
        $this->setClaimColumns($earlier, 0, $at(80));

        $store = ActionScheduler::store();
        $claim = $store->stake_claim(10);
        self::assertSame([$urgent, $earlier, $later, $sameDateHigherId, $retried], array_map('intval', $claim->get_actions()));
        $store->release_claim($claim);

        $two = $store->stake_claim(2);
        self::assertSame([$urgent, $earlier], array_map('intval', $two->get_actions()), 'a smaller claim takes the head of that order');
        $store->release_claim($two);
    }

    public function testTheTimeoutPeriodResetsAClaimedPendingActionThatWasNeverStarted(): void
    {
        global $wpdb;
        $stale = $this->schedule(['stale claim']);
        $fresh = $this->schedule(['fresh claim']);
        $claim = ActionScheduler::store()->stake_claim(10);
        self::assertEqualsCanonicalizing([$stale, $fresh], array_map('intval', $claim->get_actions()));
        // A claim stamps last_attempt; the runner that took this one died before it started the action.
        $when = gmdate('Y-m-d H:i:s', time() - 120);
        $wpdb->query($wpdb->prepare("UPDATE {$wpdb->prefix}actionscheduler_actions SET last_attempt_gmt = %s, last_attempt_local = %s WHERE action_id = %d", $when, $when, $stale));
        $this->listen('action_scheduler_timeout_period', static fn () => 60, self::LAST);

        (new ActionScheduler_QueueCleaner())->reset_timeouts();

        self::assertSame('0', $this->row($stale)['claim_id'], 'the stale claim was reset');
        self::assertSame('pending', $this->row($stale)['status']);
        self::assertNotSame('0', $this->row($fresh)['claim_id'], 'a claim younger than the period is left alone');
        self::assertCount(1, $this->eventsNamed('reset_action', $stale));
        self::assertContains('action reset', $this->logs($stale));

        // A negative period turns the reset off.
        $wpdb->query($wpdb->prepare("UPDATE {$wpdb->prefix}actionscheduler_actions SET claim_id = %d WHERE action_id = %d", (int) $claim->get_id(), $stale));
        $this->listen('action_scheduler_timeout_period', static fn () => -1, self::LAST); // runs after the 60 above
        (new ActionScheduler_QueueCleaner())->reset_timeouts();
        self::assertNotSame('0', $this->row($stale)['claim_id'], 'a negative period resets nothing');
    }

    public function testAUniqueActionWhileTheOriginalIsInProgress(): void
    {
        $args = ['job' => 9];
        $original = $this->schedule($args);
        ActionScheduler::store()->log_execution((string) $original);
        self::assertSame('in-progress', $this->row($original)['status']);

        $copy = as_schedule_single_action(time() + 60, self::HOOK, $args, self::GROUP, true);
        if (self::hybrid()) {
            // The hybrid store has no save_unique_action: the factory's fallback only looks for a pending match.
            self::assertGreaterThan($original, $copy, 'the hybrid store accepts it');
        } else {
            self::assertSame(0, $copy, 'the DB store refuses it while the original is in progress');
        }
        ActionScheduler::store()->mark_complete((string) $original);
        if (!self::hybrid()) {
            self::assertGreaterThan($original, as_schedule_single_action(time() + 60, self::HOOK, $args, self::GROUP, true), 'accepted once the original has ended');
        }
    }

    public function testFetchingACancelledRowGivesACancelledActionWithItsHookArgsGroupPriorityAndDate(): void
    {
        $when = time() + 3600;
        $id = $this->schedule(['job' => 5, 'step' => 'ai'], $when, 7);
        ActionScheduler::store()->cancel_action((string) $id);

        $action = ActionScheduler::store()->fetch_action((string) $id);

        self::assertInstanceOf(\ActionScheduler_CanceledAction::class, $action);
        self::assertTrue($action->is_finished());
        self::assertSame([self::HOOK, ['job' => 5, 'step' => 'ai'], self::GROUP, 7], [$action->get_hook(), $action->get_args(), $action->get_group(), $action->get_priority()]);
        self::assertInstanceOf(\ActionScheduler_CanceledSchedule::class, $action->get_schedule());
        self::assertFalse($action->get_schedule()->is_recurring());
        self::assertSame($when, $action->get_schedule()->get_date()?->getTimestamp());
        self::assertSame('canceled', ActionScheduler::store()->get_status((string) $id));
    }

    public function testMarkFailureOverwritesAnyStatusAndThrowsWhenItChangesNoRow(): void
    {
        $complete = $this->schedule(['complete']);
        $this->runQueue();
        self::assertSame('complete', $this->row($complete)['status']);
        ActionScheduler::store()->mark_failure((string) $complete);
        self::assertSame('failed', $this->row($complete)['status'], 'unconditional: a complete action is overwritten');

        try {
            ActionScheduler::store()->mark_failure((string) $complete);
            self::fail('marking an action that is failed already changes no row: expected an exception');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString("Unidentified action $complete", $e->getMessage());
        }

        if (self::hybrid()) {
            ActionScheduler::store()->mark_failure('987654'); // the hybrid store finds no store for a missing id: nothing happens
            self::assertSame(1, $this->countRowsWithStatus('failed'));
            return;
        }
        $this->expectException(InvalidArgumentException::class);
        ActionScheduler::store()->mark_failure('987654');
    }

    private function countRowsWithStatus(string $status): int
    {
        global $wpdb;
        return (int) $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$wpdb->prefix}actionscheduler_actions WHERE status = %s", $status));
    }
}
