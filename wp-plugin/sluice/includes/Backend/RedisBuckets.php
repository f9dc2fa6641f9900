<?php
/**
 * The Redis backend's token buckets (rate budgets): a hash per key (b:<key>,
 * RedisLua/common.lua), the extension's rules (BucketRules), every instant
 * Redis's own clock (TIME), so the hosts sharing this Redis agree on each
 * refill whatever their clocks say. The acquire script takes them with the
 * slots (takes() gives its arguments); refunds and extra charges, the
 * provider's word and the operators' list are one script each.
 *
 * @internal RedisBackend's
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class RedisBuckets implements BucketStore
{
    public function __construct(private readonly RedisStore $store)
    {
    }

    /**
     * The acquire script's bucket arguments: key, rate, burst, tokens for each.
     *
     * @param array<string, array{rate: float, burst: float, tokens: float}> $buckets
     * @return list<string>
     */
    public static function takes(array $buckets): array
    {
        $takes = [];
        foreach ($buckets as $key => $take) {
            array_push($takes, (string) $key, BucketRules::number($take['rate']), BucketRules::number($take['burst']), BucketRules::number($take['tokens']));
        }
        return $takes;
    }

    public function adjust(string $key, float $tokens): void
    {
        $tokens = max(-1e9, min(1e9, $tokens));
        if ($tokens != 0 && !is_nan($tokens)) {
            $this->store->call('bucketadjust', [$key, sprintf('%.17g', $tokens)]);
        }
    }

    public function observe(string $key, BucketWord $word): void
    {
        if ($word->isEmpty()) {
            return;
        }
        $learned = $word->learnedRate > 0;
        $this->store->call('bucketobserve', [
            $key,
            $word->atMost === null ? '' : BucketRules::number(max(0.0, min(1e9, $word->atMost))),
            max(0, min(3_600_000, $word->pauseMs)),
            $learned ? BucketRules::number($word->learnedRate) : '0',
            $learned ? BucketRules::number($word->learnedBurst) : '0',
        ]);
    }

    /** @return array<string, BudgetStatus> every bucket with a budget or a pause */
    public function budgets(): array
    {
        $reply = $this->store->call('buckets', []);
        if (!is_array($reply) || $reply === []) {
            throw new RedisBackendException('Sluice\'s Redis script buckets answered ' . var_export($reply, true));
        }
        $nowUs = (int) array_shift($reply);
        $budgets = [];
        foreach (array_chunk($reply, 9) as [$key, $rate, $burst, $lrate, $lburst, $full, $pause, $takes, $refusals]) {
            $set = (float) $rate > 0;
            $r = $set ? (float) $rate : (float) $lrate;
            $b = $set ? (float) $burst : (float) $lburst;
            if ($r <= 0 && (int) $pause <= $nowUs) {
                continue;
            }
            $budgets[(string) $key] = new BudgetStatus(
                key: (string) $key,
                perMinute: round($r * 60 + $b, 2),
                source: $set ? 'set' : ($r > 0 ? 'provider' : ''),
                level: round(BucketRules::level($r, $b, (int) $full, $nowUs), 2),
                pausedUntil: (int) $pause > $nowUs ? (int) ceil((int) $pause / 1e6) : 0,
                takes: (int) $takes,
                refusals: (int) $refusals,
            );
        }
        ksort($budgets, SORT_STRING);
        return $budgets;
    }
}
