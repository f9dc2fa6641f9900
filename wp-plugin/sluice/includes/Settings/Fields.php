<?php
/**
 * Every setting of the option `sluice_settings`, written once: name, type,
 * range, default, title and help. The settings page draws its fields from
 * here, the sanitizer checks against it, Config falls back to its defaults,
 * `wp sluice config` lists and checks the same names, BackendChoice takes
 * its choices, and readme.txt's list of settings matches it (a test compares
 * them).
 */

declare(strict_types=1);

namespace SluiceWP\Settings;

defined('ABSPATH') || exit;

final class Fields
{
    public const OPTION = 'sluice_settings';

    public const ENABLED = 'enabled';
    public const BACKEND = 'backend';
    public const SITE_LIMIT = 'site_limit';
    public const PROVIDER_LIMITS = 'provider_limits';
    public const TENANT_LIMIT = 'tenant_limit';
    public const THROTTLE_DELAY = 'throttle_delay';
    public const THROTTLE_DELAY_MAX = 'throttle_delay_max';
    public const LEASE_TTL = 'lease_ttl';
    public const AI_HOOKS = 'ai_hooks';
    public const WAITING_LINE = 'waiting_line';
    public const REDIS_FALLBACK = 'redis_fallback';
    public const ADAPTIVE_LIMIT = 'adaptive_limit';
    public const ADAPTIVE_DECREASE = 'adaptive_decrease';
    public const BREAKER_FAILURES = 'breaker_failures';
    public const BREAKER_COOLDOWN = 'breaker_cooldown';
    public const BREAKER_COOLDOWN_MAX = 'breaker_cooldown_max';
    public const BACKOFF_GIVE_BACK = 'backoff_give_back';
    public const DIRECT_CALL_WAIT = 'direct_call_wait';
    public const MODE_LIMITS = 'mode_limits';
    public const EXEMPT_MODES = 'exempt_modes';
    public const RPM_LIMITS = 'rpm_limits';
    public const TPM_LIMITS = 'tpm_limits';
    public const QPS_LIMIT = 'qps_limit';

    /**
     * Whether and through which store every blog's steps take the host-wide keys: a blog choosing for itself
     * could skip a shared limit (enabled off, the line off) or take it in a store apart that grants it whole
     * again (backend).
     */
    public const GATING = [self::ENABLED, self::BACKEND, self::REDIS_FALLBACK, self::WAITING_LINE];
    /**
     * How a provider's key is protected: its adaptive limit and circuit breaker live in the key's record in the
     * store, which every blog that shares the key (a host-wide provider key) reads and writes, so a blog choosing
     * for itself could loosen what another blog relies on (the limit in force, the breaker, the backoff give-back,
     * the wait and keys of calls outside queued actions).
     */
    public const PROVIDER_PROTECTION = [self::ADAPTIVE_LIMIT, self::ADAPTIVE_DECREASE, self::BREAKER_FAILURES, self::BREAKER_COOLDOWN,
        self::BREAKER_COOLDOWN_MAX, self::BACKOFF_GIVE_BACK, self::DIRECT_CALL_WAIT, self::MODE_LIMITS, self::EXEMPT_MODES];
    /**
     * The rate budgets: a host-wide provider key's buckets (rpm:<provider>, tpm:<provider>) and the host's
     * steps-per-second bucket are shared by every blog, and each acquire sets the bucket's rate to its own
     * budget, so a blog with a looser budget would spend the others' (the provider's account) too.
     */
    public const RATE_BUDGETS = [self::RPM_LIMITS, self::TPM_LIMITS, self::QPS_LIMIT];
    /** On a network, the network's settings (NetworkSettings), never a blog's. */
    public const NETWORK_WIDE = [...self::GATING, ...self::PROVIDER_PROTECTION, ...self::RATE_BUDGETS];
    /** The settings that are a key's limit: none may exceed what the store holds per key (Backend\Capacity). */
    public const LIMITS = [self::SITE_LIMIT, self::PROVIDER_LIMITS, self::TENANT_LIMIT];
    /** The lease stores the setting `backend` chooses from (BackendChoice). */
    public const BACKENDS = ['auto', 'native', 'database', 'redis'];
    /** What the setting `redis_fallback` chooses from: the store used when Redis is unreachable, or none. */
    public const REDIS_FALLBACKS = ['database', 'ungated'];

    /** @var array<string, Field>|null */
    private static ?array $fields = null;

    /**
     * Every setting, in the settings page's order.
     *
     * @return array<string, Field>
     */
    public static function all(): array
    {
        if (self::$fields !== null) {
            return self::$fields;
        }
        $fields = [
            new Field(self::ENABLED, Field::BOOL, __('Gating', 'sluice'), true,
                __('Off: AI steps run ungated (and Data Machine\'s own limiter applies again).', 'sluice')),
            new Field(self::SITE_LIMIT, Field::INT, __('Site limit', 'sluice'), 1,
                __('AI steps of this site at once.', 'sluice'), 1, 1000),
            new Field(self::PROVIDER_LIMITS, Field::PROVIDER_LIMITS, __('Provider limits', 'sluice'), [],
                __('Requests at once to one provider, one per line: provider = limit (0 = no provider limit).', 'sluice'), 0, 1000),
            new Field(self::TENANT_LIMIT, Field::INT, __('Tenant limit', 'sluice'), 0,
                __('AI steps at once per tenant (a Data Machine flow; 0 or empty = no tenant limit), taken in the same call as the site and provider keys.', 'sluice'), 0, 1000),
            new Field(self::ADAPTIVE_LIMIT, Field::BOOL, __('Adaptive provider limit', 'sluice'), true,
                __('Find each provider\'s safe concurrency: its provider limit is the ceiling; the limit in force halves on a congestion signal (timeouts, transport errors, 429, 503, 529, other 5xx, answers far slower than usual) and grows by 1 after a round of successes.', 'sluice')),
            new Field(self::ADAPTIVE_DECREASE, Field::INT, __('Decrease on a signal', 'sluice'), 50,
                __('The adaptive limit is multiplied by this share on a congestion signal (never below 1, at most once per mean request time).', 'sluice'), 10, 90, unit: ' %'),
            new Field(self::BREAKER_FAILURES, Field::INT, __('Circuit breaker after', 'sluice'), 5,
                __('Consecutive failures (transport errors or 5xx) after which a provider is not called until a probe succeeds; 0 = no circuit breaker.', 'sluice'), 0, 100),
            new Field(self::BREAKER_COOLDOWN, Field::INT, __('Circuit cool-down', 'sluice'), 30,
                __('Seconds an open circuit waits before one AI step goes through as a probe; doubled after each failed probe.', 'sluice'), 1, 3600, unit: ' s'),
            new Field(self::BREAKER_COOLDOWN_MAX, Field::INT, __('Longest circuit cool-down', 'sluice'), 600,
                __('The cool-down never doubles past this (seconds).', 'sluice'), 1, 86400, unit: ' s'),
            new Field(self::BACKOFF_GIVE_BACK, Field::BOOL, __('Give the slot back during provider backoff', 'sluice'), true,
                __('While an AI step sleeps between retries of a failed provider request, its slot goes to other work; the step takes it again before its next attempt.', 'sluice')),
            new Field(self::DIRECT_CALL_WAIT, Field::INT, __('Wait of other AI calls', 'sluice'), 15,
                __('AI calls that are not queued actions (chat, REST, other plugins through the AI client) wait at most this long for the provider\'s slot, then fail with a clear error; 0 = they do not wait.', 'sluice'), 0, 300, unit: ' s'),
            new Field(self::MODE_LIMITS, Field::PROVIDER_LIMITS, __('Mode limits', 'sluice'), [],
                __('AI calls at once per mode, one per line: mode = limit (pipeline, chat, system, ...; 0 = no mode limit), taken together with the provider\'s key.', 'sluice'), 0, 1000),
            new Field(self::EXEMPT_MODES, Field::HOOKS, __('Modes never gated', 'sluice'), [],
                __('Modes whose AI calls outside queued actions take no slot at all (e.g. chat), one per line.', 'sluice'), max: 20),
            new Field(self::RPM_LIMITS, Field::PROVIDER_LIMITS, __('Requests per minute', 'sluice'), [],
                __('Each provider\'s request budget, one per line: provider = requests per minute (0 = none: the budget its rate-limit headers announce applies). An AI step takes one request with its slot; when none is left it is deferred until the budget will have refilled. Native backend only.', 'sluice'), 0, 1000000),
            new Field(self::TPM_LIMITS, Field::PROVIDER_LIMITS, __('Tokens per minute', 'sluice'), [],
                __('Each provider\'s token budget, one per line: provider = tokens per minute (0 = none). An AI step is admitted while tokens are left; each answer\'s usage is charged to it. Native backend only.', 'sluice'), 0, 100000000),
            new Field(self::QPS_LIMIT, Field::INT, __('AI steps per second', 'sluice'), 0,
                __('AI steps started per second on this host, all sites and providers together (0 = no cap). Native backend only.', 'sluice'), 0, 10000),
            new Field(self::THROTTLE_DELAY, Field::INT, __('Throttle delay', 'sluice'), 10,
                __('Seconds until a deferred step is tried again, the first time; it doubles with each deferral of the same step.', 'sluice'), 1, 3600, unit: ' s'),
            new Field(self::THROTTLE_DELAY_MAX, Field::INT, __('Maximum throttle delay', 'sluice'), 300,
                __('The longest delay, in seconds (never below the throttle delay).', 'sluice'), 1, 86400, unit: ' s'),
            new Field(self::LEASE_TTL, Field::INT, __('Lease TTL', 'sluice'), 600,
                __('Seconds a slot lives unless renewed (each provider request renews it); never below the request timeout + 60 s.', 'sluice'), 60, 86400, unit: ' s'),
            new Field(self::BACKEND, Field::CHOICE, __('Backend', 'sluice'), 'auto',
                __('Automatic: native when the sluice extension is loaded (shared memory of this host), else the database backend (a lease table, for hosts without the extension or several hosts). Redis: one limit for every host that shares the Redis of SLUICE_REDIS in wp-config.php, at one round trip per acquire and per release.', 'sluice'),
                choices: [
                    'auto' => __('Automatic', 'sluice'),
                    'native' => __('Native (PHP extension)', 'sluice'),
                    'database' => __('Database (lease table)', 'sluice'),
                    'redis' => __('Redis (SLUICE_REDIS)', 'sluice'),
                ]),
            new Field(self::REDIS_FALLBACK, Field::CHOICE, __('When Redis is unreachable', 'sluice'), 'database',
                __('With the Redis backend: what a process that cannot reach Redis does. Database: it limits AI work through the database backend (a store apart, with its own slots, until Redis answers again); ungated: AI work runs without a limit. Either way an admin notice and the status page say so.', 'sluice'),
                choices: [
                    'database' => __('Use the database backend', 'sluice'),
                    'ungated' => __('Run AI work ungated', 'sluice'),
                ]),
            new Field(self::WAITING_LINE, Field::BOOL, __('Waiting line', 'sluice'), true,
                __('Deferred steps wait in the store\'s line and are woken when a slot frees; off: they wait on their timer alone.', 'sluice'),
                onSettingsPage: false),
            new Field(self::AI_HOOKS, Field::HOOKS, __('AI hooks', 'sluice'), [],
                __('Action Scheduler hooks that call an AI provider, one per line, besides Data Machine\'s AI steps (recognised on their own).', 'sluice'), max: 100),
        ];
        $byName = [];
        foreach ($fields as $field) {
            $byName[$field->name] = $field;
        }
        // Kept once translations are loaded (init); before that each call builds them anew.
        if (did_action('init') > 0) {
            self::$fields = $byName;
        }
        return $byName;
    }

    /** @return list<string> the settings' names */
    public static function names(): array
    {
        return array_keys(self::all());
    }

    public static function get(string $name): ?Field
    {
        return self::all()[$name] ?? null;
    }

    /** Whether this setting is the network's here: on a multisite, the NETWORK_WIDE ones. */
    public static function fromNetwork(string $name): bool
    {
        return is_multisite() && in_array($name, self::NETWORK_WIDE, true);
    }

    /**
     * Why a blog may not set this setting (REST, `wp sluice config set`, the sanitizer), or null when it may.
     */
    public static function networkRefusal(string $name): ?string
    {
        if (!self::fromNetwork($name)) {
            return null;
        }
        if (in_array($name, self::RATE_BUDGETS, true)) {
            return sprintf(
                /* translators: %1$s: setting name */
                __('%1$s is a setting of the whole network on a multisite (it sets the rate budgets the sites spend together: a shared provider\'s requests and tokens per minute, the host\'s AI steps per second), so a site cannot change it: a network administrator changes it in Network Admin > Sluice > Settings or with wp sluice config set %1$s <value> --network.', 'sluice'),
                $name,
            );
        }
        return in_array($name, self::PROVIDER_PROTECTION, true) ? sprintf(
            /* translators: %1$s: setting name */
            __('%1$s is a setting of the whole network on a multisite (it decides how the provider keys the sites share are protected), so a site cannot change it: a network administrator changes it in Network Admin > Sluice > Settings or with wp sluice config set %1$s <value> --network.', 'sluice'),
            $name,
        ) : sprintf(
            /* translators: %1$s: setting name */
            __('%1$s is a setting of the whole network on a multisite (it decides whether and through which store every site takes the keys they share), so a site cannot change it: a network administrator changes it in Network Admin > Sluice > Settings or with wp sluice config set %1$s <value> --network.', 'sluice'),
            $name,
        );
    }

    /**
     * What is in force as stored: the blog's option, and on a multisite the network's settings for the
     * NETWORK_WIDE ones (a blog's own stored value of those is not used).
     *
     * @return array<string, mixed>
     */
    public static function storedInForce(): array
    {
        if (!is_multisite()) {
            return self::stored();
        }
        return array_diff_key(self::stored(), array_flip(self::NETWORK_WIDE)) + NetworkSettings::stored();
    }

    /**
     * The stored option: what an operator set (empty when nothing).
     *
     * @return array<string, mixed>
     */
    public static function stored(): array
    {
        $settings = get_option(self::OPTION, []);
        return is_array($settings) ? $settings : [];
    }
}
