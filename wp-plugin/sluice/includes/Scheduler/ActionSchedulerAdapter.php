<?php
/**
 * The only code that calls Action Scheduler. What its contract demands of a
 * gate, as Action Scheduler 3.9.3's runner and DB store behave (the queue
 * conformance suite, php-tests/wp/Conformance, pins each point), is kept here:
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

namespace SluiceWP\Scheduler;

use SluiceWP\Gate\Scheduler;
use SluiceWP\Gate\ScheduledAction;

defined('ABSPATH') || exit;

final class ActionSchedulerAdapter implements Scheduler
{
    /** True when Action Scheduler is loaded and has initialised its store. */
    public static function isAvailable(): bool
    {
        return class_exists(\ActionScheduler::class, false) && function_exists('as_schedule_single_action');
    }

    /** @var array<int, ScheduledAction|null> the actions of the claim in progress, read at once (null: not pending then) */
    private array $claimed = [];
    /** The action whose row the last claim read fetched in this very call (its status is fresh). */
    private int $freshlyRead = 0;

    /**
     * The action as the runner's claim holds it (hook, args, group,
     * priority, whether it repeats), or null when it is missing or was not
     * pending. On the DB store the claim's actions are read in one query the
     * first time one of them runs, so an action that is not AI work costs
     * nothing more after that; elsewhere it is read on its own.
     */
    public function claimedAction(int $id): ?ScheduledAction
    {
        $this->freshlyRead = 0;
        if (!array_key_exists($id, $this->claimed)) {
            $this->claimed = self::store() instanceof \ActionScheduler_DBStore ? $this->readClaimOf($id) : [$id => $this->pendingAction($id)];
            $this->freshlyRead = $id;
        }
        $action = $this->claimed[$id] ?? null;
        unset($this->claimed[$id]);
        return $action;
    }

    /** True when the action is pending now (read again, unless claimedAction() read it in this very call). */
    public function isStillPending(int $id): bool
    {
        if ($this->freshlyRead === $id) {
            $this->freshlyRead = 0;
            return true;
        }
        return $this->status($id) === \ActionScheduler_Store::STATUS_PENDING;
    }

    /**
     * The action and every other action of its claim, in one query: a
     * runner runs its claim's actions one after another, each through the gate.
     *
     * @return array<int, ScheduledAction|null>
     */
    private function readClaimOf(int $id): array
    {
        global $wpdb;
        $actions = $wpdb->prefix . 'actionscheduler_actions';
        $groups = $wpdb->prefix . 'actionscheduler_groups';
        $rows = $wpdb->get_results($wpdb->prepare(
            "SELECT a.action_id, a.hook, a.status, a.args, a.extended_args, a.schedule, a.priority, g.slug AS action_group
             FROM {$actions} a LEFT JOIN {$groups} g ON g.group_id = a.group_id
             WHERE a.action_id = %d OR (a.claim_id <> 0 AND a.claim_id = (SELECT c.claim_id FROM {$actions} c WHERE c.action_id = %d))",
            $id,
            $id,
        ), ARRAY_A);
        // The others are kept only while pending: an action that was not may come back pending in a later claim.
        $claim = [];
        foreach (is_array($rows) ? $rows : [] as $row) {
            $action = self::fromRow($row);
            if ($action !== null || (int) $row['action_id'] === $id) {
                $claim[(int) $row['action_id']] = $action;
            }
        }
        return $claim + [$id => null];
    }

    /**
     * A row of Action Scheduler's actions table as the gate sees it (null when
     * not pending, or when Action Scheduler itself could not read it back).
     *
     * @param array<string, mixed> $row
     */
    private static function fromRow(array $row): ?ScheduledAction
    {
        if ((string) $row['status'] !== \ActionScheduler_Store::STATUS_PENDING) {
            return null;
        }
        $args = json_decode((string) (!empty($row['extended_args']) ? $row['extended_args'] : $row['args']), true);
        $schedule = @unserialize((string) $row['schedule']); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions
        if (!is_array($args) || ($schedule !== false && !$schedule instanceof \ActionScheduler_Schedule)) {
            return null;
        }
        return new ScheduledAction(
            (int) $row['action_id'],
            (string) $row['hook'],
            $args,
            (string) ($row['action_group'] ?? ''),
            (int) $row['priority'],
            $schedule instanceof \ActionScheduler_Schedule && $schedule->is_recurring(),
        );
    }

    /** The action if it is pending now (read on its own); else null. */
    public function pendingAction(int $id): ?ScheduledAction
    {
        return $this->status($id) === \ActionScheduler_Store::STATUS_PENDING ? $this->action($id) : null;
    }

    public function action(int $id): ?ScheduledAction
    {
        $action = self::store()->fetch_action((string) $id);
        if ($action instanceof \ActionScheduler_NullAction) {
            return null;
        }
        $schedule = $action->get_schedule();
        return new ScheduledAction(
            $id,
            $action->get_hook(),
            $action->get_args(),
            (string) $action->get_group(),
            method_exists($action, 'get_priority') ? (int) $action->get_priority() : 10,
            $schedule !== null && $schedule->is_recurring(),
            $schedule instanceof \ActionScheduler_Abstract_Schedule ? $schedule->get_date()?->getTimestamp() : null,
        );
    }

    public function scheduleCopy(ScheduledAction $action, int $delaySeconds): int
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
        self::store()->cancel_action((string) $id);
    }

    /**
     * Action Scheduler has no API that moves a pending action's date (its
     * maintainers advise cancel + reschedule, which can run a copy twice if a
     * runner already claimed it). Where the store keeps its actions in its
     * table (the DB store, and the hybrid store of the migration window), one
     * guarded UPDATE does it (ActionsTable::pullForward). Any other store
     * keeps the timed delay (false).
     */
    public function pullForward(int $id): bool
    {
        return ActionsTable::of(self::store())?->pullForward($id) ?? false;
    }

    public function isGone(int $id): bool
    {
        $status = $this->status($id);
        return $status === null || in_array($status, [
            \ActionScheduler_Store::STATUS_COMPLETE,
            \ActionScheduler_Store::STATUS_FAILED,
            \ActionScheduler_Store::STATUS_CANCELED,
        ], true);
    }

    /**
     * One guarded UPDATE (ActionsTable::failIfInProgress), never the store's
     * mark_failure: that one is unconditional (it would overwrite an action
     * that completed meanwhile) and throws when it changes no row (an action
     * Action Scheduler's cleaner failed meanwhile). On a store without the
     * table nothing is marked (false): the action is left to the store.
     */
    public function failInProgress(int $id, string $message): bool
    {
        $table = ActionsTable::of(self::store());
        if ($table === null || !$table->failIfInProgress($id)) {
            return false;
        }
        \ActionScheduler_Logger::instance()->log((string) $id, $message);
        return true;
    }

    public function hasFailed(int $id): bool
    {
        return $this->status($id) === \ActionScheduler_Store::STATUS_FAILED;
    }

    /** On a store without the actions table nothing is found (0): failInProgress() marks nothing there either. */
    public function copyOf(int $id): int
    {
        return ActionsTable::of(self::store())?->copyOf($id) ?? 0;
    }

    /** The action's status, or null when it is missing (the DB store throws; the hybrid store returns null). */
    private function status(int $id): ?string
    {
        try {
            $status = self::store()->get_status((string) $id);
        } catch (\Throwable) {
            return null;
        }
        return is_string($status) ? $status : null;
    }

    private static function store(): \ActionScheduler_Store
    {
        /** @var \ActionScheduler_Store $store (the stubs leave store() untyped; it returns ActionScheduler_Store::instance()) */
        $store = \ActionScheduler::store();
        return $store;
    }

    /**
     * Which store Action Scheduler serves from, for Site Health: "db" (its DB
     * store: wakes move a deferred copy forward), "hybrid" (the window before
     * its migration completes, after any plugin deactivation: wakes work
     * there too), "other" (a custom store: deferred copies wait on their
     * timer), "" without Action Scheduler.
     */
    public static function storeKind(): string
    {
        if (!self::isAvailable()) {
            return '';
        }
        $store = \ActionScheduler::store();
        return match (true) {
            $store instanceof \ActionScheduler_HybridStore => 'hybrid',
            $store instanceof \ActionScheduler_DBStore => 'db',
            default => 'other',
        };
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
