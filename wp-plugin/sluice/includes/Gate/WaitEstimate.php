<?php
/**
 * How long deferred work can expect to wait for a slot of every key it
 * needs, from what the store knows (holders, how long slots are held).
 * The deferral's timer uses it; a store or a capacity view that knows more
 * can answer instead (the filter `sluice_wait_estimate` in Plugin).
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

interface WaitEstimate
{
    /**
     * Seconds until the ($ahead + 1)-th slot frees on every key of $keyLimits,
     * or null when the store cannot tell (e.g. it keeps no hold times).
     *
     * @param array<string, int> $keyLimits key => limit
     * @param int                $ahead     waiters served before this one (0 without a line)
     */
    public function seconds(array $keyLimits, int $ahead): ?float;
}
