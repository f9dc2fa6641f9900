<?php
/**
 * Sluice's configuration: the option `sluice_settings` (what an operator set),
 * else the defaults another plugin configured (Data Machine's settings and
 * filters), else Sluice's own; then Sluice's filters have the last word.
 *
 * Filters: sluice_enabled, sluice_pipeline_ai_concurrency (1),
 * sluice_provider_ai_concurrency (0 = none), sluice_tenant_ai_concurrency
 * (0 = none), sluice_provider_key_host_wide
 * (false), sluice_throttle_delay (10 s), sluice_throttle_delay_max (300 s),
 * sluice_request_timeout (300 s), sluice_lease_ttl (600 s, never below the
 * request timeout + 60 s), sluice_waiting_line (true).
 */

declare(strict_types=1);

namespace SluiceWP\Settings;

use SluiceWP\Gate\Limits;

final class Config implements Limits
{
    public const OPTION = 'sluice_settings';

    public function __construct(private readonly Defaults $defaults)
    {
    }

    public function enabled(): bool
    {
        return (bool) apply_filters('sluice_enabled', (bool) ($this->option('enabled') ?? true));
    }

    /** Which lease store (Backend\BackendChoice): auto (the extension when loaded, else the database), native or database. */
    public function backend(): string
    {
        $choice = $this->option('backend');
        return is_string($choice) && in_array($choice, ['auto', 'native', 'database'], true) ? $choice : 'auto';
    }

    /**
     * Whether deferred work waits in the store's line (woken when a slot frees)
     * rather than on a timer alone: setting `waiting_line`, filter `sluice_waiting_line`.
     */
    public function waitingLine(): bool
    {
        return (bool) apply_filters('sluice_waiting_line', (bool) ($this->option('waiting_line') ?? true));
    }

    public function siteLimit(): int
    {
        $default = $this->intOption('site_limit') ?? $this->defaults->siteLimit() ?? 1;
        return max(1, (int) apply_filters('sluice_pipeline_ai_concurrency', $default));
    }

    public function providerLimit(string $provider): int
    {
        $configured = $this->option('provider_limits');
        $own = is_array($configured) && isset($configured[$provider]) ? (int) $configured[$provider] : null;
        $default = $own ?? $this->defaults->providerLimit($provider) ?? 0;
        return max(0, (int) apply_filters('sluice_provider_ai_concurrency', $default, $provider));
    }

    public function tenantLimit(string $tenant): int
    {
        return max(0, (int) apply_filters('sluice_tenant_ai_concurrency', $this->intOption('tenant_limit') ?? 0, $tenant));
    }

    public function providerKeyIsHostWide(string $provider): bool
    {
        return (bool) apply_filters('sluice_provider_key_host_wide', false, $provider);
    }

    public function requestTimeout(): int
    {
        $default = $this->defaults->requestTimeout() ?? 300;
        return max(1, (int) apply_filters('sluice_request_timeout', $default));
    }

    public function leaseTtl(): int
    {
        $ttl = (int) apply_filters('sluice_lease_ttl', $this->intOption('lease_ttl') ?? 600);
        // A live step must never lose its slot between two renewals (each provider request renews).
        return max($ttl, $this->requestTimeout() + 60);
    }

    public function throttleDelay(): int
    {
        $default = $this->intOption('throttle_delay') ?? $this->defaults->throttleDelay() ?? 10;
        return max(1, (int) apply_filters('sluice_throttle_delay', $default));
    }

    public function throttleDelayMax(): int
    {
        $max = (int) apply_filters('sluice_throttle_delay_max', $this->intOption('throttle_delay_max') ?? 300);
        return max($this->throttleDelay(), $max);
    }

    /**
     * Hooks an operator marked as AI work in the settings (besides Data Machine's AI steps).
     *
     * @return list<string>
     */
    public function aiHooks(): array
    {
        $hooks = $this->option('ai_hooks');
        return is_array($hooks) ? array_values(array_filter(array_map('strval', $hooks))) : [];
    }

    private function option(string $name): mixed
    {
        $settings = get_option(self::OPTION, []);
        return is_array($settings) ? ($settings[$name] ?? null) : null;
    }

    private function intOption(string $name): ?int
    {
        $value = $this->option($name);
        return is_numeric($value) ? (int) $value : null;
    }
}
