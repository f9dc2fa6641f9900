<?php
/**
 * What happens after slots free: the store has already reserved each freed
 * slot for the next ticket of its waiting line and queued a wake; this pulls
 * those tickets' scheduled copies forward so a runner takes them now, and tells
 * the store about copies it could not move (their reservations then lapse to
 * the next ticket). The sweep also reclaims dead or expired leases (which
 * hands their slots on) and deals with work whose runner died.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\WaitingLine;

defined('ABSPATH') || exit;

final class Handoffs
{
    private const BATCH = 32;

    /** How long a stranded action's copy waits while the original is checked and marked failed. */
    private const REQUEUE_HOLD_BACK_SECONDS = 300;

    /**
     * @param ?WaitingLine                 $line       the waiting line, while it is on (wakes, tickets)
     * @param \Closure(ScheduledAction): bool $mayRequeue whether a stranded action may run again
     * @param ?WaitingLine                 $records    the store's line records, line on or off: its stranded leases
     */
    public function __construct(
        private readonly Scheduler $scheduler,
        private readonly ?WaitingLine $line,
        private readonly Backend $backend,
        private readonly ThrottleLog $log,
        private readonly \Closure $mayRequeue,
        private readonly ?WaitingLine $records = null,
        /** Where wakes, requeued copies and stranded entries given back are written (the event log). */
        private readonly ?StepLog $steps = null,
    ) {
    }

    /**
     * Pulls forward the copies of the tickets that slots were reserved for.
     * $ownOnly right after a release: the hand-offs this process made (the
     * sweep takes everyone's). Returns how many moved.
     */
    public function wake(bool $ownOnly = false): int
    {
        if ($this->line === null) {
            return 0;
        }
        $moved = 0;
        foreach ($this->line->takeWakes(self::BATCH, $ownOnly) as $wake) {
            if (BoundedWait::isWaiterRef($wake->ref)) {
                continue; // a call waiting in place (BoundedWait) claims its reservation itself
            }
            if ($this->scheduler->pullForward($wake->ref)) {
                $moved++;
                $this->steps?->woken($wake->ref, $wake->reservedLeftMs);
            } elseif ($this->scheduler->isGone($wake->ref)) {
                $this->line->cancelTicket($wake->ticket); // its action will never come: the slot goes on
            } else {
                $this->line->wakeMissed($wake->ticket); // claimed already: it takes its reservation when it runs
            }
        }
        return $moved;
    }

    /**
     * Runs on every queue run and from WP-Cron: a crashed holder's slot is
     * handed on within seconds even when nobody else asks for it. Returns how
     * many leases were reclaimed.
     */
    public function sweep(): int
    {
        $reclaimed = $this->backend->operatorView()->sweep();
        $this->wake();
        $this->rescueStranded();
        $this->dropTicketsOfGoneActions();
        return $reclaimed;
    }

    /**
     * A ticket whose action was deleted or ran some other way would wait
     * forever and fill the line. Tickets that waited past any timer
     * (an hour) are checked, a few per sweep.
     */
    private function dropTicketsOfGoneActions(): void
    {
        foreach ($this->line?->staleTickets(self::BATCH) ?? [] as $ticket) {
            if ($this->scheduler->isGone($ticket->ref)) {
                $this->line?->cancelTicket($ticket->ticket);
            }
        }
    }

    /**
     * Work whose runner died stays in progress in Action Scheduler until its failure
     * period (an hour under Data Machine), then fails and never runs again.
     * Each is recorded, whether the waiting line is on or off (the store
     * remembers every lease's action); where a filter says the hook is safe
     * to run again, it is marked failed with a clear message and an identical
     * copy runs now, keeping the place in line its work had (its first
     * deferral, or when it was due if it never waited) should it wait again.
     * An entry is dropped (acked) only once it has been dealt with: one that
     * throws goes back to the store for the next sweep, and the others go on.
     */
    private function rescueStranded(): void
    {
        if ($this->records === null) {
            return;
        }
        foreach ($this->records->takeStranded(self::BATCH) as $stranded) {
            if (BoundedWait::isWaiterRef($stranded->ref)) {
                $this->records->ackStranded($stranded); // a call that was not a scheduled action (BoundedWait): nothing to run again
                continue;
            }
            try {
                $action = $this->scheduler->action($stranded->ref);
                $copyId = $action !== null && ($this->mayRequeue)($action) ? $this->requeue($action, $stranded->pid) : 0;
                $this->steps?->reclaimedFromDeadHolder($stranded, $action);
                $this->log->stranded($stranded, $action, $copyId, $copyId > 0 && $action !== null ? $this->placeOf($action) : null);
                if ($copyId > 0) {
                    $this->steps?->requeued($stranded->ref, $copyId, $action, $stranded);
                    // Only now that its place is recorded: the copy's deferral, should it wait, reads it.
                    $this->scheduler->pullForward($copyId);
                }
            } catch (\Throwable $e) {
                error_log(sprintf('Sluice: could not deal with the stranded action %d now (it is kept for the next sweep): %s', $stranded->ref, $e->getMessage()));
                $this->records->returnStranded($stranded);
                $this->steps?->drained($stranded, 'returned_for_next_sweep');
                continue;
            }
            $this->records->ackStranded($stranded);
        }
    }

    /**
     * Runs a stranded action again as an identical copy; returns the copy's
     * id, or 0 when it does not run again. The copy comes first, held back:
     * if the action turns out to have ended meanwhile (completed, or failed by
     * Action Scheduler's cleaner), the copy is cancelled before any runner can
     * claim it; if Action Scheduler refuses it, the action is left as it is; and if
     * this process dies half-way, the copy still runs when its hold-back ends.
     * That dead sweep's entry comes back with its claim: the next sweep finds
     * the copy it left and uses it instead of storing a second one (two
     * copies would run the action twice). The caller pulls the copy forward
     * once the stranded event is written.
     */
    private function requeue(ScheduledAction $action, int $deadPid): int
    {
        $leftCopyId = $this->scheduler->copyOf($action->id);
        $copyId = $leftCopyId > 0 ? $leftCopyId : $this->scheduler->scheduleCopy($action, self::REQUEUE_HOLD_BACK_SECONDS);
        if ($copyId <= 0) {
            return 0;
        }
        $message = sprintf('Sluice: the runner of this action (pid %d) died while it ran; an identical action runs again', $deadPid);
        if ($this->scheduler->failInProgress($action->id, $message)) {
            return $copyId;
        }
        if ($leftCopyId > 0 && $this->scheduler->hasFailed($action->id)) {
            // The dead sweep may have marked it failed before it died (or Action Scheduler's cleaner failed it since):
            // either way it did not complete, and the copy it left is the one run of its work.
            return $copyId;
        }
        // It ended some other way (completed): its copy is called off, unless a copy left by a dead sweep ran already.
        if ($leftCopyId === 0 || $this->scheduler->isStillPending($copyId)) {
            $this->scheduler->cancel($copyId);
        }
        return 0;
    }

    /** The place in line a stranded action's work keeps: its earliest recorded place, first deferral, or due time. */
    private function placeOf(ScheduledAction $action): ?int
    {
        $history = $this->log->historyOf($action->workKey());
        $places = array_filter([$history->placedSince, $history->firstDeferredAt, $action->scheduledAt], 'is_int');
        return $places !== [] ? min($places) : null;
    }
}
