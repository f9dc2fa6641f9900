<?php
/**
 * The admission decision for one scheduled action: pass (not AI work), admit
 * (a lease is taken and held while the action runs; a woken action takes the
 * slot reserved for it) or defer (no slot: it waits in line as an identical
 * copy, this one is cancelled; nothing fails, no retry attempt is used, no
 * item is marked processed; also while the provider's circuit is open). The
 * provider's key is taken under the limit its ProviderGuard has in force
 * (the adaptive limit). After every release it hands freed slots on
 * (Handoffs); a step in its provider's backoff gives its slot back and takes
 * it again (StepBackoff). It knows the scheduler, the work's meaning and the store only
 * through their interfaces.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\RateBuckets;
use SluiceWP\Backend\Refusal;
use SluiceWP\Backend\WaitingLine;
use SluiceWP\Capacity\CapacityRecorder;

defined('ABSPATH') || exit;

final class Gate
{
    private ?Decision $lastDecision = null;
    private string $lastError = '';

    public function __construct(
        private readonly Scheduler $scheduler,
        private readonly WorkClassifier $classifier,
        private readonly Backend $backend,
        private readonly Limits $limits,
        private readonly KeyNames $keys,
        private readonly HeldLeases $held,
        private readonly Deferral $deferral,
        private readonly Handoffs $handoffs,
        /**
         * The store's line records, when it keeps them (also while the waiting
         * line is off): an admitted lease remembers its action, so a holder
         * that dies leaves its work behind as stranded; a woken copy takes
         * the slot reserved for it.
         */
        private readonly ?WaitingLine $line,
        /** Counts the actions that ran ungated because the store failed. */
        private readonly ?UngatedRuns $ungated = null,
        /** Told after each sweep of a usable store (the site learns which processes run its queue). */
        private readonly ?\Closure $swept = null,
        /** The providers' say on their keys (adaptive limit, circuit breaker); null: the configured limits alone. */
        private readonly ?ProviderGuard $providers = null,
        /** The rate budgets each step takes with its slots (stores that keep buckets: Backend\RateBuckets). */
        private readonly ?RateBudgets $budgets = null,
        /** Counts admissions, completions and provider requests into the store's capacity counters (Deferral counts deferrals). */
        private readonly ?CapacityRecorder $recorder = null,
    ) {
        $this->backoff = new StepBackoff($held, $backend, $keys, $limits, $providers, new BoundedWait($backend, $line));
    }

    private readonly StepBackoff $backoff;

    /**
     * Runs before the scheduler's own status check (Action Scheduler's
     * before_execute). Throws only OriginalNotCancelled (a deferred action
     * that must not run because its copy carries the work).
     */
    public function beforeExecute(int $actionId): Decision
    {
        // A throw here marks the action failed (AS >= 3.9.3): on error the action runs ungated, except as above.
        $decision = $this->guarded("deciding on action $actionId", fn () => $this->decide($actionId));
        if ($decision === null) {
            $decision = Decision::BackendError;
            $this->guarded('counting an ungated action', fn () => $this->ungated?->ranUngated($actionId, $this->lastError));
        }
        if ($decision !== Decision::Pass) {
            // A deferral (or an acquire that reclaimed a dead holder) may have handed a slot on: wake it now.
            $this->guarded('waking the next ticket', fn () => $this->handoffs->wake(true));
        }
        return $this->lastDecision = $decision;
    }

    /**
     * Any end of the action (completed, failed, ignored, fatal): its lease
     * goes back, once. True when this call gave a lease back.
     */
    public function actionEnded(int $actionId): bool
    {
        $released = $this->guarded("releasing the lease of action $actionId", fn () => $this->held->release($actionId)) === true;
        $this->recorder?->released($actionId);
        if ($released) {
            $this->guarded('waking the next ticket', fn () => $this->handoffs->wake(true));
        }
        return $released;
    }

    /** A queue run ended: the capacity counts this process buffered go to the store (a runner may idle next). */
    public function queueRunEnded(): void
    {
        $this->recorder?->flush();
    }

    /**
     * Request or process end (also `exit` inside an action, which fires no
     * Action Scheduler hook): nothing stays held past it.
     *
     * @return list<int> the actions whose leases this call gave back
     */
    public function requestEnded(): array
    {
        $released = $this->guarded('releasing leases at request end', fn () => $this->held->releaseAll()) ?? [];
        foreach ($released as $actionId) {
            $this->recorder?->released($actionId);
        }
        $this->recorder?->flush();
        if ($released !== []) {
            $this->guarded('waking the next ticket', fn () => $this->handoffs->wake(true));
        }
        return $released;
    }

    /**
     * On every queue run, from WP-Cron and `wp sluice sweep`: dead and expired
     * leases reclaimed, their slots handed on (Handoffs::sweep()). Returns how
     * many leases were reclaimed.
     */
    public function sweep(): int
    {
        $reclaimed = $this->guarded('sweeping', fn (): int => $this->handoffs->sweep());
        if ($reclaimed !== null && $this->swept !== null) {
            $this->guarded('recording the sweep', $this->swept);
        }
        return $reclaimed ?? 0;
    }

    /**
     * A provider request of the running action starts: the lease is renewed
     * (a live step never loses its slot between requests) and marks the
     * request open, so a death during it drains the slot instead of freeing it.
     */
    public function providerRequestStarting(int $timeoutSeconds): void
    {
        $lease = $this->held->current();
        if ($lease === null) {
            return;
        }
        $timeout = max(1, $timeoutSeconds);
        $this->guarded('marking a provider request', fn () => $this->backend->requestStarted($lease, $timeout, max($this->limits->leaseTtl(), $timeout + 60)));
    }

    /** The provider answered (or the request failed): a death now frees the slot at once. */
    public function providerRequestFinished(): void
    {
        $lease = $this->held->current();
        if ($lease !== null) {
            $this->guarded('marking a provider request finished', fn () => $this->backend->requestFinished($lease));
        }
    }

    /** The running step sends a request to its own provider (ProviderCalls): counted as its provider request. */
    public function stepRequestSent(): void
    {
        $actionId = $this->held->runningAction();
        if ($actionId !== null) {
            $this->recorder?->providerRequest($actionId);
        }
    }

    public function lastDecision(): ?Decision
    {
        return $this->lastDecision;
    }

    /** A slot this process held outside an action went back (an AI call that is not a queued action): its hand-off is woken. */
    public function slotsFreed(): void
    {
        $this->guarded('waking the next ticket', fn () => $this->handoffs->wake(true));
    }

    /** The AI step this process runs now (admitted and not ended), if any. */
    public function runningWork(): ?AiWork
    {
        $actionId = $this->held->runningAction();
        return $actionId === null ? null : $this->held->work($actionId);
    }

    /**
     * The running AI step sleeps in its provider's backoff: its slot goes back
     * (and on to the next waiting step) until retakeAfterBackoff(). True when
     * it gave one back.
     */
    public function giveBackForBackoff(): bool
    {
        $given = $this->guarded('giving a slot back during provider backoff', fn (): bool => $this->backoff->giveBack()) === true;
        if ($given) {
            $this->guarded('waking the next ticket', fn () => $this->handoffs->wake(true));
        }
        return $given;
    }

    /** True while the running step has given its slot back (it sleeps in its provider's backoff). */
    public function slotGivenBack(): bool
    {
        return $this->backoff->isGivenBack();
    }

    /**
     * Before the running step's next provider request: its slot again, within
     * what is left of $budgetSeconds for the step's waits. Null when it holds
     * one; else why not (its request then fails as a provider failure would).
     * A store that fails lets the request go ungated (logged), as the gate does.
     */
    public function retakeAfterBackoff(float $budgetSeconds): ?string
    {
        return $this->guarded('taking a slot back after provider backoff', fn (): ?string => $this->backoff->retake($budgetSeconds));
    }

    private function decide(int $actionId): Decision
    {
        if ($this->held->isHeld($actionId)) {
            return Decision::Admit;
        }
        $action = $this->scheduler->claimedAction($actionId);
        // Recurring actions pass, because a single-action copy would end their schedule.
        if ($action === null || $action->recurring) {
            return Decision::Pass;
        }
        $work = $this->classifier->classify($action);
        // Cancelled or run by someone else after the claim: the scheduler ignores it (a copy would bring it back).
        if ($work === null || !$this->scheduler->isStillPending($actionId)) {
            return Decision::Pass;
        }
        $limits = $this->keys->limitsFor($work, $this->limits);
        $guarded = $this->providers?->limits($work->provider, $work->mode, $limits) ?? $limits;
        if ($guarded instanceof CircuitOpen) {
            return $this->deferral->deferWhileOpen($work, $guarded, $limits);
        }
        $limits = $guarded;
        $ttl = $this->limits->leaseTtl();
        $buckets = $this->budgets?->bucketsFor($work) ?? [];
        // A woken copy takes the slot reserved for its ticket; anything else queues behind the line.
        if ($buckets !== [] && $this->backend instanceof RateBuckets) {
            $result = $this->backend->tryAcquireTaking($limits, $ttl, $work->label(), $this->line !== null ? $actionId : null, $buckets);
        } else {
            if (array_filter($buckets, static fn (array $b): bool => $b['rate'] > 0) !== []) {
                self::budgetsNotKept($this->backend->name());
            }
            $result = $this->line !== null
                ? $this->line->tryAcquireFor($limits, $ttl, $work->label(), $actionId)
                : $this->backend->tryAcquire($limits, $ttl, $work->label());
        }
        if ($result instanceof Refusal) {
            $this->providers?->refused($work->provider, $result->key);
            return $this->deferral->defer($work, $result, $limits);
        }
        $this->held->hold($actionId, $result, $work);
        $this->recorder?->admitted($actionId, $work->action->workKey(), $result);
        $this->budgets?->taken($buckets);
        return Decision::Admit;
    }

    /** Rate budgets are set but the store keeps no buckets: said once per process, never silently ignored. */
    private static function budgetsNotKept(string $store): void
    {
        static $said = false;
        if (!$said) {
            $said = true;
            error_log("Sluice: rate budgets (rpm_limits, tpm_limits, qps_limit) are set, but the {$store} backend keeps no token buckets: AI steps are admitted by their slots alone (the native, database and Redis backends keep rate budgets)");
        }
    }

    /**
     * Runs one step of the gate's work inside the scheduler's hooks, where a throw
     * would fail the action or the whole runner: an error is logged and the
     * action carries on ungated (a broken limiter must not stop the site's work).
     * OriginalNotCancelled alone goes on to the scheduler.
     *
     * @template T
     * @param callable(): T $work
     * @return T|null null when $work threw
     */
    private function guarded(string $what, callable $work): mixed
    {
        try {
            return $work();
        } catch (OriginalNotCancelled $e) {
            throw $e; // its copy carries the work: Action Scheduler must fail this action, not run it (see the class)
        } catch (\Throwable $e) {
            $this->lastError = $e->getMessage();
            error_log(sprintf('Sluice: error while %s (the action runs on, ungated): %s', $what, $e->getMessage()));
            return null;
        }
    }
}
