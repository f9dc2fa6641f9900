<?php
/**
 * The gate's WordPress hooks besides Action Scheduler's (Scheduler\ActionSchedulerHooks):
 * nothing stays held past the request, each provider request of a running
 * AI step renews its lease and marks the request open, and WP-Cron sweeps
 * every minute (Lifecycle\Cron), so a crashed holder's slot is handed on
 * even when no queue runs.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Lifecycle\Cron;

defined('ABSPATH') || exit;

final class GateHooks
{
    public const SWEEP_HOOK = 'sluice_sweep';

    /**
     * @param \Closure(): ?Gate $gate   the gate, built on first use (null: gating is off)
     * @param \Closure(): ?Gate $active the gate if this request built it already
     */
    public function __construct(
        private readonly \Closure $gate,
        private readonly \Closure $active,
    ) {
    }

    public function init(): void
    {
        add_action('shutdown', function (): void {
            foreach (($this->active)()?->requestEnded() ?? [] as $actionId) {
                do_action('sluice_lease_released', $actionId);
            }
        }, 1);
        add_filter('pre_http_request', function ($preempt, $args) {
            if ($preempt === false) {
                ($this->active)()?->providerRequestStarting((int) ceil((float) ($args['timeout'] ?? 5)));
            }
            return $preempt;
        }, PHP_INT_MAX, 2);
        add_action('http_api_debug', function (): void {
            ($this->active)()?->providerRequestFinished();
        }, 1, 0);
        add_action(self::SWEEP_HOOK, function (): void {
            ($this->gate)()?->sweep();
        });
        Cron::everyMinute(self::SWEEP_HOOK, 60);
    }
}
