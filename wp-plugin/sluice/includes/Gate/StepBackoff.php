<?php
/**
 * An AI step that sleeps between attempts of a failed provider request (Data
 * Machine's Agents API retries inside the step, up to 5 attempts, sleeping
 * min(60, 2 * 2^(n-1)) s plus jitter) does not use its slot meanwhile: it
 * gives it back (giveBack(), on the Agents API's announcement of the retry),
 * so other work runs, and takes it again before its next attempt's request
 * (retake()), waiting at most what is left of the step's budget for such
 * waits (all of one step's waits together). If it cannot, its next request
 * fails the way a provider failure would, so Data Machine's retry policy
 * applies; so it does, without a wait, while the provider's circuit is open.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Lease;

defined('ABSPATH') || exit;

final class StepBackoff
{
    /** @var array<int, float> seconds each action has waited to take its slot back */
    private array $waited = [];

    public function __construct(
        private readonly HeldLeases $held,
        private readonly Backend $backend,
        private readonly KeyNames $keys,
        private readonly Limits $limits,
        private readonly ?ProviderGuard $guard,
        private readonly BoundedWait $wait,
    ) {
    }

    /** The running step's lease goes back; true when it held one. */
    public function giveBack(): bool
    {
        $actionId = $this->held->runningAction();
        $lease = $this->held->current();
        if ($actionId === null || $lease === null) {
            return false;
        }
        $this->held->givenBack($actionId);
        $this->backend->release($lease);
        return true;
    }

    /** True while the running step has given its slot back. */
    public function isGivenBack(): bool
    {
        return $this->held->runningAction() !== null && $this->held->current() === null;
    }

    /**
     * The running step takes its slot back before its next provider request,
     * within $budgetSeconds for all of its waits together. Null when it holds
     * its slot (again); else why not, in words for the step's error.
     */
    public function retake(float $budgetSeconds): ?string
    {
        $actionId = $this->held->runningAction();
        if ($actionId === null || $this->held->current() !== null) {
            return null;
        }
        $work = $this->held->work($actionId);
        if ($work === null) {
            return null; // admitted without its work known: nothing to take back
        }
        $limits = $this->keys->limitsFor($work, $this->limits);
        $guarded = $this->guard?->limits($work->provider, $work->mode, $limits) ?? $limits;
        if ($guarded instanceof CircuitOpen) {
            return $guarded->message();
        }
        $left = $budgetSeconds - ($this->waited[$actionId] ?? 0.0);
        $started = microtime(true);
        $result = $this->wait->take($guarded, $this->limits->leaseTtl(), $work->label(), $actionId, $work->tenant !== '' ? $work->tenant : 'default', max(0.0, $left));
        $this->waited[$actionId] = ($this->waited[$actionId] ?? 0.0) + (microtime(true) - $started);
        if ($result instanceof Lease) {
            $this->held->hold($actionId, $result, $work);
            return null;
        }
        return sprintf(
            'Sluice: no slot for AI provider "%s" within %d s after the provider\'s backoff (the step gave its slot back while it slept; key %s at its limit of %d, %d in use)',
            $work->provider,
            (int) round($budgetSeconds),
            $result->key,
            $result->limit,
            $result->active,
        );
    }
}
