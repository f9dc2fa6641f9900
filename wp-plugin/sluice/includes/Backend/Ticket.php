<?php
/**
 * A deferred action's place in the waiting line, with what its delay is
 * estimated from: the tickets ahead, the keys' limit and mean hold time.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class Ticket
{
    public function __construct(
        public readonly string $token,
        /** False when the action already had a ticket (a copy deferred again). */
        public readonly bool $isNew,
        public readonly int $ahead,
        public readonly int $limit,
        public readonly int $meanHoldMs,
    ) {
    }

    /** Seconds until this ticket's turn: tickets ahead ÷ limit × mean hold time. */
    public function estimatedWaitSeconds(): float
    {
        return $this->limit > 0 ? ($this->ahead + 1) / $this->limit * $this->meanHoldMs / 1000 : 0.0;
    }
}
