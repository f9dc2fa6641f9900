<?php
/**
 * What a provider's rate-limit headers mean for Sluice's buckets of that
 * provider: the level of each is capped at what the provider says is left (so
 * Sluice stops before the provider answers 429, whoever else spends the same
 * account), a budget that is used up pauses its bucket until one unit of it
 * comes back, a retry-after pauses both, and where the operator set no budget
 * the limits the headers announce (per minute, as OpenAI and Anthropic state
 * them) become the buckets' learned budget.
 */

declare(strict_types=1);

namespace SluiceWP\Rates;

use SluiceWP\Backend\BucketWord;

defined('ABSPATH') || exit;

final class ProviderWord
{
    /**
     * @param bool $requestsSet the operator set a requests-per-minute budget (the headers' limit is then not learned)
     * @param bool $tokensSet   the same for tokens
     * @return array<string, BucketWord> bucket key => what to tell it (empty words left out)
     */
    public static function words(RateReading $reading, string $requestsKey, string $tokensKey, bool $requestsSet, bool $tokensSet): array
    {
        $retry = $reading->retryAfterMs ?? 0;
        $words = [
            $requestsKey => self::word($reading->requests, $requestsSet, $retry),
            $tokensKey => self::word($reading->tokens, $tokensSet, $retry),
        ];
        return array_filter($words, static fn (BucketWord $w): bool => !$w->isEmpty());
    }

    private static function word(?BudgetReading $budget, bool $set, int $retryMs): BucketWord
    {
        [$rate, $burst] = $budget?->limit !== null && !$set ? MinuteBudget::bucket((float) $budget->limit) : [0.0, 0.0];
        $pause = $retryMs;
        if ($budget !== null && $budget->remaining !== null && $budget->remaining < 1 && $budget->resetMs !== null) {
            // Used up: the reset is when it is whole again; one unit comes back after reset / (what is missing).
            $missing = $budget->limit !== null ? max(1, $budget->limit - $budget->remaining) : 1;
            $pause = max($pause, (int) ceil($budget->resetMs / $missing));
        }
        return new BucketWord($budget?->remaining !== null ? (float) $budget->remaining : null, $pause, $rate, $burst);
    }
}
