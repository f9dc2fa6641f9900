<?php
/**
 * One lease as operators see it on a key.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

final class Holder
{
    public function __construct(
        public readonly string $token,
        public readonly int $pid,
        public readonly string $label,
        public readonly int $ageMs,
        public readonly int $ttlLeftMs,
        /** A provider request is open: if the holder dies, the slot drains for drainLeftMs. */
        public readonly bool $requestOpen,
        public readonly int $drainLeftMs,
    ) {
    }
}
