<?php
/**
 * The admission decision for one queued action: pass (not AI work), admit
 * (a lease is taken and held while the action runs) or defer (no slot: an
 * identical copy runs later, this one is cancelled; nothing fails, no retry
 * attempt is used, no item is marked processed). It knows the queue, the
 * work's meaning and the store only through their interfaces.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Refusal;

final class Gate
{
    private ?Decision $lastDecision = null;

    public function __construct(
        private readonly Queue $queue,
        private readonly WorkClassifier $classifier,
        private readonly Backend $backend,
        private readonly Limits $limits,
        private readonly KeyNames $keys,
        private readonly ThrottleLog $log,
        private readonly HeldLeases $held,
    ) {
    }

    /** Runs before the queue's own status check (Action Scheduler's before_execute). Never throws. */
    public function beforeExecute(int $actionId): Decision
    {
        // A throw here would mark the action failed (AS >= 3.9.3): on error the action runs ungated.
        $decision = $this->guarded("deciding on action $actionId", fn () => $this->decide($actionId));
        return $this->lastDecision = $decision ?? Decision::BackendError;
    }

    /**
     * Any end of the action (completed, failed, ignored, fatal): its lease
     * goes back, once. True when this call gave a lease back.
     */
    public function actionEnded(int $actionId): bool
    {
        return $this->guarded("releasing the lease of action $actionId", fn () => $this->held->release($actionId)) === true;
    }

    /**
     * Request or process end (also `exit` inside an action, which fires no
     * queue hook): nothing stays held past it.
     *
     * @return list<int> the actions whose leases this call gave back
     */
    public function requestEnded(): array
    {
        return $this->guarded('releasing leases at request end', fn () => $this->held->releaseAll()) ?? [];
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
        $this->guarded('marking a provider request', function () use ($lease, $timeout): void {
            $this->backend->renew($lease, max($this->limits->leaseTtl(), $timeout + 60));
            $this->backend->requestStarted($lease, $timeout);
        });
    }

    /** The provider answered (or the request failed): a death now frees the slot at once. */
    public function providerRequestFinished(): void
    {
        $lease = $this->held->current();
        if ($lease !== null) {
            $this->guarded('marking a provider request finished', fn () => $this->backend->requestFinished($lease));
        }
    }

    public function lastDecision(): ?Decision
    {
        return $this->lastDecision;
    }

    private function decide(int $actionId): Decision
    {
        if ($this->held->isHeld($actionId)) {
            return Decision::Admit;
        }
        $action = $this->queue->pendingAction($actionId);
        // Cancelled or run by someone else after the claim: the queue ignores it; recurring
        // actions pass, because a single-action copy would end their schedule.
        if ($action === null || $action->recurring) {
            return Decision::Pass;
        }
        $work = $this->classifier->classify($action);
        if ($work === null) {
            return Decision::Pass;
        }
        $limits = $this->keys->limitsFor($work, $this->limits);
        $result = $this->backend->tryAcquire($limits, $this->limits->leaseTtl(), $work->label());
        if ($result instanceof Refusal) {
            return $this->defer($work, $result);
        }
        $this->held->hold($actionId, $result);
        return Decision::Admit;
    }

    private function defer(AiWork $work, Refusal $refusal): Decision
    {
        $action = $work->action;
        $attempt = $this->log->deferralsOf($action->workKey()) + 1;
        $delay = DeferralDelay::seconds($attempt, $this->limits->throttleDelay(), $this->limits->throttleDelayMax());
        // The copy first: if the queue refuses it, the original still runs and nothing is lost.
        $copyId = $this->queue->scheduleCopy($action, $delay);
        if ($copyId > 0) {
            $this->queue->cancel($action->id);
        }
        $this->log->deferred(new ThrottleEvent($work, $refusal->key, $refusal->limit, $refusal->active, $delay, $attempt, $copyId));
        return $copyId > 0 ? Decision::Defer : Decision::CopyRefused;
    }

    /**
     * Runs one step of the gate's work inside the queue's hooks, where a throw
     * would fail the action or the whole runner: an error is logged and the
     * action carries on ungated (a broken limiter must not stop the site's work).
     *
     * @template T
     * @param callable(): T $work
     * @return T|null null when $work threw
     */
    private function guarded(string $what, callable $work): mixed
    {
        try {
            return $work();
        } catch (\Throwable $e) {
            error_log(sprintf('Sluice: error while %s (the action runs on, ungated): %s', $what, $e->getMessage()));
            return null;
        }
    }
}
