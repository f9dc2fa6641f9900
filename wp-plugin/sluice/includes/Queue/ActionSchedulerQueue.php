<?php
/**
 * The only code that calls Action Scheduler. What its contract demands of a
 * gate (RESEARCH.md §2) is kept here:
 * - before_execute fires before AS's own status check, also for an action that
 *   was cancelled or completed after its claim: only a pending action is gated;
 * - get_status() throws for a missing id on the DB store (null on the hybrid
 *   store): both read as "not pending";
 * - a copy is never unique (a unique copy is refused while the original is
 *   pending) and keeps the priority; 0 from as_schedule_single_action means
 *   refused, and it never throws;
 * - the original is cancelled by its exact id, never deleted (deleting inside
 *   before_execute makes an exception escape the whole runner).
 */

declare(strict_types=1);

namespace SluiceWP\Queue;

use SluiceWP\Gate\Queue;
use SluiceWP\Gate\QueuedAction;

final class ActionSchedulerQueue implements Queue
{
    /** True when Action Scheduler is loaded and has initialised its store. */
    public static function isAvailable(): bool
    {
        return class_exists(\ActionScheduler::class, false) && function_exists('as_schedule_single_action');
    }

    public function pendingAction(int $id): ?QueuedAction
    {
        /** @var \ActionScheduler_Store $store (the stubs leave store() untyped; it returns ActionScheduler_Store::instance()) */
        $store = \ActionScheduler::store();
        try {
            $status = $store->get_status((string) $id);
        } catch (\Throwable) {
            return null; // missing (DB store throws)
        }
        if ($status !== \ActionScheduler_Store::STATUS_PENDING) {
            return null;
        }
        $action = $store->fetch_action((string) $id);
        if ($action instanceof \ActionScheduler_NullAction) {
            return null;
        }
        $schedule = $action->get_schedule();
        return new QueuedAction(
            $id,
            $action->get_hook(),
            $action->get_args(),
            (string) $action->get_group(),
            method_exists($action, 'get_priority') ? (int) $action->get_priority() : 10,
            $schedule !== null && $schedule->is_recurring(),
        );
    }

    public function scheduleCopy(QueuedAction $action, int $delaySeconds): int
    {
        return (int) as_schedule_single_action(
            time() + max(0, $delaySeconds),
            $action->hook,
            $action->args,
            $action->group,
            false,
            $action->priority,
        );
    }

    public function cancel(int $id): void
    {
        \ActionScheduler::store()->cancel_action((string) $id);
    }

    /** Which Action Scheduler serves this site, with its version, for status and reports. */
    public static function describe(): string
    {
        if (!self::isAvailable()) {
            return 'none';
        }
        $version = class_exists(\ActionScheduler_Versions::class, false)
            ? (string) \ActionScheduler_Versions::instance()->latest_version()
            : 'unknown';
        return 'Action Scheduler ' . $version;
    }
}
