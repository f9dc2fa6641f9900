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
 * implement this interface. Its tickets, wakes and stranded entries are
 * LineRecords (the database and Redis backends keep them in DatabaseLine and
 * RedisLine, ForwardsLineRecords); this adds the acquire that uses a ticket.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

interface WaitingLine extends LineRecords
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
}
