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
 * estimate for its place rules (up to the maximum), not the doubling. A
 * timer that fires before the turn costs a deferral more (an Action
 * Scheduler row and three log rows) and gains nothing, so that timer aims
 * past the likely turn, not at it (see TURN_SPREAD).
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
     * How many times the place's estimated wait a ticketed copy's fallback
     * timer waits. The estimate (position x mean hold / limit) is the
     * earliest the turn can come: the line's fair turns put other tenants'
     * steps that arrive after this one ahead of it (one turn each per turn
     * of its own queue), and each turn takes the hand-off (a release, the
     * wake, a runner claiming the copy among other due actions) on top of
     * the hold. Under make bench-load (3 flows, 8 runners, limit 2) a
     * flow's step came to its turn 4.5 times its place's estimate later
     * (a turn each 0.25 s, hold 0.34 s per slot, every third turn its
     * flow's), and with twice the estimate 127 of 296 copies came back
     * before their turn and were deferred again.
     */
    public const TURN_SPREAD = 5;

    /**
     * Seconds until the ($ahead + 1)-th turn of a line that serves $limit
     * steps at a time, each holding its slots $meanHoldMs on average: the
     * estimated wait for that place (0 when nothing is known).
     */
    public static function placeWait(int $ahead, int $limit, int $meanHoldMs): float
    {
        return $limit > 0 && $meanHoldMs > 0 ? (max(0, $ahead) + 1) * $meanHoldMs / $limit / 1000 : 0.0;
    }

    /**
     * The fallback timer of a copy with a ticket: TURN_SPREAD times the
     * estimated wait for its turn plus up to a quarter of jitter, at least a
     * second longer than the previous deferral's, at most $max. Not floored
     * at the throttle delay: where only WP-Cron and admin traffic run the
     * queue, Action Scheduler's async request runner comes by only for due
     * actions, so a short timer is what brings a runner to take the wake
     * (with a 60 s floor the first copy after a release from outside any
     * runner waited the whole minute: OneKindOfRunnerTest).
     */
    public static function forWait(float $waitSeconds, int $max, int $previousDelay): int
    {
        $max = max(1, $max);
        $wait = (int) ceil(self::TURN_SPREAD * max(0.0, $waitSeconds));
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
