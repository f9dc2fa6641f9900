<?php
/**
 * RateBuckets' refunds, the provider's word and the operators' list, passed
 * on to the store's buckets (the database and Redis backends; their acquire
 * takes the tokens with the slots itself).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

trait ForwardsBuckets
{
    abstract protected function bucketStore(): BucketStore;

    public function adjustBucket(string $key, float $tokens): void
    {
        $this->bucketStore()->adjust($key, $tokens);
    }

    public function observeBucket(string $key, BucketWord $word): void
    {
        $this->bucketStore()->observe($key, $word);
    }

    public function budgets(): array
    {
        return $this->bucketStore()->budgets();
    }
}
