<?php
/**
 * The sweep and the hand-offs for every way Action Scheduler runs actions,
 * beyond the queue run that fires action_scheduler_before_process_queue
 * (ActionSchedulerHooks):
 * - `wp action-scheduler run` (ActionScheduler_WPCLI_QueueRunner), the usual
 *   runner where DISABLE_WP_CRON is set and system cron runs WP-CLI: it runs
 *   the cleaner and stakes its claim in setup(), and fires
 *   before_process_queue only from run(), which it never calls when the claim
 *   is empty. With only such runners, and every remaining action a
 *   future-dated deferred copy, no pass would sweep: a dead holder's slot
 *   would not be handed on and no copy woken until its timer. WP-CLI fires
 *   before_invoke:action-scheduler run on every invocation, before setup():
 *   the sweep runs there, so its wakes are due for that very claim.
 * - Runs without a claim (the list table's "Run" link, `wp action-scheduler
 *   action run <id>`): OperatorRuns tells the operator why a deferred copy did
 *   not run.
 * The async request runner (the loopback of admin requests) runs the queue
 * through action_scheduler_run_queue like WP-Cron: before_process_queue
 * covers it.
 */

declare(strict_types=1);

namespace SluiceWP\Scheduler;

use SluiceWP\Gate\Gate;

defined('ABSPATH') || exit;

final class Runners
{
    /** WP-CLI's hook before each invocation of Action Scheduler's runner command. */
    public const WP_CLI_RUN_HOOK = 'before_invoke:action-scheduler run';

    /** @param \Closure(): ?Gate $gate the gate, built on first use (null: gating is off) */
    public function __construct(private readonly \Closure $gate)
    {
    }

    public function init(): void
    {
        if (defined('WP_CLI') && WP_CLI) {
            \WP_CLI::add_hook(self::WP_CLI_RUN_HOOK, function (): void {
                ($this->gate)()?->sweep();
            });
        }
        (new OperatorRuns())->init();
    }
}
