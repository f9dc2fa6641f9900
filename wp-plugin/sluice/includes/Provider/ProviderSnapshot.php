<?php
/** A provider's state as one read of the store found it, with the store's clock at that read (ms) and the key's cap for the waiting line. */

declare(strict_types=1);

namespace SluiceWP\Provider;

defined('ABSPATH') || exit;

final class ProviderSnapshot
{
    public function __construct(
        public readonly ProviderState $state,
        public readonly int $version,
        public readonly int $nowMs,
        public readonly int $cap = 0,
    ) {
    }
}
