<?php
/**
 * How many actions ran ungated because the lease store failed (UngatedCounter).
 */

declare(strict_types=1);

namespace SluiceWP\Status;

defined('ABSPATH') || exit;

final class UngatedCount
{
    public function __construct(
        public readonly int $count,
        /** Unix seconds of the first and the last one (0: none). */
        public readonly int $firstAt,
        public readonly int $lastAt,
        public readonly string $lastError,
        public readonly int $lastAction,
    ) {
    }

    /** The last one was recent enough for health to be degraded. */
    public function recent(): bool
    {
        return $this->lastAt > 0 && time() - $this->lastAt < UngatedCounter::DEGRADED_FOR_SECONDS;
    }
}
