<?php
/**
 * The lease store contract. The gate takes, renews and gives back leases only
 * through this interface, so a site without the extension (or a cluster) can
 * swap the store, and one contract suite runs against every implementation
 * (as Symfony's lock stores are tested). What operators see lives in
 * OperatorView, beside it.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

interface Backend
{
    /** Short machine name: "native", "database", ... */
    public function name(): string;

    /** Null when usable; otherwise why not, in words an operator can act on. */
    public function unavailableReason(): ?string;

    /**
     * Takes one slot on every key, or none (all-or-nothing). Keep the Lease
     * while the work runs: a backend may release a lease whose object is
     * dropped (the native one does, so a forgotten lease never outlives its work).
     *
     * @param array<string,int> $limits key => limit (>= 1), 1 to 4 keys
     * @param int               $ttl    seconds the lease lives unless renewed
     * @param string            $label  shown to operators (action, job, step, provider)
     */
    public function tryAcquire(array $limits, int $ttl, string $label): Lease|Refusal;

    /** False when the lease was no longer held (released, reclaimed, reset). */
    public function release(Lease $lease): bool;

    /** Pushes the lease's expiry to now + $ttl; false when no longer held. */
    public function renew(Lease $lease, int $ttl): bool;

    /**
     * A provider request of the holder starts now and may take up to
     * $maxSeconds. If the holder dies before requestFinished(), its slot drains:
     * it stays taken until then, because the provider keeps serving an orphaned
     * request. With $renewTtl above 0 the lease is also renewed to now +
     * $renewTtl (renew()), in the same write where the store can. False when
     * the lease is no longer held.
     */
    public function requestStarted(Lease $lease, int $maxSeconds, int $renewTtl = 0): bool;

    /** The holder's provider request answered (or failed): a death now frees the slot at once. */
    public function requestFinished(Lease $lease): bool;

    /** What operators see and do: holders, counters, release by token, reset. */
    public function operatorView(): OperatorView;
}
