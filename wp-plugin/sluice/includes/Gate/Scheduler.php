<?php
/**
 * What the gate needs from the scheduler that runs actions. Action Scheduler is
 * the one implementation (SluiceWP\Scheduler\ActionSchedulerAdapter); everything
 * its contract demands of a gate (when before_execute fires, what a missing
 * id or a unique copy does, why the original is cancelled and not deleted)
 * lives there.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

interface Scheduler
{
    /**
     * The action a runner is about to run, as its claim holds it (hook, args,
     * group, priority, whether it repeats), or null when it is missing or was
     * not pending. Read once per claim where the scheduler can: an action that is
     * not AI work then costs no query of its own.
     */
    public function claimedAction(int $id): ?ScheduledAction;

    /** True when the action is still pending now (a claimed action may have been cancelled or run meanwhile). */
    public function isStillPending(int $id): bool;

    /**
     * Schedules an identical single copy (same hook, args, group, priority;
     * never unique) to run in $delaySeconds. Returns its id, or 0 when the
     * scheduler refused it (the caller then lets the original run).
     */
    public function scheduleCopy(ScheduledAction $action, int $delaySeconds): int;

    /** Cancels the action with exactly this id (the scheduler then ignores it instead of running it). */
    public function cancel(int $id): void;

    /**
     * Makes a scheduled copy due now, only if it is still pending, unclaimed and
     * due later (so it can never run twice). True when it is due now.
     */
    public function pullForward(int $id): bool;

    /** True when the action will never run (missing, completed, failed or cancelled). */
    public function isGone(int $id): bool;

    /** The action in any status (null when missing), e.g. one whose runner died. */
    public function action(int $id): ?ScheduledAction;

    /**
     * The id of a copy of the action stored since it began to run (same hook,
     * args and group; not cancelled; pending or already run), or 0 when there is none.
     */
    public function copyOf(int $id): int;

    /** True when the action's status is failed. */
    public function hasFailed(int $id): bool;

    /** Marks an action failed with a message, only if it is still in progress; true when it was. */
    public function failInProgress(int $id, string $message): bool;
}
