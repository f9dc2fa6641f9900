<?php
/**
 * How long a deferred copy waits. It grows with Sluice's own deferral count
 * for the work (doubling from the throttle delay, up to the maximum), so a
 * runner whose batch loop re-claims due copies never spins on its own
 * copies, and jitter spreads copies that were deferred together.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

final class DeferralDelay
{
    /** @param int $attempt 1 for the first deferral of this work */
    public static function seconds(int $attempt, int $base, int $max): int
    {
        $base = max(1, $base);
        $max = max($base, $max);
        $grown = min($max, $base * (2 ** min(16, max(0, $attempt - 1))));
        $jitter = random_int(0, max(1, intdiv($grown, 4)));
        return min($max, $grown + $jitter);
    }
}
