<?php
/**
 * The gate on Action Scheduler's hooks: it decides before Action Scheduler's
 * own status check (action_scheduler_before_execute, priority 1), gives the
 * lease back on every way an action can end, whichever comes first
 * (release is once per action id), and sweeps on every queue run.
 */

declare(strict_types=1);

namespace SluiceWP\Scheduler;

use SluiceWP\Gate\Gate;

defined('ABSPATH') || exit;

final class ActionSchedulerHooks
{
    /** Every end of an action that Action Scheduler announces. */
    public const ACTION_ENDS = [
        'action_scheduler_after_execute',
        'action_scheduler_failed_execution',
        'action_scheduler_execution_ignored',
        'action_scheduler_unexpected_shutdown',
        'action_scheduler_failed_validation',
        'action_scheduler_canceled_corrupted_action',
    ];

    /**
     * @param \Closure(): ?Gate $gate   the gate, built on first use (null: gating is off)
     * @param \Closure(): ?Gate $active the gate if this request built it already (nothing to release otherwise)
     */
    public function __construct(
        private readonly \Closure $gate,
        private readonly \Closure $active,
    ) {
    }

    public function init(): void
    {
        add_action('action_scheduler_before_execute', function ($actionId): void {
            $decision = ($this->gate)()?->beforeExecute((int) $actionId);
            if ($decision !== null) {
                do_action('sluice_gate_decision', $decision->value, (int) $actionId);
            }
        }, 1, 1);
        foreach (self::ACTION_ENDS as $actionEnd) {
            add_action($actionEnd, function ($actionId): void {
                if (($this->active)()?->actionEnded((int) $actionId)) {
                    do_action('sluice_lease_released', (int) $actionId);
                }
            }, 1, 1);
        }
        // The capacity counts a batched store (database, Redis) holds back are written when a queue run ends.
        add_action('action_scheduler_after_process_queue', function (): void {
            ($this->active)()?->queueRunEnded();
        });
        // The sweep on every queue run, so a crashed holder's slot is handed on within seconds.
        add_action('action_scheduler_before_process_queue', function (): void {
            ($this->gate)()?->sweep();
        });
    }
}
