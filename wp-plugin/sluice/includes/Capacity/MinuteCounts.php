<?php
/**
 * One key's capacity counters for one minute, as the store keeps them
 * (Backend\CapacityCounters): the raw sums the capacity view is computed
 * from. The order of the fields is the order of the counters in the store
 * (the extension's window_add() counters 0 to 7; the database and Redis
 * backends keep the same eight numbers per key and minute).
 */

declare(strict_types=1);

namespace SluiceWP\Capacity;

defined('ABSPATH') || exit;

final class MinuteCounts
{
    /** The counters in store order (index = counter number). */
    public const FIELDS = [
        'arrivals',
        'admissions',
        'completions',
        'hold_ms',
        'hold_ms_squared',
        'wait_ms',
        'deferrals',
        'provider_requests',
    ];

    public function __construct(
        /** Unix minute (unix seconds / 60) these counts belong to. */
        public readonly int $minute,
        /** New AI steps seen (a step's first run; its deferred copies running again are not new arrivals). */
        public readonly int $arrivals = 0,
        /** Steps that took their slots. */
        public readonly int $admissions = 0,
        /** Steps that gave their slots back after running (their hold time is counted below). */
        public readonly int $completions = 0,
        /** Sum of the completed steps' hold times (slot taken to slot given back), in milliseconds. */
        public readonly int $holdMs = 0,
        /** Sum of the squares of those hold times, in milliseconds squared (for the coefficient of variation). */
        public readonly int $holdMsSquared = 0,
        /** Sum of the admitted steps' waits (first seen to slot taken; 0 for a step admitted at once), in milliseconds. */
        public readonly int $waitMs = 0,
        /** Deferrals (any reason). */
        public readonly int $deferrals = 0,
        /** Requests sent to the provider (an AI step that retries sends more than one). */
        public readonly int $providerRequests = 0,
    ) {
    }

    /**
     * From the store's list of eight counters (missing ones are 0).
     *
     * @param array<int, int|float> $counts
     */
    public static function fromList(int $minute, array $counts): self
    {
        $at = static fn (int $i): int => max(0, (int) ($counts[$i] ?? 0));
        return new self($minute, $at(0), $at(1), $at(2), $at(3), $at(4), $at(5), $at(6), $at(7));
    }

    /** @return list<int> the eight counters in store order */
    public function toList(): array
    {
        return [
            $this->arrivals, $this->admissions, $this->completions, $this->holdMs,
            $this->holdMsSquared, $this->waitMs, $this->deferrals, $this->providerRequests,
        ];
    }
}
