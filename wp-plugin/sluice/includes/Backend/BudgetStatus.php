<?php
/**
 * One rate budget's bucket as operators see it (Backend\RateBuckets::budgets()):
 * not a key of slots but a budget, so it is shown as one (per minute, tokens
 * left, the provider's pause) instead of as a key with limit 0.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class BudgetStatus
{
    public function __construct(
        public readonly string $key,
        /** The most any 60 s may take: a minute's refill plus the burst (a per-minute budget's own figure; 0: none known). */
        public readonly float $perMinute,
        /** "set" (the operator's budget, as the last step took it), "provider" (the budget its rate-limit headers announced) or "" (none). */
        public readonly string $source,
        /** Tokens in the bucket now (requests, tokens or steps; below 0: a debt of answers that used more than was left). */
        public readonly float $level,
        /** Unix seconds until which the provider's pause (retry-after, or a budget it said is used up) holds it; 0: no pause. */
        public readonly int $pausedUntil,
        public readonly int $takes,
        public readonly int $refusals,
    ) {
    }
}
