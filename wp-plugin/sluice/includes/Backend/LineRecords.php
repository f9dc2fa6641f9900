<?php
/**
 * What a store keeps of its waiting line: the tickets (enqueue, move,
 * cancel), the wakes a hand-off queues, the stranded entries a dead holder
 * leaves, and the line as operators see it. WaitingLine is this plus the
 * acquire that takes a ticket's reservation; the database and Redis
 * backends keep these records in DatabaseLine and RedisLine and pass the
 * calls through (ForwardsLineRecords).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

interface LineRecords
{
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
