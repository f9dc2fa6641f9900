<?php
/**
 * What a shared store does with its token buckets besides taking them with
 * the slots (which its acquire does): refunds and extra charges, the
 * provider's word, the operators' list. DatabaseBuckets and RedisBuckets;
 * their backends pass RateBuckets' calls on (ForwardsBuckets).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

interface BucketStore
{
    public function adjust(string $key, float $tokens): void;

    public function observe(string $key, BucketWord $word): void;

    /** @return array<string, BudgetStatus> */
    public function budgets(): array;
}
