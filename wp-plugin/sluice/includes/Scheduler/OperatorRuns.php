<?php
/**
 * An operator's explicit run of a deferred AI step: the list table's "Run"
 * link (Tools > Scheduled Actions) and `wp action-scheduler action run <id>`
 * call Action Scheduler's process_action() directly, with no claim. The gate
 * treats it like any other run: with a slot free (or reserved for its ticket)
 * the step runs at once; with none, it stays in line (its ticket, and so its
 * place, moves to a new copy) and the operator is told why it did not run,
 * where they look: in place of Action Scheduler's "Successfully executed
 * action" notice, and as a WP-CLI warning.
 */

declare(strict_types=1);

namespace SluiceWP\Scheduler;

use SluiceWP\Gate\ThrottleEvent;

defined('ABSPATH') || exit;

final class OperatorRuns
{
    public const NOTICE_TRANSIENT = 'sluice_operator_run_';

    public function init(): void
    {
        add_action('sluice_action_deferred', [$this, 'onDeferred'], 10, 2);
        add_filter('action_scheduler_admin_notice_html', [$this, 'adminNotice'], 10, 3);
    }

    /** @param array<string, mixed> $context */
    public function onDeferred(array $context, ThrottleEvent $event): void
    {
        $actionId = $event->work->action->id;
        // Every queue runner claims before it runs; an action with no claim was run by hand.
        if ($event->copyId <= 0 || (int) \ActionScheduler::store()->get_claim_id((string) $actionId) !== 0) {
            return;
        }
        $message = self::explain($event);
        set_transient(self::NOTICE_TRANSIENT . $actionId, $message, 300);
        if (defined('WP_CLI') && WP_CLI) {
            \WP_CLI::warning($message);
        }
    }

    /**
     * Action Scheduler's notice after the list table's "Run" says the action
     * was executed; for a deferred one, Sluice's explanation replaces it.
     *
     * @param mixed $html
     * @param mixed $action
     * @param mixed $notification array{action_id, success, error_message, row_action_type}
     * @return mixed
     */
    public function adminNotice($html, $action, $notification)
    {
        if (!is_array($notification) || ($notification['row_action_type'] ?? '') !== 'run') {
            return $html;
        }
        $key = self::NOTICE_TRANSIENT . (int) ($notification['action_id'] ?? 0);
        $message = get_transient($key);
        if (!is_string($message)) {
            return $html;
        }
        delete_transient($key);
        return '<strong>' . esc_html__('Sluice did not run this AI step now.', 'sluice') . '</strong> ' . esc_html($message);
    }

    private static function explain(ThrottleEvent $event): string
    {
        $ahead = $event->ticket?->ahead;
        return sprintf(
            /* translators: 1: action id, 2: hook, 3: the full key, 4: its limit, 5: slots in use, 6: id of the copy that waits, 7: how it will run */
            __('Action %1$d (%2$s) did not run: no AI slot is free on %3$s (limit %4$d, %5$d in use). It waits in line as action %6$d and %7$s.', 'sluice'),
            $event->work->action->id,
            $event->work->action->hook,
            $event->key,
            $event->limit,
            $event->active,
            $event->copyId,
            $ahead !== null
                /* translators: %d: waiting steps ahead of it */
                ? sprintf(_n('runs as soon as a slot is handed to it (%d step ahead of it)', 'runs as soon as a slot is handed to it (%d steps ahead of it)', $ahead, 'sluice'), $ahead)
                /* translators: %d: seconds */
                : sprintf(__('runs again in about %d seconds', 'sluice'), $event->rescheduledForSeconds),
        );
    }
}
