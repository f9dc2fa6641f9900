<?php
/**
 * The token bucket a per-minute budget gives (the providers state their
 * limits per minute): any 60 seconds see at most the budget (burst + rate x
 * 60 = the limit), with a burst of a twentieth of it (at least one request,
 * at most half), so most of the budget flows evenly instead of in one rush.
 */

declare(strict_types=1);

namespace SluiceWP\Rates;

defined('ABSPATH') || exit;

final class MinuteBudget
{
    /** @return array{float, float} rate per second, burst (both 0 for no budget) */
    public static function bucket(float $perMinute): array
    {
        if ($perMinute <= 0) {
            return [0.0, 0.0];
        }
        $burst = min($perMinute / 2, max(1.0, $perMinute / 20));
        return [($perMinute - $burst) / 60, $burst];
    }
}
