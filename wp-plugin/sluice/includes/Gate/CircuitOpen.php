<?php
/**
 * A provider whose circuit breaker is open: no AI step calls it until the
 * next probe. What a deferral, an AI call's error and the operators need:
 * the provider, its key, why it opened (the failure that opened it, as
 * Provider\Signal names it), and the seconds until a probe may go.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

final class CircuitOpen
{
    public const REASON = 'provider_circuit_open';

    public function __construct(
        public readonly string $provider,
        public readonly string $key,
        /** The failure that opened it: timeout, transport, 503, 529, 5xx. */
        public readonly string $cause,
        public readonly float $secondsToProbe,
        /** The cool-down it is in (seconds), for spreading the deferred steps over its start. */
        public readonly int $cooldownSeconds,
    ) {
    }

    /** What an AI call refused by it reads (a WP_Error's message, an exception's). */
    public function message(): string
    {
        return sprintf(
            'Sluice: the circuit of AI provider "%s" is open after repeated failures (%s); it is not called until a probe in %d s (reason %s)',
            $this->provider,
            $this->cause,
            (int) ceil($this->secondsToProbe),
            self::REASON,
        );
    }
}
