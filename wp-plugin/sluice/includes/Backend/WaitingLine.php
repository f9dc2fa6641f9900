<?php
/**
 * The waiting line of a lease store: deferred actions wait in it as tickets,
 * one line per key set, shared by every process that uses the store. When a
 * slot frees, the store itself picks the next ticket whose keys all have
 * room (weighted fair across tenants, with aging), reserves the slot for it
 * and queues a wake; the gate pulls that ticket's scheduled copy forward, and
 * admits it through the reservation when it runs.
 *
 * A store that has no line (the gate then defers on a timer) does not
 * implement this interface.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

interface WaitingLine
{
    /** A ticket that waited this long is past any timer: the sweep checks whether its action is gone. */
    public const STALE_AFTER_MS = 3_600_000;

    /** False when this store cannot keep a line here after all (e.g. an older extension build). */
    public function lineAvailable(): bool;

    /**
     * tryAcquire() for scheduled action $ref: if its ticket holds a live
     * reservation, the reservation becomes this lease; if its ticket waits,
     * acquire as usual (on success the ticket leaves the line); without a
     * ticket, exactly tryAcquire(). The lease remembers $ref, so a holder that
     * dies leaves its action's id behind (takeStranded()).
     *
     * @param array<string,int> $limits
     */
    public function tryAcquireFor(array $limits, int $ttl, string $label, int $ref): Lease|Refusal;

    /**
     * Puts action $ref in the line of its key set, or finds the ticket that
     * already carries $ref.
     *
     * @param array<string,int> $limits
     * @param int               $firstDeferredAt unix seconds of the work's first deferral (0 = now)
     * @throws LineFullException when the line holds as many tickets as it can
     */
    public function enqueue(array $limits, int $ref, string $tenant, int $weight, int $firstDeferredAt): Ticket;

    /** The ticket's action moved to a new scheduled copy; false when the ticket is gone. */
    public function moveTicket(string $ticket, int $ref): bool;

    /** The ticket leaves the line (a reservation it held goes to the next ticket). */
    public function cancelTicket(string $ticket): bool;

    /**
     * Hand-offs whose scheduled copies must be pulled forward now, each taken
     * once by one caller. $ownOnly (after a release): only if this process
     * queued a wake since it last took them (a store may then read nothing);
     * the sweep takes everyone's, so a wake left by a process that died is
     * not lost.
     *
     * @return list<Wake>
     */
    public function takeWakes(int $max, bool $ownOnly = false): array;

    /** A wake's copy could not be pulled forward (counted; its reservation lapses by itself). */
    public function wakeMissed(string $ticket): bool;

    /**
     * Claims up to $max stranded entries: leases reclaimed because their
     * holder died, with their action ids. Nobody else gets a claimed entry;
     * ackStranded() drops it once it has been dealt with, returnStranded()
     * puts it back, and one that is neither acked nor returned comes back by
     * itself after a while where the store can tell (a sweep that died
     * half-way loses nothing).
     *
     * @return list<StrandedLease>
     */
    public function takeStranded(int $max): array;

    /** The claimed entry was dealt with: it is dropped. */
    public function ackStranded(StrandedLease $entry): void;

    /** The claimed entry could not be dealt with now: it goes back for the next takeStranded(). */
    public function returnStranded(StrandedLease $entry): void;

    /** @return list<QueueStatus> the whole line, in service order */
    public function line(): array;

    /** @return list<TicketStatus> up to $max tickets that waited STALE_AFTER_MS or longer, in service order */
    public function staleTickets(int $max): array;
}
