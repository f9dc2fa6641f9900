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

    /**
     * @param \Closure(ScheduledAction): bool $mayRequeue whether a stranded action may run again
     */
    public function __construct(
        private readonly Scheduler $scheduler,
        private readonly ?WaitingLine $line,
        private readonly Backend $backend,
        private readonly ThrottleLog $log,
        private readonly \Closure $mayRequeue,
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
            if ($this->scheduler->pullForward($wake->ref)) {
                $moved++;
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
     * Each is recorded; where a filter says the hook is safe to run again, it
     * is marked failed with a clear message and an identical copy runs now.
     */
    private function rescueStranded(): void
    {
        if ($this->line === null) {
            return;
        }
        foreach ($this->line->takeStranded(self::BATCH) as $stranded) {
            $action = $this->scheduler->action($stranded->ref);
            $copyId = 0;
            if ($action !== null && ($this->mayRequeue)($action)) {
                $message = sprintf('Sluice: the runner of this action (pid %d) died while it ran; an identical action runs again', $stranded->pid);
                if ($this->scheduler->failInProgress($action->id, $message)) {
                    $copyId = $this->scheduler->scheduleCopy($action, 0);
                }
            }
            $this->log->stranded($stranded, $action, $copyId);
        }
    }
}
