<?php
/**
 * Leases in the host's shared memory, through the sluice extension: one
 * segment for every PHP-FPM worker and CLI runner of the host, ~100 ns a pair,
 * and leases of killed workers come back on the next acquire (after draining
 * an open provider request).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

final class NativeBackend implements Backend, OperatorView
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

    public function tryAcquire(array $limits, int $ttl, string $label): Lease|Refusal
    {
        $id = serialize([$limits, $ttl]);
        $limiter = $this->limiters[$id] ??= new \Sluice\Limiter($limits, $ttl);
        $lease = $limiter->tryAcquire($label);
        if ($lease === null) {
            $why = $limiter->lastRefusal() ?? ['key' => '', 'limit' => 0, 'active' => 0];
            return new Refusal((string) $why['key'], (int) $why['limit'], (int) $why['active']);
        }
        return new Lease($lease->token(), $limits, $lease);
    }

    public function release(Lease $lease): bool
    {
        return $this->handle($lease)?->release() ?? \Sluice\release($lease->token);
    }

    public function renew(Lease $lease, int $ttl): bool
    {
        return $this->handle($lease)?->renew($ttl) ?? \Sluice\renew($lease->token, $ttl);
    }

    public function requestStarted(Lease $lease, int $maxSeconds): bool
    {
        return $this->handle($lease)?->requestStarted($maxSeconds) ?? \Sluice\request_started($lease->token, $maxSeconds);
    }

    public function requestFinished(Lease $lease): bool
    {
        return $this->handle($lease)?->requestFinished() ?? \Sluice\request_finished($lease->token);
    }

    public function operatorView(): OperatorView
    {
        return $this;
    }

    public function keys(): array
    {
        $keys = [];
        foreach (\Sluice\status() as $key => $row) {
            $holders = [];
            foreach ($row['holders'] as $h) {
                if ($h['waiting']) {
                    continue; // a process blocked in acquire() holds nothing yet
                }
                $holders[] = new Holder(
                    (string) $h['token'],
                    (int) $h['pid'],
                    (string) $h['label'],
                    (int) $h['age_ms'],
                    (int) $h['ttl_left_ms'],
                    (bool) $h['request_open'],
                    (int) $h['drain_left_ms'],
                );
            }
            $keys[(string) $key] = new KeyStatus(
                (string) $key,
                (int) $row['limit'],
                (int) $row['active'],
                (int) $row['peak'],
                (int) $row['acquired'],
                (int) $row['throttled'],
                (int) $row['released'],
                (int) $row['reclaimed_dead'],
                (int) $row['reclaimed_expired'],
                $holders,
            );
        }
        return $keys;
    }

    public function releaseToken(string $token): bool
    {
        return \Sluice\release($token);
    }

    public function reset(string $key): int
    {
        return \Sluice\reset($key);
    }

    public function sweep(): int
    {
        $swept = \Sluice\sweep();
        return $swept['reclaimed_dead'] + $swept['reclaimed_expired'];
    }

    private function handle(Lease $lease): ?\Sluice\Lease
    {
        return $lease->handle instanceof \Sluice\Lease ? $lease->handle : null;
    }
}
