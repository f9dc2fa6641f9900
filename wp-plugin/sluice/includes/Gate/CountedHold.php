<?php
/**
 * The mean hold time (slot taken to slot given back) of a set of keys from
 * the store's per-minute capacity counters, for stores whose line reports
 * none (the database backend): completed steps' hold time over their count
 * in the minutes on record, the slowest key's. 0 when the store keeps no
 * counters or no step completed on those keys yet (the deferral then waits
 * the fixed throttle delay).
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

use SluiceWP\Backend\CapacityCounters;

defined('ABSPATH') || exit;

final class CountedHold
{
    /** @param list<string> $keys */
    public static function meanMs(mixed $store, array $keys): int
    {
        if (!$store instanceof CapacityCounters || $keys === []) {
            return 0;
        }
        try {
            $counts = $store->minuteCounts();
        } catch (\Throwable $e) {
            error_log('Sluice: the capacity counters could not be read for a deferral\'s delay (it waits the fixed delay): ' . $e->getMessage());
            return 0;
        }
        $mean = 0;
        foreach ($keys as $key) {
            $holdMs = 0;
            $completions = 0;
            foreach ($counts[$key] ?? [] as $minute) {
                $holdMs += $minute->holdMs;
                $completions += $minute->completions;
            }
            if ($completions > 0) {
                $mean = max($mean, (int) ceil($holdMs / $completions));
            }
        }
        return $mean;
    }
}
