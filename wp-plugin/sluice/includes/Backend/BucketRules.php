<?php
/**
 * A token bucket's arithmetic in PHP, the same rules as the extension's
 * (src/sluice/rate_bucket.hpp): the bucket's state is one instant, full_at,
 * from which on it is full; before it, it holds burst - rate x (full_at - now)
 * tokens, which may be below zero (a debt). A take of n is allowed when no
 * pause holds and the level reaches min(n, burst). The stores that keep their
 * buckets outside the segment (the database, Redis) change them in their own
 * statements and scripts; this class reads them (why a take was refused, what
 * operators see). Instants are in microseconds of the store's own clock.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class BucketRules
{
    /** Tokens in the bucket at $nowUs (the burst when it has no budget; below 0: a debt). */
    public static function level(float $rate, float $burst, int $fullAtUs, int $nowUs): float
    {
        if ($rate <= 0) {
            return $burst;
        }
        return $burst - $rate * max(0, $fullAtUs - $nowUs) / 1e6;
    }

    /** Microseconds until a take of $tokens would be allowed: 0 when it is now (the pause, or the tokens missing at $rate). */
    public static function wait(float $rate, float $burst, int $fullAtUs, int $pausedUntilUs, int $nowUs, float $tokens): int
    {
        $paused = max(0, $pausedUntilUs - $nowUs);
        $short = 0;
        if ($rate > 0) {
            $need = min(max($tokens, 0.0), $burst);
            $level = self::level($rate, $burst, $fullAtUs, $nowUs);
            if ($level < $need) {
                $short = max(1, (int) ceil(($need - $level) / $rate * 1e6));
            }
        }
        return max($paused, $short);
    }

    /** A rate, burst or take as the stores' SQL and scripts read it (exact); outside 0..1e9, or not a number, is refused. */
    public static function number(float $value): string
    {
        if (!is_finite($value) || $value < 0 || $value > 1e9) {
            throw new \ValueError("a bucket's rate, burst and tokens are numbers from 0 to 1e9, not {$value}");
        }
        return sprintf('%.17g', $value);
    }
}
