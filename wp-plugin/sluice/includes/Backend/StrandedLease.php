<?php
/**
 * A lease reclaimed because its holder died, with the id of the action it was
 * running, as WaitingLine::takeStranded() claimed it: $claim names that claim
 * for ackStranded() and returnStranded() (what it holds is the store's).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class StrandedLease
{
    public function __construct(
        public readonly int $ref,
        public readonly string $label,
        public readonly int $pid,
        public readonly string $claim = '',
    ) {
    }
}
