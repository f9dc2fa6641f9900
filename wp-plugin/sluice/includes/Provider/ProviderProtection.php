<?php
/**
 * Each provider's protection at run time: its adaptive limit and circuit
 * breaker (ProviderPolicy's rules) over the state the lease store keeps
 * beside its provider key (ProviderStates). The gate, the AI calls that are
 * not queued actions and a step taking its slot back ask limits() before they
 * take the provider's key (the Gate\ProviderGuard); every provider response
 * is counted by record(). Each state written also sets the key's cap for the
 * waiting line (the limit in force; no hand-off while the circuit is open),
 * so steps that waited in line are woken only into the room the provider has
 * now. A provider needs a provider limit (the ceiling) to be protected; a
 * store that fails leaves its configured limit in force and says so in the
 * PHP error log.
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

use SluiceWP\Backend\LeaseArguments;
use SluiceWP\Backend\RecordStore;
use SluiceWP\Gate\CircuitOpen;
use SluiceWP\Gate\KeyNames;
use SluiceWP\Gate\ProviderGuard;
use SluiceWP\Settings\Config;

defined('ABSPATH') || exit;

final class ProviderProtection implements ProviderGuard
{
    /** A state this process read this recently is fresh enough for circuitOpen() (a step's request right after its admission). */
    private const FRESH_SECONDS = 1.0;
    /** A full key is noted at most this often per provider (its time only says the limit binds). */
    private const BINDING_WRITE_MS = 1000;

    /** @var array<string, ProviderPolicy> by provider */
    private array $policies = [];
    /** @var array<string, array{float, ProviderSnapshot}> key => when this process read it, and what */
    private array $recent = [];

    public function __construct(
        private readonly ProviderStates $states,
        private readonly Config $config,
        private readonly KeyNames $keys,
        private readonly ?ProviderEvents $events = null,
    ) {
    }

    public function limits(string $provider, string $mode, array $limits): array|CircuitOpen
    {
        $modeLimit = $mode !== '' ? $this->config->modeLimit($mode) : 0;
        if ($modeLimit > 0 && count($limits) < LeaseArguments::MAX_KEYS) {
            $limits[$this->keys->mode($mode)] = min(LeaseArguments::MAX_LIMIT, $modeLimit);
        }
        $key = $this->key($provider);
        $ceiling = $key !== null ? ($limits[$key] ?? 0) : 0;
        if ($key === null || $ceiling <= 0 || !$this->isProtected($provider)) {
            return $limits;
        }
        $policy = $this->policy($provider);
        try {
            $snapshot = $this->read($key);
            if ($snapshot->cap !== self::capOf($policy, $snapshot->state, $ceiling)) {
                // First use, or the operator changed the ceiling: the waiting line learns the limit in force.
                $this->states->update($key, static fn (ProviderState $s): ProviderState => $s, static fn (ProviderState $s): int => self::capOf($policy, $s, $ceiling));
            }
        } catch (\Throwable $e) {
            error_log("Sluice: could not read the protection state of AI provider \"{$provider}\" (its configured limit of {$ceiling} applies): " . $e->getMessage());
            return $limits;
        }
        $admission = $policy->admission($snapshot->state, $ceiling, $snapshot->nowMs);
        if (!$admission->callsAllowed()) {
            return self::open($provider, $key, $snapshot, $admission);
        }
        $limits[$key] = $admission->limit;
        return $limits;
    }

    /**
     * Whether the provider's circuit is open now (a running step checks before
     * each request: a state read within the last second serves, unless
     * $fresh). Null: calls go.
     */
    public function circuitOpen(string $provider, bool $fresh = false): ?CircuitOpen
    {
        $key = $this->key($provider);
        if ($key === null || !$this->isProtected($provider) || !$this->policy($provider)->breakerOn) {
            return null;
        }
        [$readAt, $snapshot] = $this->recent[$key] ?? [0.0, null];
        try {
            if ($fresh || $snapshot === null || microtime(true) - $readAt > self::FRESH_SECONDS) {
                $snapshot = $this->read($key);
                $readAt = microtime(true);
            }
        } catch (\Throwable $e) {
            error_log("Sluice: could not read the protection state of AI provider \"{$provider}\" (its request goes on): " . $e->getMessage());
            return null;
        }
        $nowMs = $snapshot->nowMs + (int) round((microtime(true) - $readAt) * 1000);
        $admission = $this->policy($provider)->admission($snapshot->state, max(1, $this->config->providerLimit($provider)), $nowMs);
        return $admission->callsAllowed() ? null : self::open($provider, $key, $snapshot, $admission);
    }

    /**
     * Work found the provider's key full: its limit binds, so successes may
     * grow it (AdaptiveLimit::afterSuccess()). Written at most once a second
     * per provider; never throws.
     */
    public function refused(string $provider, string $key): void
    {
        if ($key !== $this->key($provider) || !$this->isProtected($provider) || !$this->policy($provider)->adaptiveOn) {
            return;
        }
        [$readAt, $snapshot] = $this->recent[$key] ?? [0.0, null];
        if ($snapshot !== null && microtime(true) - $readAt < self::FRESH_SECONDS
            && $snapshot->nowMs - $snapshot->state->lastRefusedMs < self::BINDING_WRITE_MS) {
            return;
        }
        $policy = $this->policy($provider);
        $ceiling = $this->config->providerLimit($provider);
        try {
            $this->states->update(
                $key,
                static fn (ProviderState $s, int $now): ProviderState => $now - $s->lastRefusedMs < self::BINDING_WRITE_MS ? $s : $policy->adaptive->refused($s, $now),
                static fn (ProviderState $s): int => self::capOf($policy, $s, $ceiling),
            );
        } catch (\Throwable $e) {
            error_log("Sluice: could not note that AI provider \"{$provider}\"'s key was full: " . $e->getMessage());
        }
    }

    /**
     * One response of the provider (or a failure to reach it): $signal for a
     * request sent at $startedAt (this process's clock, seconds) that took
     * $seconds. Never throws: a store that fails loses the count (logged).
     */
    public function record(string $provider, Signal $signal, float $startedAt, float $seconds): void
    {
        $key = $this->key($provider);
        $ceiling = $this->config->providerLimit($provider);
        if ($key === null || $ceiling <= 0 || !$this->isProtected($provider) || $signal === Signal::Neutral) {
            return;
        }
        $policy = $this->policy($provider);
        try {
            $startedMs = $this->states->storeMs($startedAt);
            $durationMs = (int) round($seconds * 1000);
            $change = $this->states->update(
                $key,
                static fn (ProviderState $s, int $now): ProviderState => $policy->afterResponse($s, $ceiling, $signal, $startedMs, $durationMs, $now),
                static fn (ProviderState $s): int => self::capOf($policy, $s, $ceiling),
            );
        } catch (\Throwable $e) {
            error_log("Sluice: could not count a response of AI provider \"{$provider}\" ({$signal->value}): " . $e->getMessage());
            return;
        }
        if ($change !== null) {
            $this->announce($provider, $key, ...$change);
        }
    }

    /** The provider as operators see it (reads the store). */
    public function report(string $provider): ProviderReport
    {
        $key = $this->key($provider) ?? '';
        $ceiling = $this->config->providerLimit($provider);
        $policy = $this->policy($provider);
        $error = null;
        $state = new ProviderState();
        $nowMs = (int) round(microtime(true) * 1000);
        try {
            $snapshot = $this->states->read($key);
            [$state, $nowMs] = [$snapshot->state, $snapshot->nowMs];
        } catch (\Throwable $e) {
            $error = $e->getMessage();
        }
        $admission = $policy->admission($state, max(1, $ceiling), $nowMs);
        $at = static fn (int $ms): ?float => $ms > 0 ? $ms / 1000 : null;
        return new ProviderReport(
            provider: $provider,
            key: $key,
            ceiling: $ceiling,
            effectiveLimit: $ceiling > 0 ? $policy->limitInForce($state, $ceiling) : 0,
            adaptive: $policy->adaptiveOn,
            lastSignal: $state->signal?->value,
            lastSignalAt: $at($state->signalMs),
            baselineMs: $state->baselineMs,
            breaker: $policy->breakerOn,
            circuit: $admission->phase->value,
            failures: $state->failures,
            circuitReason: $state->circuitReason?->value,
            openedAt: $state->isOpen() ? $at($state->openedMs) : null,
            nextProbeAt: $state->isOpen() ? $at($state->nextProbeMs) : null,
            cooldownSeconds: intdiv($state->cooldownMs, 1000),
            opens: $state->opens,
            cooldowns: $state->cooldowns,
            error: $error,
        );
    }

    /** The provider's protection applies: a limit (the ceiling) and the adaptive limit or the breaker on. */
    public function isProtected(string $provider): bool
    {
        if ($provider === '' || $this->config->providerLimit($provider) <= 0) {
            return false;
        }
        $policy = $this->policy($provider);
        return $policy->adaptiveOn || $policy->breakerOn;
    }

    /** The provider's key, where its state lives (null for no provider). */
    public function key(string $provider): ?string
    {
        return $provider === '' ? null : $this->keys->provider($provider, $this->config->providerKeyIsHostWide($provider));
    }

    public function policy(string $provider): ProviderPolicy
    {
        if (!isset($this->policies[$provider])) {
            $failures = $this->config->breakerFailures($provider);
            [$cooldown, $maxCooldown] = $this->config->breakerCooldowns();
            /**
             * Fine-tuning of one provider's adaptive limit: `increase_after` (successes at the limit before it
             * grows by 1; 0 = as many as the limit) and `latency_factor` (an answer this many times the baseline
             * latency is a congestion signal).
             */
            $tuning = (array) apply_filters('sluice_adaptive_limit_tuning', ['increase_after' => 0, 'latency_factor' => 2.0], $provider);
            $this->policies[$provider] = new ProviderPolicy(
                new AdaptiveLimit($this->config->adaptiveDecrease(), max(0, (int) ($tuning['increase_after'] ?? 0)), max(1.1, (float) ($tuning['latency_factor'] ?? 2.0))),
                new CircuitBreaker(max(1, $failures), $cooldown * 1000, $maxCooldown * 1000),
                $this->config->adaptiveLimit($provider),
                $failures > 0,
            );
        }
        return $this->policies[$provider];
    }

    private function read(string $key): ProviderSnapshot
    {
        $snapshot = $this->states->read($key);
        $this->recent[$key] = [microtime(true), $snapshot];
        return $snapshot;
    }

    private static function open(string $provider, string $key, ProviderSnapshot $snapshot, Admission $admission): CircuitOpen
    {
        return new CircuitOpen(
            $provider,
            $key,
            $snapshot->state->circuitReason->value ?? 'failures',
            max(0, $admission->nextProbeMs - $snapshot->nowMs) / 1000,
            intdiv(max(0, $snapshot->state->cooldownMs), 1000),
        );
    }

    /** The key's cap for the waiting line: the limit in force, or no hand-off while the circuit is open. */
    private static function capOf(ProviderPolicy $policy, ProviderState $state, int $ceiling): int
    {
        return $policy->breakerOn && $state->isOpen() ? RecordStore::NO_HAND_OFF : $policy->limitInForce($state, $ceiling);
    }

    private function announce(string $provider, string $key, ProviderState $before, ProviderState $after): void
    {
        $event = match (true) {
            !$before->isOpen() && $after->isOpen() => 'circuit_opened',
            $before->isOpen() && $after->isOpen() && $after->cooldowns > $before->cooldowns => 'circuit_reopened',
            $before->isOpen() && !$after->isOpen() => 'circuit_closed',
            default => null,
        };
        if ($event !== null) {
            $this->events?->circuitChanged($event, $provider, $key, $after);
            do_action('sluice_provider_circuit', $event, $provider, $after);
        }
    }
}
