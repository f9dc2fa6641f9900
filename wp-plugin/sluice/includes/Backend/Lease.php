<?php
/**
 * A lease a backend granted: one slot on each of its keys, held until it is
 * released, reclaimed (dead owner, expiry) or reset. The token names it to
 * operators and to the admin tools.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class Lease
{
    /** waitedMs: the action had no ticket in the waiting line (it was not waiting there). */
    public const NO_TICKET = -1;
    /** waitedMs: the action came with its ticket, the store did not say since when (the database backend). */
    public const WAIT_NOT_KNOWN = -2;

    /**
     * @param array<string,int> $limits the keys it holds and the limits it was taken under
     * @param mixed             $handle backend-private (e.g. the extension's \Sluice\Lease object)
     * @param int               $waitedMs a lease for a scheduled action: ms since its ticket's first deferral, or
     *                                    NO_TICKET / WAIT_NOT_KNOWN (the capacity counters' wait and arrivals)
     */
    public function __construct(
        public readonly string $token,
        public readonly array $limits,
        public readonly mixed $handle = null,
        public readonly int $waitedMs = self::NO_TICKET,
    ) {
    }
}
