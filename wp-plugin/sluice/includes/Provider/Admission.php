<?php
/**
 * What a provider allows an AI step now (ProviderPolicy::admission()): the
 * breaker's phase, the limit to take the provider key under (the adaptive
 * limit; 1 while half-open; 0 while open: no call at all) and, while open,
 * when the next probe may go (store clock, ms).
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

defined('ABSPATH') || exit;

final class Admission
{
    public function __construct(
        public readonly CircuitPhase $phase,
        public readonly int $limit,
        public readonly int $nextProbeMs,
    ) {
    }

    public function callsAllowed(): bool
    {
        return $this->phase !== CircuitPhase::Open;
    }
}
