<?php
/**
 * Sluice's configuration: the option `sluice_settings` (what an operator set;
 * on a network, the network's settings for whether and through which store
 * AI work is gated: NetworkSettings), else the defaults another plugin
 * configured (Data Machine's settings and filters), else Sluice's own; then
 * Sluice's filters have the last word.
 *
 * Filters: sluice_enabled, sluice_pipeline_ai_concurrency (1),
 * sluice_provider_ai_concurrency (0 = none), sluice_tenant_ai_concurrency
 * (0 = none), sluice_provider_key_host_wide
 * (false), sluice_throttle_delay (10 s), sluice_throttle_delay_max (300 s),
 * sluice_request_timeout (300 s), sluice_lease_ttl (600 s, never below the
 * request timeout + 60 s), sluice_waiting_line (true); the provider
 * protection's: sluice_adaptive_limit (true), sluice_circuit_breaker (true),
 * sluice_backoff_give_back (true), sluice_direct_call_wait (15 s),
 * sluice_mode_ai_concurrency (0 = none), sluice_exempt_ai_call (false).
 */

declare(strict_types=1);

namespace SluiceWP\Settings;

use SluiceWP\Backend\Capacity;
use SluiceWP\Gate\Limits;

defined('ABSPATH') || exit;

final class Config implements Limits
{
    public const OPTION = Fields::OPTION;

    /** @var ?\Closure(): ?Capacity the store in use, for its largest limit */
    private ?\Closure $capacity = null;
    /** @var array<string, string> limits this process clamped, by what: said once per process */
    private static array $clamped = [];

    public function __construct(private readonly Defaults $defaults)
    {
    }

    /**
     * Limits are clamped to the largest the store in use holds per key
     * (a filter or Data Machine's settings may ask for more than the
     * settings page allows), said once per process in the error log and
     * shown by clamped().
     *
     * @param \Closure(): ?Capacity $capacity
     */
    public function capLimitsBy(\Closure $capacity): void
    {
        $this->capacity = $capacity;
    }

    /** @return list<string> this process's clamped limits, in words, with what raises the maximum */
    public function clamped(): array
    {
        return array_values(self::$clamped);
    }

    public function enabled(): bool
    {
        return (bool) apply_filters('sluice_enabled', (bool) ($this->option(Fields::ENABLED) ?? self::default(Fields::ENABLED)));
    }

    /** Which lease store (Backend\BackendChoice): auto (the extension when loaded, else the database), native, database or redis. */
    public function backend(): string
    {
        $choice = $this->option(Fields::BACKEND);
        return is_string($choice) && in_array($choice, Fields::BACKENDS, true) ? $choice : (string) self::default(Fields::BACKEND);
    }

    /** With the Redis backend, what a process that cannot reach Redis uses: database, or ungated (none). */
    public function redisFallback(): string
    {
        $choice = $this->option(Fields::REDIS_FALLBACK);
        return is_string($choice) && in_array($choice, Fields::REDIS_FALLBACKS, true) ? $choice : (string) self::default(Fields::REDIS_FALLBACK);
    }

    /**
     * Whether deferred work waits in the store's line (woken when a slot frees)
     * rather than on a timer alone: setting `waiting_line`, filter `sluice_waiting_line`.
     */
    public function waitingLine(): bool
    {
        return (bool) apply_filters('sluice_waiting_line', (bool) ($this->option(Fields::WAITING_LINE) ?? self::default(Fields::WAITING_LINE)));
    }

    public function siteLimit(): int
    {
        $default = $this->intOption(Fields::SITE_LIMIT) ?? $this->defaults->siteLimit() ?? (int) self::default(Fields::SITE_LIMIT);
        return $this->capped('site limit', 'sluice_pipeline_ai_concurrency', max(1, (int) apply_filters('sluice_pipeline_ai_concurrency', $default)));
    }

    public function providerLimit(string $provider): int
    {
        $configured = $this->option(Fields::PROVIDER_LIMITS);
        $own = is_array($configured) && isset($configured[$provider]) ? (int) $configured[$provider] : null;
        $default = $own ?? $this->defaults->providerLimit($provider) ?? 0;
        return $this->capped("provider limit of {$provider}", 'sluice_provider_ai_concurrency', max(0, (int) apply_filters('sluice_provider_ai_concurrency', $default, $provider)));
    }

    public function tenantLimit(string $tenant): int
    {
        $default = $this->intOption(Fields::TENANT_LIMIT) ?? (int) self::default(Fields::TENANT_LIMIT);
        return $this->capped('tenant limit', 'sluice_tenant_ai_concurrency', max(0, (int) apply_filters('sluice_tenant_ai_concurrency', $default, $tenant)));
    }

    /** The provider's requests-per-minute budget (setting rpm_limits; filter sluice_rpm_limit; 0 = none). */
    public function rpmLimit(string $provider): int
    {
        return max(0, (int) apply_filters('sluice_rpm_limit', $this->perProvider(Fields::RPM_LIMITS, $provider), $provider));
    }

    /** The provider's tokens-per-minute budget (setting tpm_limits; filter sluice_tpm_limit; 0 = none). */
    public function tpmLimit(string $provider): int
    {
        return max(0, (int) apply_filters('sluice_tpm_limit', $this->perProvider(Fields::TPM_LIMITS, $provider), $provider));
    }

    /** AI steps started per second on the host (setting qps_limit; filter sluice_qps_limit; 0 = no cap). */
    public function qpsLimit(): float
    {
        $default = $this->intOption(Fields::QPS_LIMIT) ?? (int) self::default(Fields::QPS_LIMIT);
        return max(0.0, (float) apply_filters('sluice_qps_limit', (float) $default));
    }

    /** Whether any rate budget is set (a provider's rpm or tpm in the settings, or the qps cap): Health warns where the store keeps none. */
    public function rateBudgetsSet(): bool
    {
        foreach ([Fields::RPM_LIMITS, Fields::TPM_LIMITS] as $setting) {
            $configured = $this->option($setting);
            if (is_array($configured) && array_filter($configured, static fn ($n): bool => (int) $n > 0) !== []) {
                return true;
            }
        }
        return $this->qpsLimit() > 0;
    }

    private function perProvider(string $setting, string $provider): int
    {
        $configured = $this->option($setting);
        return is_array($configured) && isset($configured[$provider]) ? (int) $configured[$provider] : 0;
    }

    public function providerKeyIsHostWide(string $provider): bool
    {
        return (bool) apply_filters('sluice_provider_key_host_wide', false, $provider);
    }

    /**
     * On a network, the network's setting (NetworkSettings; 0 = none), never a blog's: each blog asking for
     * its own limit would make the highest win. On a single site, the site's provider limit. Filter
     * sluice_host_wide_provider_ai_concurrency has the last word.
     */
    public function hostWideProviderLimit(string $provider): int
    {
        $limit = is_multisite() ? (NetworkSettings::providerLimits()[$provider] ?? 0) : $this->providerLimit($provider);
        return max(0, (int) apply_filters('sluice_host_wide_provider_ai_concurrency', $limit, $provider));
    }

    public function requestTimeout(): int
    {
        $default = $this->defaults->requestTimeout() ?? 300;
        return max(1, (int) apply_filters('sluice_request_timeout', $default));
    }

    public function leaseTtl(): int
    {
        $ttl = (int) apply_filters('sluice_lease_ttl', $this->intOption(Fields::LEASE_TTL) ?? (int) self::default(Fields::LEASE_TTL));
        // A live step must never lose its slot between two renewals (each provider request renews).
        return max($ttl, $this->requestTimeout() + 60);
    }

    public function throttleDelay(): int
    {
        $default = $this->intOption(Fields::THROTTLE_DELAY) ?? $this->defaults->throttleDelay() ?? (int) self::default(Fields::THROTTLE_DELAY);
        return max(1, (int) apply_filters('sluice_throttle_delay', $default));
    }

    public function throttleDelayMax(): int
    {
        $max = (int) apply_filters('sluice_throttle_delay_max', $this->intOption(Fields::THROTTLE_DELAY_MAX) ?? (int) self::default(Fields::THROTTLE_DELAY_MAX));
        return max($this->throttleDelay(), $max);
    }

    /** Whether this provider's limit adapts (setting adaptive_limit; filter sluice_adaptive_limit per provider). */
    public function adaptiveLimit(string $provider): bool
    {
        return (bool) apply_filters('sluice_adaptive_limit', (bool) ($this->option(Fields::ADAPTIVE_LIMIT) ?? self::default(Fields::ADAPTIVE_LIMIT)), $provider);
    }

    /** The adaptive limit's decrease factor, 0.1 .. 0.9 (setting adaptive_decrease, a percentage). */
    public function adaptiveDecrease(): float
    {
        return max(10, min(90, $this->intOption(Fields::ADAPTIVE_DECREASE) ?? (int) self::default(Fields::ADAPTIVE_DECREASE))) / 100;
    }

    /**
     * Consecutive failures that open this provider's circuit; 0 = no breaker
     * (setting breaker_failures; filter sluice_circuit_breaker switches it off per provider).
     */
    public function breakerFailures(string $provider): int
    {
        $failures = max(0, $this->intOption(Fields::BREAKER_FAILURES) ?? (int) self::default(Fields::BREAKER_FAILURES));
        return (bool) apply_filters('sluice_circuit_breaker', $failures > 0, $provider) ? max(1, $failures) : 0;
    }

    /** @return array{int, int} the circuit's first cool-down and its longest, in seconds */
    public function breakerCooldowns(): array
    {
        $first = max(1, $this->intOption(Fields::BREAKER_COOLDOWN) ?? (int) self::default(Fields::BREAKER_COOLDOWN));
        $max = max(1, $this->intOption(Fields::BREAKER_COOLDOWN_MAX) ?? (int) self::default(Fields::BREAKER_COOLDOWN_MAX));
        return [$first, max($first, $max)];
    }

    /** Whether an AI step gives its slot back while it sleeps in provider backoff (setting backoff_give_back; filter sluice_backoff_give_back). */
    public function backoffGiveBack(string $provider): bool
    {
        return (bool) apply_filters('sluice_backoff_give_back', (bool) ($this->option(Fields::BACKOFF_GIVE_BACK) ?? self::default(Fields::BACKOFF_GIVE_BACK)), $provider);
    }

    /** Seconds an AI call outside a queued action waits for its slot (setting direct_call_wait; filter sluice_direct_call_wait). */
    public function directCallWait(string $provider, string $mode): int
    {
        $wait = $this->intOption(Fields::DIRECT_CALL_WAIT) ?? (int) self::default(Fields::DIRECT_CALL_WAIT);
        return max(0, min(600, (int) apply_filters('sluice_direct_call_wait', $wait, $provider, $mode)));
    }

    /** AI calls of this mode at once (setting mode_limits; filter sluice_mode_ai_concurrency); 0 = no mode key. */
    public function modeLimit(string $mode): int
    {
        $configured = $this->option(Fields::MODE_LIMITS);
        $own = is_array($configured) && isset($configured[$mode]) ? (int) $configured[$mode] : 0;
        return max(0, (int) apply_filters('sluice_mode_ai_concurrency', $own, $mode));
    }

    /** @return list<string> modes whose calls outside queued actions take no slot (setting exempt_modes) */
    public function exemptModes(): array
    {
        $modes = $this->option(Fields::EXEMPT_MODES);
        return is_array($modes) ? array_values(array_filter(array_map('strval', $modes))) : [];
    }

    /** Whether a call of this mode to this provider, outside a queued action, goes ungated (filter sluice_exempt_ai_call). */
    public function isExempt(string $mode, string $provider): bool
    {
        return (bool) apply_filters('sluice_exempt_ai_call', in_array($mode, $this->exemptModes(), true), $mode, $provider);
    }

    /**
     * Hooks an operator marked as AI work in the settings (besides Data Machine's AI steps).
     *
     * @return list<string>
     */
    public function aiHooks(): array
    {
        $hooks = $this->option(Fields::AI_HOOKS);
        return is_array($hooks) ? array_values(array_filter(array_map('strval', $hooks))) : [];
    }

    /**
     * Every setting in effect, by name (what `wp sluice config get` shows):
     * the resolved value where Config resolves one, else what is stored, else
     * the default.
     *
     * @return array<string, mixed>
     */
    public function effective(): array
    {
        $stored = Fields::storedInForce();
        $resolved = [
            Fields::ENABLED => $this->enabled(),
            Fields::BACKEND => $this->backend(),
            Fields::REDIS_FALLBACK => $this->redisFallback(),
            Fields::SITE_LIMIT => $this->siteLimit(),
            Fields::THROTTLE_DELAY => $this->throttleDelay(),
            Fields::THROTTLE_DELAY_MAX => $this->throttleDelayMax(),
            Fields::LEASE_TTL => $this->leaseTtl(),
            Fields::AI_HOOKS => $this->aiHooks(),
            Fields::WAITING_LINE => $this->waitingLine(),
            Fields::ADAPTIVE_DECREASE => (int) round($this->adaptiveDecrease() * 100),
            Fields::BREAKER_COOLDOWN => $this->breakerCooldowns()[0],
            Fields::BREAKER_COOLDOWN_MAX => $this->breakerCooldowns()[1],
            Fields::EXEMPT_MODES => $this->exemptModes(),
        ];
        $values = [];
        foreach (Fields::all() as $name => $field) {
            $values[$name] = $resolved[$name] ?? $stored[$name] ?? $field->default;
        }
        return $values;
    }

    /** At most what the store in use holds per key; a clamp is said once per process. */
    private function capped(string $what, string $filter, int $limit): int
    {
        $capacity = $this->capacity !== null ? ($this->capacity)() : null;
        if ($capacity === null || $limit <= ($max = $capacity->maxLimit())) {
            return $limit;
        }
        if (!isset(self::$clamped[$what])) {
            $raise = $capacity->raiseMaxLimit();
            self::$clamped[$what] = sprintf(
                'the %s asked for is %d (from the settings, Data Machine\'s settings or the filter %s), above the most the store in use holds per key (%d): %d applies%s',
                $what, $limit, $filter, $max, $max, $raise !== '' ? "; for more, {$raise}" : '',
            );
            error_log('Sluice: ' . self::$clamped[$what]);
        }
        return $max;
    }

    private static function default(string $name): mixed
    {
        return Fields::get($name)?->default;
    }

    /** What is stored for this setting: on a multisite the network's for the NETWORK_WIDE ones (NetworkSettings). */
    private function option(string $name): mixed
    {
        return (Fields::fromNetwork($name) ? NetworkSettings::stored() : Fields::stored())[$name] ?? null;
    }

    private function intOption(string $name): ?int
    {
        $value = $this->option($name);
        return is_numeric($value) ? (int) $value : null;
    }
}
