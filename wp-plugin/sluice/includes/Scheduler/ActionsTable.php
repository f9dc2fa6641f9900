<?php
/**
 * Guarded writes on Action Scheduler's actions table, for the two stores that
 * keep new actions there: ActionScheduler_DBStore, and the
 * ActionScheduler_HybridStore that serves until Action Scheduler's
 * post-store migration is complete (on a fresh site, and again after any
 * plugin is deactivated: its DataController then deletes the option
 * action_scheduler_migration_status). The hybrid store saves every new action
 * in its destination store, a DB store on the same table, so a copy Sluice
 * scheduled is a row of that table in both.
 *
 * Action Scheduler's own writes (mark_failure, cancel_action) are
 * unconditional UPDATEs by id; each write here names the state it expects in
 * its WHERE and reads the affected rows, so it never overwrites a state some
 * other process has just written.
 */

declare(strict_types=1);

namespace SluiceWP\Scheduler;

defined('ABSPATH') || exit;

final class ActionsTable
{
    private function __construct(private readonly string $table)
    {
    }

    /** The table behind $store, or null for a store that keeps its actions elsewhere (posts, a custom store). */
    public static function of(\ActionScheduler_Store $store): ?self
    {
        global $wpdb;
        if ($store instanceof \ActionScheduler_DBStore) {
            return new self($wpdb->prefix . 'actionscheduler_actions');
        }
        if ($store instanceof \ActionScheduler_HybridStore
            && \Action_Scheduler\Migration\Controller::instance()->get_migration_config_object()->get_destination_store() instanceof \ActionScheduler_DBStore) {
            return new self($wpdb->prefix . 'actionscheduler_actions');
        }
        return null;
    }

    /**
     * Makes a pending copy due now: only a row that is still pending,
     * unclaimed and due later changes, so a claimed copy is never touched and
     * nothing runs twice. True when it is due now (moved, or already due and
     * still waiting for a runner).
     */
    public function pullForward(int $id): bool
    {
        global $wpdb;
        $now = as_get_datetime_object();
        $gmt = $now->format('Y-m-d H:i:s');
        $updated = $wpdb->query($wpdb->prepare(
            "UPDATE {$this->table} SET scheduled_date_gmt = %s, scheduled_date_local = %s, schedule = %s
             WHERE action_id = %d AND status = %s AND claim_id = 0 AND scheduled_date_gmt > %s",
            $gmt,
            current_time('mysql'),
            serialize(new \ActionScheduler_SimpleSchedule($now)),
            $id,
            \ActionScheduler_Store::STATUS_PENDING,
            $gmt,
        ));
        if ($updated === 1) {
            return true;
        }
        return (bool) $wpdb->get_var($wpdb->prepare(
            "SELECT 1 FROM {$this->table} WHERE action_id = %d AND status = %s AND claim_id = 0 AND scheduled_date_gmt <= %s",
            $id,
            \ActionScheduler_Store::STATUS_PENDING,
            $gmt,
        ));
    }

    /**
     * The newest copy of the action stored since it began to run (same hook,
     * args and group, a later id, due no earlier than its last attempt, not
     * cancelled), or 0 when there is none: what a sweep that died after
     * storing a stranded action's copy, before marking the action failed,
     * left behind. A copy that ran already counts too (it carried the work).
     */
    public function copyOf(int $id): int
    {
        global $wpdb;
        return (int) $wpdb->get_var($wpdb->prepare(
            "SELECT c.action_id FROM {$this->table} o JOIN {$this->table} c
               ON c.hook = o.hook AND c.args <=> o.args AND c.extended_args <=> o.extended_args AND c.group_id = o.group_id
             WHERE o.action_id = %d AND c.action_id > o.action_id AND c.status <> %s AND c.scheduled_date_gmt >= o.last_attempt_gmt
             ORDER BY c.action_id DESC LIMIT 1",
            $id,
            \ActionScheduler_Store::STATUS_CANCELED,
        ));
    }

    /**
     * Marks the action failed only while it is still in progress (what
     * ActionScheduler_DBStore::mark_failure writes, with the expected status
     * in the WHERE). False when it was not: completed, failed by Action
     * Scheduler's cleaner, cancelled or deleted meanwhile.
     */
    public function failIfInProgress(int $id): bool
    {
        global $wpdb;
        $updated = $wpdb->query($wpdb->prepare(
            "UPDATE {$this->table} SET status = %s WHERE action_id = %d AND status = %s",
            \ActionScheduler_Store::STATUS_FAILED,
            $id,
            \ActionScheduler_Store::STATUS_RUNNING,
        ));
        if ($updated === false) {
            throw new \RuntimeException("could not mark action $id failed: " . $wpdb->last_error);
        }
        return $updated === 1;
    }
}
