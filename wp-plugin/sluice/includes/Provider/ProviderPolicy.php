<?php
/**
 * One provider's protection, both rules together: what an AI step may do
 * now (admission(): the limit in force on the provider key, or no call until
 * the next probe) and what one response changes (afterResponse()). Either
 * rule can be off: without the adaptive limit the limit in force is the
 * ceiling; without the breaker failures only lower the limit. Pure.
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

defined('ABSPATH') || exit;

final class ProviderPolicy
{
    public function __construct(
        public readonly AdaptiveLimit $adaptive,
        public readonly CircuitBreaker $breaker,
        public readonly bool $adaptiveOn = true,
        public readonly bool $breakerOn = true,
    ) {
    }

    /** What the provider key allows now, given the operator's limit (the ceiling). */
    public function admission(ProviderState $state, int $ceiling, int $nowMs): Admission
    {
        $phase = $this->breakerOn ? $this->breaker->phase($state, $nowMs) : CircuitPhase::Closed;
        return match ($phase) {
            CircuitPhase::Open => new Admission($phase, 0, $state->nextProbeMs),
            // Half-open: the provider key holds one slot, so exactly one step at a time goes through as the probe.
            CircuitPhase::HalfOpen => new Admission($phase, 1, $state->nextProbeMs),
            CircuitPhase::Closed => new Admission($phase, $this->limitInForce($state, $ceiling), 0),
        };
    }

    public function limitInForce(ProviderState $state, int $ceiling): int
    {
        return $this->adaptiveOn ? $this->adaptive->current($state, $ceiling) : max(1, $ceiling);
    }

    /**
     * One response of the provider: $signal as SignalClassifier read it, for a
     * request sent at $startedMs that took $durationMs (store clock).
     */
    public function afterResponse(ProviderState $state, int $ceiling, Signal $signal, int $startedMs, int $durationMs, int $nowMs): ProviderState
    {
        if ($signal === Signal::Success && $this->adaptive->isSlow($state, $durationMs)) {
            $signal = Signal::Slow;
        }
        $state = $this->adaptive->observe($state, $durationMs, $signal->providerAnswered(), $signal === Signal::Slow);
        if ($this->breakerOn) {
            if (!$this->breaker->counts($state, $startedMs)) {
                return $state; // sent before the breaker opened: says nothing about the provider now
            }
            if ($state->isOpen()) {
                if ($signal->isFailure()) {
                    return $this->breaker->afterFailure($state, $signal, $nowMs, 0);
                }
                // The probe was answered: closed again, from the limit it had before, decreased once.
                $state = $this->breaker->afterAnswer($state);
                return $this->adaptiveOn ? $this->adaptive->afterRecovery($state, $ceiling, $nowMs) : $state;
            }
            $state = $signal->isFailure()
                ? $this->breaker->afterFailure($state, $signal, $nowMs, $this->limitInForce($state, $ceiling))
                : ($signal === Signal::RateLimited ? $state : $this->breaker->afterAnswer($state));
            if ($state->isOpen()) {
                return $state->with(['signal' => $signal, 'signalMs' => $nowMs]);
            }
        }
        if (!$this->adaptiveOn) {
            return $signal->isCongestion() ? $state->with(['signal' => $signal, 'signalMs' => $nowMs]) : $state;
        }
        return match (true) {
            $signal->isCongestion() => $this->adaptive->afterCongestion($state, $ceiling, $signal, $nowMs),
            $signal === Signal::Success => $this->adaptive->afterSuccess($state, $ceiling, $nowMs),
            default => $state,
        };
    }
}
