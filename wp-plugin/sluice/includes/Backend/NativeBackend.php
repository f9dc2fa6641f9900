<?php
/**
 * Slots in the host's shared memory, through the sluice extension: one
 * segment for every PHP-FPM worker and CLI runner of the host, ~100 ns a pair,
 * and slots of killed workers come back on the next acquire.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

final class NativeBackend implements Backend
{
    /** @var array<string, \Sluice\Limiter> one limiter per (limits, ttl), reused across actions */
    private array $limiters = [];

    public function name(): string
    {
        return 'native';
    }

    public function unavailableReason(): ?string
    {
        if (!extension_loaded('sluice')) {
            return 'the sluice PHP extension is not loaded in this PHP (add extension=sluice.so to its php.ini)';
        }
        try {
            \Sluice\segment_info();
        } catch (\Sluice\Exception $e) {
            return $e->getMessage();
        }
        return null;
    }

    public function tryAcquire(array $limits, int $ttl, string $label): Slot|Refusal
    {
        $id = serialize([$limits, $ttl]);
        $limiter = $this->limiters[$id] ??= new \Sluice\Limiter($limits, $ttl);
        $lease = $limiter->tryAcquire($label);
        if ($lease === null) {
            $why = $limiter->lastRefusal();
            return new Refusal((string) $why['key'], (int) $why['limit'], (int) $why['active']);
        }
        return new Slot($lease->token(), $limits, $lease);
    }

    public function release(Slot $slot): bool
    {
        return $slot->handle instanceof \Sluice\Lease ? $slot->handle->release() : \Sluice\release($slot->token);
    }

    public function renew(Slot $slot, int $ttl): bool
    {
        return $slot->handle instanceof \Sluice\Lease ? $slot->handle->renew($ttl) : \Sluice\renew($slot->token, $ttl);
    }

    public function status(): array
    {
        return \Sluice\status();
    }

    public function reset(string $key): int
    {
        return \Sluice\reset($key);
    }

    public function releaseToken(string $token): bool
    {
        return \Sluice\release($token);
    }
}
