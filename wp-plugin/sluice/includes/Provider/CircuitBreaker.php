<?php
/**
 * The circuit breaker's rules: closed until `failureThreshold` consecutive
 * failures (transport errors or 5xx: Signal::isFailure()); then open for a
 * cool-down, during which no AI step calls the provider; after it, half-open:
 * one AI step goes through as the probe. Its answer closes the breaker; its
 * failure opens it again with the cool-down doubled, up to `maxCooldownMs`.
 * A request that started before the breaker opened says nothing about the
 * provider now: its outcome is ignored while the breaker is open. Pure:
 * state in, state out; times are the store's clock in milliseconds.
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

defined('ABSPATH') || exit;

final class CircuitBreaker
{
    public function __construct(
        public readonly int $failureThreshold = 5,
        public readonly int $cooldownMs = 30_000,
        public readonly int $maxCooldownMs = 600_000,
    ) {
    }

    public function phase(ProviderState $state, int $nowMs): CircuitPhase
    {
        if (!$state->isOpen()) {
            return CircuitPhase::Closed;
        }
        return $nowMs >= $state->nextProbeMs ? CircuitPhase::HalfOpen : CircuitPhase::Open;
    }

    /**
     * Whether a response to a request that started at $startedMs counts:
     * while open, only requests sent since it opened (the probe) do.
     */
    public function counts(ProviderState $state, int $startedMs): bool
    {
        return !$state->isOpen() || $startedMs >= $state->openedMs;
    }

    /**
     * A failure. Closed: one more consecutive failure, and at the threshold the
     * breaker opens (remembering the limit in force, $limitNow). Open, for a
     * request sent since it opened (a failed probe): open again for twice the
     * cool-down.
     */
    public function afterFailure(ProviderState $state, Signal $signal, int $nowMs, int $limitNow): ProviderState
    {
        if ($state->isOpen()) {
            $cooldown = min($this->maxCooldownMs, max($this->cooldownMs, $state->cooldownMs * 2));
            return $state->with([
                'nextProbeMs' => $nowMs + $cooldown,
                'cooldownMs' => $cooldown,
                'circuitReason' => $signal,
                'cooldowns' => $state->cooldowns + 1,
            ]);
        }
        $failures = $state->failures + 1;
        if ($failures < $this->failureThreshold) {
            return $state->with(['failures' => $failures]);
        }
        return $state->with([
            'circuit' => ProviderState::OPEN,
            'failures' => $failures,
            'openedMs' => $nowMs,
            'nextProbeMs' => $nowMs + $this->cooldownMs,
            'cooldownMs' => $this->cooldownMs,
            'circuitReason' => $signal,
            'limitBeforeOpen' => $limitNow,
            'opens' => $state->opens + 1,
            'cooldowns' => $state->cooldowns + 1,
        ]);
    }

    /** The provider answered (anything but a failure): the failure count starts again; an open breaker closes. */
    public function afterAnswer(ProviderState $state): ProviderState
    {
        if (!$state->isOpen()) {
            return $state->failures === 0 ? $state : $state->with(['failures' => 0]);
        }
        return $state->with(['circuit' => ProviderState::CLOSED, 'failures' => 0, 'cooldownMs' => 0, 'nextProbeMs' => 0]);
    }
}
