<?php
/**
 * A slot a backend granted: the token releases or renews it.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

final class Slot
{
    /**
     * @param array<string,int> $limits the keys it holds and the limits it was taken under
     * @param mixed             $handle backend-private (e.g. the extension's Lease object)
     */
    public function __construct(
        public readonly string $token,
        public readonly array $limits,
        public readonly mixed $handle = null,
    ) {
    }
}
