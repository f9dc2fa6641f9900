<?php
/**
 * Every AI call this process makes to a provider, on WordPress's HTTP API
 * (ProviderHooks): before the request and after its answer.
 *
 * - The running AI step's own call (a queued action the gate admitted): if
 *   the step gave its slot back while it slept in the provider's backoff, it
 *   takes it again first (Gate::retakeAfterBackoff()); if it cannot, or the
 *   provider's circuit is open, the request fails at once, as a provider
 *   failure would, without reaching the provider.
 * - Any other call (chat in wp-admin, REST, other plugins through WordPress's
 *   AI client, Data Machine's system tasks, image generation, a step's call to
 *   another provider): it takes the provider's key (and its mode's key when
 *   the mode has a limit) with a bounded wait (setting direct_call_wait,
 *   default 15 s) and gives it back when the answer is in; when the wait runs
 *   out, or the circuit is open, the request fails fast with a clear error.
 *   Modes that are exempt (setting exempt_modes, filter sluice_exempt_ai_call)
 *   take nothing.
 *
 * Every answer (and every transport failure) is counted as a signal for the
 * provider's adaptive limit and circuit breaker (ProviderProtection::record()).
 * A refusal of Sluice's own never reaches the provider and is not counted.
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\WaitingLine;
use SluiceWP\Gate\CircuitOpen;
use SluiceWP\Gate\Gate;
use SluiceWP\Gate\BoundedWait;
use SluiceWP\Settings\Config;

defined('ABSPATH') || exit;

final class ProviderCalls
{
    /** A running step's waits to take its slot back, all together, at most this long (filter sluice_backoff_retake_wait). */
    private const RETAKE_BUDGET_SECONDS = 60;

    /** @var list<array{url: string, call: ProviderCall, started: float, lease: ?Lease}> requests on their way, newest last */
    private array $open = [];
    /** @var array<string, float> provider => when this process last counted one of its answers */
    private array $counted = [];

    public function __construct(
        private readonly Gate $gate,
        private readonly Backend $backend,
        private readonly ProviderProtection $protection,
        private readonly SignalClassifier $classifier,
        private readonly Config $config,
    ) {
    }

    /**
     * pre_http_request for a request recognised as a provider call: false to
     * let it go, or a WP_Error that answers it without calling the provider.
     *
     * @param array<string, mixed> $args
     */
    public function before(ProviderCall $call, string $url, array $args): false|\WP_Error
    {
        $step = $this->gate->runningWork();
        $lease = null;
        if ($step !== null && $step->provider === $call->provider) {
            $refused = $this->stepCall($call);
        } elseif ($this->config->isExempt($call->mode, $call->provider)) {
            $refused = null;
        } else {
            [$lease, $refused] = $this->directCall($call, $args);
        }
        if ($refused !== null) {
            return new \WP_Error('http_request_failed', $refused, ['status' => 503, 'sluice' => true]);
        }
        if ($step !== null && $step->provider === $call->provider) {
            $this->gate->stepRequestSent(); // the capacity counters' provider requests (retry amplification)
            do_action('sluice_provider_requesting', $call->provider, $args['body'] ?? null); // its tokens: Rates\RateHooks
        }
        $this->open[] = ['url' => $url, 'call' => $call, 'started' => microtime(true), 'lease' => $lease];
        return false;
    }

    /**
     * http_api_debug: the answer (or the transport's failure) is in. A direct
     * call's slot goes back; the answer counts for the provider.
     *
     * @param array<string, mixed> $args
     */
    public function after(mixed $response, string $url, array $args): void
    {
        $request = null;
        for ($i = count($this->open) - 1; $i >= 0; $i--) {
            if ($this->open[$i]['url'] === $url) {
                $request = $this->open[$i];
                array_splice($this->open, $i, 1);
                break;
            }
        }
        if ($request === null) {
            return;
        }
        if ($request['lease'] !== null) {
            $this->releaseDirect($request['lease']);
        }
        $provider = $request['call']->provider;
        $signal = $this->classifier->classify($response, $provider, $url, $args);
        $this->counted[$provider] = microtime(true);
        $this->protection->record($provider, $signal, $request['started'], microtime(true) - $request['started']);
        do_action('sluice_provider_answered', $provider, $response); // its rate-limit headers: Rates\RateHooks
    }

    /**
     * Data Machine's Agents API will retry a failed provider request of the
     * running step after a sleep (action agents_api_provider_turn_retry): the
     * step's slot goes back meanwhile. The failure is counted here only when
     * no answer of that provider was counted just before (the request was not
     * recognised as a provider call).
     *
     * @param array<string, mixed> $context provider_id, status, delay_seconds, attempt, ...
     */
    public function retrying(array $context): void
    {
        $provider = sanitize_key((string) ($context['provider_id'] ?? ''));
        if ($provider === '') {
            return;
        }
        if (microtime(true) - ($this->counted[$provider] ?? 0.0) > 1.0) {
            $status = is_numeric($context['status'] ?? null) ? (int) $context['status'] : 0;
            $this->protection->record($provider, $this->classifier->fromStatus($status), microtime(true), 0.0);
        }
        $step = $this->gate->runningWork();
        if ($step !== null && $step->provider === $provider && $this->config->backoffGiveBack($provider)) {
            $this->gate->giveBackForBackoff();
        }
    }

    /** The running step's call: its slot back if it gave it away, and never while the circuit is open. */
    private function stepCall(ProviderCall $call): ?string
    {
        $budget = (float) apply_filters('sluice_backoff_retake_wait', self::RETAKE_BUDGET_SECONDS, $call->provider);
        $waited = $this->gate->slotGivenBack();
        $refused = $this->gate->retakeAfterBackoff(max(0.0, $budget));
        if ($refused !== null) {
            return $refused;
        }
        // After a wait for its slot the state is read again: the circuit may have opened meanwhile.
        return $this->protection->circuitOpen($call->provider, $waited)?->message();
    }

    /**
     * A call that is not the running step's: its provider's key (and mode key)
     * within the bounded wait.
     *
     * @param array<string, mixed> $args
     * @return array{?Lease, ?string} the lease taken (null: nothing to take), or why the call is refused
     */
    private function directCall(ProviderCall $call, array $args): array
    {
        $ceiling = $this->config->providerLimit($call->provider);
        $key = $this->protection->key($call->provider);
        $limits = $ceiling > 0 && $key !== null ? [$key => $ceiling] : [];
        $limits = $this->protection->limits($call->provider, $call->mode, $limits);
        if ($limits instanceof CircuitOpen) {
            return [null, $limits->message()];
        }
        $backend = $this->backend;
        if ($limits === []) {
            return [null, null];
        }
        $wait = $this->config->directCallWait($call->provider, $call->mode);
        $timeout = max(1, (int) ceil((float) ($args['timeout'] ?? 5)));
        $slotWait = new BoundedWait($backend, $backend instanceof WaitingLine && $backend->lineAvailable() && $this->config->waitingLine() ? $backend : null);
        try {
            $result = $slotWait->take($limits, max($this->config->leaseTtl(), $timeout + 60), "{$call->mode} call to {$call->provider}", BoundedWait::waiterRef(), 'mode:' . $call->mode, (float) $wait);
        } catch (\Throwable $e) {
            error_log("Sluice: error while taking a slot for a {$call->mode} call to AI provider \"{$call->provider}\" (it runs ungated): " . $e->getMessage());
            return [null, null];
        }
        if (!$result instanceof Lease) {
            return [null, sprintf(
                'Sluice: AI provider "%s" is busy: no slot within %d s for this %s call (key %s at its limit of %d, %d in use); try again shortly',
                $call->provider,
                $wait,
                $call->mode,
                $result->key,
                $result->limit,
                $result->active,
            )];
        }
        try {
            $backend->requestStarted($result, $timeout); // should this process die, the slot drains as the provider serves on
        } catch (\Throwable $e) {
            error_log('Sluice: could not mark a direct AI call\'s request open: ' . $e->getMessage());
        }
        return [$result, null];
    }

    private function releaseDirect(Lease $lease): void
    {
        try {
            $this->backend->release($lease);
            $this->gate->slotsFreed();
        } catch (\Throwable $e) {
            error_log('Sluice: error while giving a direct AI call\'s slot back: ' . $e->getMessage());
        }
    }
}
