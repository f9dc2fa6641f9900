<?php
/** One ticket of the waiting line, as operators see it. */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class TicketStatus
{
    public function __construct(
        public readonly string $ticket,
        public readonly int $ref,
        /** 'waiting' or 'reserved' (a slot is held for it until its copy runs). */
        public readonly string $state,
        public readonly int $ageMs,
        public readonly int $firstDeferredAt,
        public readonly int $reservedLeftMs,
        public readonly int $effectiveWeight,
    ) {
    }
}
