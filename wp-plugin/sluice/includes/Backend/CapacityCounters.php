<?php
/**
 * A store that keeps per-key capacity counters per minute (the last 16
 * minutes): what the capacity view (arrival rate, utilisation, waits,
 * headroom) is computed from. Counting is one call per decision and never
 * fails the work it counts: a store error is logged, the count is lost.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

use SluiceWP\Capacity\MinuteCounts;

defined('ABSPATH') || exit;

interface CapacityCounters
{
    /** How many minutes a store keeps (the view's longest window is 15 of them). */
    public const MINUTES_KEPT = 16;

    /**
     * Adds to this minute's counters of each key (all keys in one store call).
     *
     * @param array<string, array<int, int>> $countsByKey key => [counter index (MinuteCounts::FIELDS) => amount >= 0]
     * @throws \ValueError for a malformed key (1 to 64 bytes), counter index or amount: the caller's mistake (Capacity\CountsByKey)
     */
    public function addCounts(array $countsByKey): void;

    /**
     * Every key's counters for the minutes on record in the last MINUTES_KEPT, oldest first.
     *
     * @return array<string, list<MinuteCounts>>
     * @throws \Throwable the store's own exception when it cannot be read (unlike addCounts(), a read says so)
     */
    public function minuteCounts(): array;
}
