<?php
/** A hand-off: a slot is reserved for this ticket, whose scheduled copy (ref) must run now. */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class Wake
{
    public function __construct(
        public readonly string $ticket,
        public readonly int $ref,
        public readonly int $reservedLeftMs,
    ) {
    }
}
