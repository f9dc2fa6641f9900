<?php
/** One queue of the waiting line (a tenant's tickets for one key set), as operators see it. */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class QueueStatus
{
    /**
     * @param array<string,int>  $keys    key => limit
     * @param list<TicketStatus> $tickets in service order
     */
    public function __construct(
        public readonly string $tenant,
        public readonly int $weight,
        public readonly array $keys,
        public readonly array $tickets,
    ) {
    }
}
