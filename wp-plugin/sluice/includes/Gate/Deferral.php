<?php
/**
 * Defers one piece of AI work that found no slot: it takes (or keeps) a
 * ticket in the store's waiting line, at the place the work already held
 * (its first deferral), schedules an identical copy for when its turn is
 * estimated to come, moves the ticket to the copy, and cancels the original
 * by its exact id. With a waiting line the copy is normally pulled forward
 * the moment a slot is reserved for it (see Handoffs): the delay is then only
 * the fallback for a lost wake. Without a line (or with a full one) the copy
 * waits on its timer (DeferralDelay::timer: never longer than Data Machine's
 * own back-off would have made it wait). Work deferred for a rate budget
 * waits until its bucket will have refilled, its ticket held meanwhile.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Backend\LineFullException;
use SluiceWP\Backend\RateBuckets;
use SluiceWP\Backend\Refusal;
use SluiceWP\Backend\Ticket;
use SluiceWP\Backend\WaitingLine;
use SluiceWP\Capacity\CapacityRecorder;

defined('ABSPATH') || exit;

final class Deferral
{
    public function __construct(
        private readonly Scheduler $scheduler,
        private readonly Limits $limits,
        private readonly ThrottleLog $log,
        private readonly ?WaitingLine $line,
        private readonly ?WaitEstimate $estimate = null,
        private readonly ?CapacityRecorder $recorder = null,
    ) {
    }

    /** @param array<string,int> $keyLimits the keys the work asked for */
    public function defer(AiWork $work, Refusal $refusal, array $keyLimits): Decision
    {
        $action = $work->action;
        $history = $this->log->historyOf($action->workKey());
        $attempt = $history->deferrals + 1;
        $ticket = $this->takeTicket($work, $keyLimits, $history, $refusal->reason === Refusal::RATE_BUDGET);
        $delay = $refusal->reason === Refusal::RATE_BUDGET
            // The steps waiting for the same budget ahead of it take the refills before it: one each.
            ? DeferralDelay::untilRefilled($refusal->retryAfterMs + ($ticket !== null ? $ticket->ahead : 0) * $refusal->refillMsPerStep, $this->limits->throttleDelayMax())
            : $this->delay($ticket, $attempt, $keyLimits, $history);
        $copyId = $this->copyInstead($action, $ticket, $delay);
        $this->log->deferred(new ThrottleEvent($work, $refusal->key, $refusal->limit, $refusal->active, $delay, $attempt, $copyId, $ticket, $refusal->reason));
        $copyId > 0 && $this->recorder?->deferred($keyLimits, $history);
        return $copyId > 0 ? Decision::Defer : Decision::CopyRefused;
    }

    /**
     * Defers work whose provider's circuit is open: it keeps (or takes) its
     * place in the waiting line, which hands the provider's key no slot while
     * the circuit is open (the key's cap), and its copy comes due when the
     * next probe may go, spread over the first tenth of the cool-down so the
     * deferred steps do not all arrive at once. The first of them after that
     * is the probe; the others wait in line behind it.
     *
     * @param array<string,int> $keyLimits
     */
    public function deferWhileOpen(AiWork $work, CircuitOpen $open, array $keyLimits): Decision
    {
        $action = $work->action;
        $history = $this->log->historyOf($action->workKey());
        $attempt = $history->deferrals + 1;
        $ticket = $this->takeTicket($work, $keyLimits, $history);
        $spread = max(1, intdiv($open->cooldownSeconds, 10));
        $delay = min($this->limits->throttleDelayMax(), max(1, (int) ceil($open->secondsToProbe)) + random_int(0, $spread));
        $copyId = $this->copyInstead($action, $ticket, $delay);
        $this->log->deferred(new ThrottleEvent($work, $open->key, 0, 0, $delay, $attempt, $copyId, $ticket, CircuitOpen::REASON));
        $copyId > 0 && $this->recorder?->deferred($keyLimits, $history);
        return $copyId > 0 ? Decision::Defer : Decision::CopyRefused;
    }

    /** @param array<string,int> $keyLimits */
    private function takeTicket(AiWork $work, array $keyLimits, WorkHistory $history, bool $held = false): ?Ticket
    {
        if ($this->line === null) {
            return null;
        }
        $tenant = $work->tenant !== '' ? $work->tenant : 'default';
        try {
            if ($held && $this->line instanceof RateBuckets) {
                // Waiting for a rate budget, not a slot: free slots must not wake it before the bucket refills.
                return $this->line->enqueueHeld($keyLimits, $work->action->id, $tenant, $work->weight, $history->placedSince ?? 0);
            }
            return $this->line->enqueue($keyLimits, $work->action->id, $tenant, $work->weight, $history->placedSince ?? 0);
        } catch (LineFullException $e) {
            error_log('Sluice: the waiting line is full, deferring on a timer instead: ' . $e->getMessage());
            return null;
        }
    }

    /**
     * Seconds until the copy runs if no wake pulls it forward first.
     *
     * @param array<string,int> $keyLimits
     */
    private function delay(?Ticket $ticket, int $attempt, array $keyLimits, WorkHistory $history): int
    {
        $max = $this->limits->throttleDelayMax();
        $estimate = $this->estimate?->seconds($keyLimits, $ticket !== null ? $ticket->ahead : 0);
        if ($ticket !== null) {
            // The store's mean hold where its line reports one (native, Redis), else the capacity counters' (database).
            $meanHoldMs = $ticket->meanHoldMs > 0 ? $ticket->meanHoldMs : CountedHold::meanMs($this->line, array_keys($keyLimits));
            if ($estimate !== null || $meanHoldMs > 0) {
                // The copy is woken when its turn comes; its timer only backs up a lost wake, so it must not come back
                // early: the longer of the place's estimate and the holders' (which counts a dead holder's drain).
                $wait = max($estimate ?? 0.0, DeferralDelay::placeWait($ticket->ahead, $ticket->limit, $meanHoldMs));
                return DeferralDelay::forWait($wait, $max, $history->lastDelaySeconds);
            }
        }
        return DeferralDelay::timer($attempt, $this->limits->throttleDelay(), $max, $estimate, $history->lastDelaySeconds);
    }

    /**
     * Schedules the action's copy $delay s out and cancels the original; its
     * ticket follows the copy. Returns the copy's id, 0 when the scheduler
     * refused it (the original then runs now and leaves the line).
     */
    private function copyInstead(ScheduledAction $action, ?Ticket $ticket, int $delay): int
    {
        // The copy first: if the scheduler refuses it, the original still runs and nothing is lost.
        $copyId = $this->scheduler->scheduleCopy($action, $delay);
        if ($copyId > 0) {
            // The copy exists: from here on the original must be cancelled whatever the store says, or both run.
            try {
                $ticket !== null && $this->line?->moveTicket($ticket->token, $copyId);
            } catch (\Throwable $e) {
                // The ticket stays on the cancelled original (its wake finds it gone and hands the slot on); the
                // copy runs on its timer and queues anew.
                error_log('Sluice: the waiting line could not follow a deferred action to its copy (the copy runs on its timer): ' . $e->getMessage());
            }
            try {
                $this->scheduler->cancel($action->id);
            } catch (\Throwable $e) {
                return $this->callOffCopy($action, $copyId, $ticket, $e);
            }
        } elseif ($ticket !== null) {
            $this->line?->cancelTicket($ticket->token); // the original runs now: it needs no place in line
        }
        return $copyId;
    }

    /**
     * The original could not be cancelled (Action Scheduler's UPDATE failed:
     * a lock wait timeout, a lost connection) after its copy was stored, so
     * exactly one of the two may run. The copy is cancelled (another row,
     * which a lock or fault on the original's row spares) with its ticket,
     * and the original runs now, as when the scheduler refuses a copy
     * (returns 0). Only if the copy cannot be cancelled either is the
     * original kept from running: the throw reaches Action Scheduler, which
     * marks it failed, and the copy carries the work. Failing the original
     * first would need a write on the very row that just failed, and if that
     * failed too, the original would run again after its claim lapses,
     * besides its copy.
     */
    private function callOffCopy(ScheduledAction $action, int $copyId, ?Ticket $ticket, \Throwable $cancelError): int
    {
        try {
            $this->scheduler->cancel($copyId);
        } catch (\Throwable $e) {
            $message = sprintf(
                'Sluice: the deferred action %d could not be cancelled (%s), nor its copy %d (%s): it fails instead of running, its copy carries the work',
                $action->id,
                $cancelError->getMessage(),
                $copyId,
                $e->getMessage(),
            );
            error_log($message);
            throw new OriginalNotCancelled($message, 0, $cancelError);
        }
        error_log(sprintf('Sluice: the deferred action %d could not be cancelled (%s): its copy %d was cancelled instead and the action runs now, ungated', $action->id, $cancelError->getMessage(), $copyId));
        try {
            $ticket !== null && $this->line?->cancelTicket($ticket->token); // the original runs now: it needs no place in line
        } catch (\Throwable $e) {
            // The ticket stays on the cancelled copy: a wake or the sweep finds it gone and hands its slot on.
            error_log('Sluice: the waiting line could not drop the ticket of a cancelled copy: ' . $e->getMessage());
        }
        return 0;
    }
}
