<?php
/**
 * One provider's protection as operators see it (the status page, `wp sluice
 * status`, REST): the ceiling (its configured limit) and the limit in force,
 * whether it adapts, the last congestion signal and when, the latency
 * baseline, and the circuit breaker's state, why it opened and when the next
 * probe may go. Times are unix seconds (null: never).
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

defined('ABSPATH') || exit;

final class ProviderReport
{
    public function __construct(
        public readonly string $provider,
        public readonly string $key,
        public readonly int $ceiling,
        public readonly int $effectiveLimit,
        public readonly bool $adaptive,
        public readonly ?string $lastSignal,
        public readonly ?float $lastSignalAt,
        public readonly int $baselineMs,
        public readonly bool $breaker,
        /** closed, open or half_open (CircuitPhase); while open no call goes, whatever the limit. */
        public readonly string $circuit,
        public readonly int $failures,
        public readonly ?string $circuitReason,
        public readonly ?float $openedAt,
        public readonly ?float $nextProbeAt,
        public readonly int $cooldownSeconds,
        public readonly int $opens,
        public readonly int $cooldowns,
        /** Why the state could not be read (the store failed), else null. */
        public readonly ?string $error = null,
    ) {
    }
}
