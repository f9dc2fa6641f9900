<?php
/**
 * Data Machine, when it is active: its own limiter stands down while Sluice
 * gates (so no step is throttled twice), Sluice's deferrals reach its log,
 * its provider requests are announced to the provider protection, and its
 * retry policy neither counts nor hurries a step that Sluice kept from a
 * provider whose circuit is open; and each of its steps starts from the job's
 * engine data as stored, not from a stale copy in this process's cache.
 */

declare(strict_types=1);

namespace SluiceWP\DataMachine;

use SluiceWP\Backend\BackendChoice;
use SluiceWP\Provider\ProviderProtection;
use SluiceWP\Provider\ProviderRequests;
use SluiceWP\Settings\Config;

defined('ABSPATH') || exit;

final class DataMachineHooks
{
    /**
     * @param \Closure(): ?ProviderProtection $protection the providers' adaptive limits and circuit breakers
     */
    public function __construct(
        private readonly DataMachine $dataMachine,
        private readonly Config $config,
        private readonly BackendChoice $backends,
        private readonly ProviderRequests $requests,
        private readonly \Closure $protection,
    ) {
    }

    public function init(): void
    {
        add_action('plugins_loaded', function (): void {
            if (!$this->dataMachine->isActive()) {
                return;
            }
            if ($this->config->enabled() && $this->backends->backend() !== null) {
                $this->dataMachine->neutraliseOwnLimiter();
            }
            add_action('sluice_action_deferred', [$this->dataMachine, 'logDeferral'], 10, 1);
            $this->freshEngineData();
            $this->providerCalls();
        }, 20);
    }

    /**
     * Data Machine reads a job's engine data (its packet claims among them)
     * through the object cache group `datamachine_engine_data`, and with
     * WordPress's default object cache every process keeps its own copy that
     * no other process clears. A long-lived `wp action-scheduler run` process
     * that read a job before another runner's fetch committed its claim would
     * run the AI step from that claim-less copy (the admitted step or Sluice's
     * deferred copy of it); Data Machine then releases the claim with "Pipeline
     * step omitted claimed packets" and the item can be published again. So
     * the job's cached copy is dropped before Data Machine's own callback
     * (priority 10; the job id is the first argument of both hooks).
     */
    private function freshEngineData(): void
    {
        $forget = static function ($jobId = 0): void {
            if (is_numeric($jobId) && (int) $jobId > 0) {
                wp_cache_delete((int) $jobId, 'datamachine_engine_data');
            }
        };
        add_action('datamachine_execute_step', $forget, 0, 1);
        add_action('datamachine_resume_ai_step', $forget, 0, 1);
    }

    /**
     * Data Machine and its provider calls: it resolves its request timeout
     * right before each provider request, with the call's mode and provider,
     * so that is when Sluice learns which provider the next request calls; a
     * step that failed because Sluice would not call a provider whose circuit
     * is open did not fail at the provider, so Data Machine's retry policy
     * does not count it as an attempt, and its retry waits for the next probe.
     */
    private function providerCalls(): void
    {
        add_filter('datamachine_wp_ai_client_request_timeout', function ($timeout, $mode = '', $provider = '') {
            if (is_string($provider) && $provider !== '') {
                $this->requests->expect($provider, is_string($mode) ? $mode : 'other');
            }
            return $timeout;
        }, PHP_INT_MAX, 3);
        add_filter('datamachine_job_retry_policy', function ($policy, $jobId = 0, $reason = '', $context = []) {
            if (is_array($policy) && is_array($context) && $this->dataMachine->failedOnOpenCircuit($context)) {
                $policy['max_attempts'] = (int) ($policy['max_attempts'] ?? 3) + 1;
            }
            return $policy;
        }, 10, 4);
        add_filter('datamachine_job_retry_throttle_delay', function ($delay, $policy = [], $attempt = 0, $context = []) {
            $provider = is_array($policy) ? sanitize_key((string) ($policy['provider'] ?? '')) : '';
            $open = $provider !== '' ? ($this->protection)()?->circuitOpen($provider) : null;
            return $open !== null ? max((int) $delay, (int) ceil($open->secondsToProbe) + 1) : $delay;
        }, 10, 4);
    }
}
