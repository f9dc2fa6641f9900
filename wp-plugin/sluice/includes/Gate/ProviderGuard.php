<?php
/**
 * The provider's say on the keys an AI call takes (Provider\ProviderAdmission
 * implements it): the provider key's limit in force (its adaptive limit, 1
 * while its circuit breaker lets a probe through), the call's mode key when
 * its mode has a limit, or CircuitOpen when the provider must not be called
 * now. The gate asks before every acquire of an AI step; so do the AI calls
 * that are not queued actions and a step taking its slot back after the
 * provider's backoff.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

interface ProviderGuard
{
    /**
     * @param array<string,int> $limits the keys the call takes (KeyNames::limitsFor()), the provider's with its ceiling
     * @return array<string,int>|CircuitOpen the keys with the limits in force, or why the provider is not called now
     */
    public function limits(string $provider, string $mode, array $limits): array|CircuitOpen;

    /** An AI call found this key full ($key: the refusal's): if it is the provider's, its limit binds. */
    public function refused(string $provider, string $key): void;
}
