<?php
/**
 * Where slots live. The gate talks to slots only through this interface, so a
 * site without the extension (or a cluster) can swap the store, and one
 * contract test suite runs against every implementation.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

interface Backend
{
    /** Short machine name: "native", "database", ... */
    public function name(): string;

    /** Null when usable; otherwise why not, in words an operator can act on. */
    public function unavailableReason(): ?string;

    /**
     * Takes one slot on every key, or none (all-or-nothing). Keep the Slot
     * while the work runs: a backend may release a slot whose Slot object is
     * dropped (the native one does, so a forgotten slot never outlives its work).
     *
     * @param array<string,int> $limits key => limit (>= 1), 1 to 4 keys
     * @param int               $ttl    seconds the slot lives unless renewed
     * @param string            $label  shown to operators (job, step, provider)
     */
    public function tryAcquire(array $limits, int $ttl, string $label): Slot|Refusal;

    /** False when the slot was no longer held (released, reclaimed, reset). */
    public function release(Slot $slot): bool;

    /** Pushes the slot's expiry to now + $ttl; false when no longer held. */
    public function renew(Slot $slot, int $ttl): bool;

    /**
     * Per key: limit, active, peak, waiters, counters and holders.
     *
     * @return array<string, array<string, mixed>>
     */
    public function status(): array;

    /** Drops every slot of a key; returns how many. */
    public function reset(string $key): int;

    /** Releases a slot by its token (admin tools). */
    public function releaseToken(string $token): bool;
}
