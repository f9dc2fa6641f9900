<?php
/**
 * The stand-in for a store that this process cannot use (the extension's
 * segment refused it, the extension is not loaded here while the site's
 * store is native, Redis is unreachable with no fallback, ...), so that the
 * gate still sees AI work here and never lets it through silently. Either
 * every acquire is refused with the reason store_unusable, so AI work waits
 * as a copy on its timer for a process that can use the store (when another
 * kind of process of the site ran the queue through it lately), or every
 * acquire throws, so the gate runs the work ungated and counts it (when no
 * process of the site could use the store lately, or the operator chose to
 * run ungated): Plugin::gate() decides which.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class UnusableStore implements Backend, OperatorView
{
    public function __construct(
        private readonly string $reason,
        /** True: refuse (AI work waits for a process that can use the store); false: throw (it runs ungated, counted). */
        private readonly bool $defer,
    ) {
    }

    public function name(): string
    {
        return 'none';
    }

    public function unavailableReason(): string
    {
        return $this->reason;
    }

    public function tryAcquire(array $limits, int $ttl, string $label): Refusal
    {
        if (!$this->defer) {
            throw new StoreUnusableException($this->reason);
        }
        return new Refusal((string) array_key_first($limits), 0, 0, Refusal::STORE_UNUSABLE);
    }

    public function release(Lease $lease): bool
    {
        return false;
    }

    public function renew(Lease $lease, int $ttl): bool
    {
        return false;
    }

    public function requestStarted(Lease $lease, int $maxSeconds, int $renewTtl = 0): bool
    {
        return false;
    }

    public function requestFinished(Lease $lease): bool
    {
        return false;
    }

    public function operatorView(): OperatorView
    {
        return $this;
    }

    public function keys(): array
    {
        return [];
    }

    public function releaseToken(string $token): bool
    {
        return false;
    }

    public function reset(string $key): int
    {
        return 0;
    }

    public function sweep(): int
    {
        return 0;
    }
}
