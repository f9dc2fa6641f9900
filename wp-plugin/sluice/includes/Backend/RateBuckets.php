<?php
/**
 * A store that keeps token buckets (rate budgets) beside its slots. Today the
 * native backend (the extension's segment); the database and Redis backends
 * keep none yet, so a provider's rate-limit headers are not recorded there.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

interface RateBuckets
{
    /** Tells the key's bucket what the provider said about the budget behind it (its rate-limit headers). */
    public function observeBucket(string $key, BucketWord $word): void;
}
