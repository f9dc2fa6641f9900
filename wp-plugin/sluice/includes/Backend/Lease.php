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
    /**
     * @param array<string,int> $limits the keys it holds and the limits it was taken under
     * @param mixed             $handle backend-private (e.g. the extension's \Sluice\Lease object)
     */
    public function __construct(
        public readonly string $token,
        public readonly array $limits,
        public readonly mixed $handle = null,
    ) {
    }
}
