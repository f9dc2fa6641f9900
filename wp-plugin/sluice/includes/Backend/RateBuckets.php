<?php
/**
 * A store that keeps token buckets (rate budgets) beside its slots, with the
 * same rules everywhere (the extension's src/sluice/rate_bucket.hpp;
 * BucketRules): the native backend (the extension's segment), the database
 * backend (DatabaseBuckets: the database server's clock) and the Redis
 * backend (RedisBuckets: Redis's clock). The contract:
 * php-tests/wp/Backend/RateBucketsContractTestCase.php.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

interface RateBuckets
{
    /**
     * tryAcquire() (or, with $ref, tryAcquireFor()) that also takes from rate
     * budgets in the same all-or-nothing call: the slots and the tokens of
     * one AI step, or none of them. A bucket that must refill first refuses
     * with reason rate_budget and when it will have.
     *
     * @param array<string,int>                                        $limits
     * @param array<string, array{rate: float, burst: float, tokens: float}> $buckets key => its budget (rate 0: the
     *        budget the provider's headers announced, or none) and the tokens this acquire takes
     */
    public function tryAcquireTaking(array $limits, int $ttl, string $label, ?int $ref, array $buckets): Lease|Refusal;

    /**
     * WaitingLine::enqueue() for work deferred for a rate budget: the ticket
     * keeps (or takes) its place and age but is handed no slot until its
     * action shows up again (its copy's timer, set to when the bucket will
     * have refilled): free slots would otherwise wake it before its budget.
     *
     * @param array<string,int> $limits
     * @throws LineFullException when the line is full
     */
    public function enqueueHeld(array $limits, int $ref, string $tenant, int $weight, int $firstDeferredAt): Ticket;

    /** Tokens back into the key's bucket (> 0, a refund) or out of it (< 0, an extra charge: it may leave a debt). */
    public function adjustBucket(string $key, float $tokens): void;

    /** Tells the key's bucket what the provider said about the budget behind it (its rate-limit headers). */
    public function observeBucket(string $key, BucketWord $word): void;

    /** @return array<string, BudgetStatus> every key's bucket that has a budget or a pause, by key name */
    public function budgets(): array;
}
