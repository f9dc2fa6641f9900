<?php
/**
 * How long a deferred copy waits before it runs on its own.
 *
 * With a waiting line: the estimated wait (tickets ahead ÷ limit × mean hold
 * time) plus jitter, clamped to [1 s, maximum]; a copy that comes back before
 * its turn waits at least one second longer each time, so a runner never
 * spins on its own copies. Without one (or before any hold time is known):
 * the throttle delay, doubling with Sluice's own deferral count for the work,
 * plus jitter, up to the maximum.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

final class DeferralDelay
{
    /** @param int $attempt 1 for the first deferral of this work */
    public static function seconds(int $attempt, int $base, int $max): int
    {
        $base = max(1, $base);
        $max = max($base, $max);
        $grown = min($max, $base * (2 ** min(16, max(0, $attempt - 1))));
        return min($max, $grown + self::jitter($grown));
    }

    /** @param float $waitSeconds the estimated wait for the ticket's turn */
    public static function forWait(float $waitSeconds, int $attempt, int $max): int
    {
        $max = max(1, $max);
        $wait = (int) ceil(max(0.0, $waitSeconds));
        $floor = min($max, max(1, $attempt));
        return max($floor, min($max, $wait + self::jitter($wait)));
    }

    /** Up to a quarter more, so copies deferred together do not come back together. */
    private static function jitter(int $seconds): int
    {
        return random_int(0, max(1, intdiv($seconds, 4)));
    }
}
