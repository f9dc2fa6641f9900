<?php
/**
 * One key as operators see it: its limit, what it holds now, its counters.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class KeyStatus
{
    /** @param list<Holder> $holders */
    public function __construct(
        public readonly string $key,
        public readonly int $limit,
        public readonly int $active,
        public readonly int $peak,
        public readonly int $acquired,
        public readonly int $throttled,
        public readonly int $released,
        public readonly int $reclaimedDead,
        public readonly int $reclaimedExpired,
        public readonly array $holders,
        /** Exponentially weighted mean of hold times (0 until something was released; 0 where the store keeps none). */
        public readonly int $meanHoldMs = 0,
        /** Tickets of the waiting line that wait for this key, and slots reserved for woken tickets. */
        public readonly int $queued = 0,
        public readonly int $reserved = 0,
        /** Hand-offs to a ticket; reservations that lapsed; copies that could not be pulled forward. */
        public readonly int $wakesSent = 0,
        public readonly int $wakesLapsed = 0,
        public readonly int $wakesMissed = 0,
        /** Unix seconds since when peak counts: the key's creation, its last reset or its last change of limit (0: unknown). */
        public readonly int $peakSince = 0,
    ) {
    }

    /** @param list<Holder> $holders the same key with these holders (e.g. some redacted) */
    public function withHolders(array $holders): self
    {
        return new self(...array_merge(get_object_vars($this), ['holders' => $holders]));
    }
}
