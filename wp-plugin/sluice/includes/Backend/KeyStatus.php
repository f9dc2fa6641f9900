<?php
/**
 * One key as operators see it: its limit, what it holds now, its counters.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

final class KeyStatus
{
    /** @param list<Holder> $holders */
    public function __construct(
        public readonly string $key,
        public readonly int $limit,
        public readonly int $active,
        public readonly int $peak,
        public readonly int $acquired,
        public readonly int $throttled,
        public readonly int $released,
        public readonly int $reclaimedDead,
        public readonly int $reclaimedExpired,
        public readonly array $holders,
    ) {
    }
}
