<?php
/** One queue of the waiting line (a blog's tickets of one tenant for one key set), as operators see it. */

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
        /** The install and blog whose actions these are ("<install>/<blog>", Scope; "" when the store does not say). */
        public readonly string $scope = '',
    ) {
    }
}
