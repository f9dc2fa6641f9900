<?php
/**
 * Why a backend said no: the first key that had no free slot (reason
 * ai_concurrency_limit), or another reason a store gives (store_unusable:
 * this process cannot use the site's store; rate_budget: every slot was free
 * but a rate budget's bucket must refill first, in retryAfterMs).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class Refusal
{
    public const CONCURRENCY = 'ai_concurrency_limit';
    public const STORE_UNUSABLE = 'store_unusable';
    public const RATE_BUDGET = 'rate_budget';

    public function __construct(
        public readonly string $key,
        public readonly int $limit,
        public readonly int $active,
        /** As the event log and Data Machine's log name it. */
        public readonly string $reason = self::CONCURRENCY,
        /** rate_budget: ms until the bucket will hold the tokens (or the provider's pause ends). */
        public readonly int $retryAfterMs = 0,
        /** rate_budget: ms the bucket takes to refill one more step's tokens (0: unknown, a learned budget). */
        public readonly int $refillMsPerStep = 0,
    ) {
    }
}
