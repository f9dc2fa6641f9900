<?php
/**
 * A store in which a process can sleep until a slot frees instead of polling
 * for it: the extension's segment (Limiter::acquire() sleeps on a futex that
 * the release wakes). The database and Redis stores have no such wake, so a
 * bounded wait polls them (Gate\BoundedWait).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

interface BlockingAcquire
{
    /**
     * Whether this process can sleep in the store (an extension built before
     * the wait took a ticket's reservation cannot: then the caller polls).
     */
    public function canBlock(): bool;

    /**
     * Takes a slot on every key, asleep up to $timeoutMs until one frees. With
     * $ref (an action id or a waiter id, > 0) each try is tryAcquireFor()'s: a
     * reservation the waiting line makes for that ref's ticket meanwhile
     * becomes the lease as soon as the release that made it wakes the sleeper,
     * and the lease remembers $ref. With 0, tryAcquire()'s.
     *
     * @param array<string,int> $limits
     */
    public function acquireWithin(array $limits, int $ttl, string $label, int $ref, int $timeoutMs): Lease|Refusal;
}
