<?php
/**
 * How long a deferred copy waits before it runs on its own.
 *
 * Never longer than Data Machine's own limiter would have made the step
 * wait (its back-off: the throttle delay doubling with each deferral of the
 * work, up to a maximum), and at least a second longer than the work's
 * previous deferral, so a runner never spins on its own copies. Inside
 * those bounds: the estimated wait for a slot where the store knows how long
 * slots are held, else the limiter's delay less up to a quarter of jitter
 * (copies deferred together come back apart, never later than Data Machine's).
 *
 * A copy that holds a ticket in the waiting line is woken when its turn
 * comes: its delay is only the fallback for a lost wake, so there the
 * estimate rules (up to the maximum), not the doubling.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

final class DeferralDelay
{
    /**
     * Data Machine's back-off for this deferral (AIConcurrencyBackpressure::delaySeconds):
     * base × 2^(attempt - 1), at most $max.
     *
     * @param int $attempt 1 for the first deferral of this work
     */
    public static function limiterCeiling(int $attempt, int $base, int $max): int
    {
        $base = max(1, $base);
        return min(max($base, $max), $base * (2 ** min(16, max(0, $attempt - 1))));
    }

    /**
     * The timer of a copy without a ticket (the line is off or full).
     *
     * @param int        $attempt       1 for the first deferral of this work
     * @param float|null $estimate      seconds until a slot is expected to free (null: unknown)
     * @param int        $previousDelay the delay of the work's previous deferral (0: none)
     */
    public static function timer(int $attempt, int $base, int $max, ?float $estimate, int $previousDelay): int
    {
        $ceiling = self::limiterCeiling($attempt, $base, $max);
        $floor = min($ceiling, max(1, $previousDelay + 1));
        $target = $estimate !== null ? (int) ceil($estimate) : $ceiling - self::jitter($ceiling);
        return max($floor, min($ceiling, $target));
    }

    /**
     * The fallback timer of a copy with a ticket: the estimated wait for its
     * turn plus up to a quarter of jitter, at least a second longer than the
     * previous deferral's, at most $max.
     */
    public static function forWait(float $waitSeconds, int $max, int $previousDelay): int
    {
        $max = max(1, $max);
        $wait = (int) ceil(max(0.0, $waitSeconds));
        $floor = min($max, max(1, $previousDelay + 1));
        return max($floor, min($max, $wait + self::jitter($wait)));
    }

    /**
     * A step deferred for a rate budget: until its bucket will have refilled
     * ($retryAfterMs, from the budget's rate or the provider's pause), plus
     * up to a quarter of jitter, at least 1 s, at most $max. Not doubled, and
     * not bound to the previous deferral's delay: the refill time is known.
     */
    public static function untilRefilled(int $retryAfterMs, int $max): int
    {
        $wait = (int) ceil(max(0, $retryAfterMs) / 1000);
        return max(1, min(max(1, $max), $wait + self::jitter($wait)));
    }

    /** Up to a quarter of $seconds, so copies deferred together do not come back together. */
    private static function jitter(int $seconds): int
    {
        return random_int(0, intdiv(max(0, $seconds), 4));
    }
}
