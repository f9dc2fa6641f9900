<?php
/**
 * One slot row of the database backend, as an acquire or a sweep read it.
 *
 * @internal DatabaseBackend's
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseSlot
{
    public function __construct(
        public readonly int $slot,
        public string $token,
        public readonly string $hostId,
        public readonly int $pid,
        public readonly int $startTime,
        public readonly int $expiresMs,
        public readonly int $requestUntilMs,
        /** The scheduled action the lease runs (0 when unknown); a reservation's is its ticket's. */
        public readonly int $ref = 0,
        /** A slot reserved for a woken ticket (token = the ticket's): no owner, it lapses by its expiry. */
        public readonly bool $reserved = false,
        public readonly string $label = '',
        public readonly string $leaseKey = '',
        /** The install and blog of the holder, or of the ticket a reservation is for. */
        public readonly ?Scope $scope = null,
        /** The limit its last grant was taken under (0: never granted). */
        public readonly int $limit = 0,
    ) {
    }

    /** @param array<string, mixed> $row */
    public static function fromDb(array $row): self
    {
        return new self(
            (int) ($row['slot'] ?? 0),
            (string) $row['token'],
            (string) $row['host_id'],
            (int) $row['pid'],
            (int) $row['start_time'],
            (int) $row['expires_ms'],
            (int) $row['request_until_ms'],
            (int) ($row['ref'] ?? 0),
            (bool) (int) ($row['reserved'] ?? 0),
            (string) ($row['label'] ?? ''),
            (string) ($row['lease_key'] ?? ''),
            new Scope((string) ($row['install'] ?? ''), (int) ($row['blog_id'] ?? 0)),
            (int) ($row['limit_n'] ?? 0),
        );
    }

    public static function free(int $slot): self
    {
        return new self($slot, '', '', 0, 0, 0, 0);
    }

    /**
     * Why this lease may be taken back now: 'expired' (its TTL ran out, even
     * with a request open; a reservation past its window), 'dead' (its owner
     * is on this host and gone, and no provider request of it can still be
     * running), or null.
     */
    public function reclaimable(int $nowMs, LocalProcess $me): ?string
    {
        if ($this->token === '') {
            return null;
        }
        if ($this->expiresMs <= $nowMs) {
            return 'expired';
        }
        if (!$this->reserved && $this->requestUntilMs <= $nowMs && $me->ownerIsDead($this->hostId, $this->pid, $this->startTime)) {
            return 'dead';
        }
        return null;
    }
}
