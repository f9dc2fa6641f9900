<?php
/**
 * The settings page (Sluice > Settings, manage_options), through the
 * Settings API: the option `sluice_settings`, validated by
 * SettingsSanitizer. An empty number field means "the default": Data
 * Machine's setting when Data Machine is active (shown beside the field),
 * else Sluice's own; the value in effect (after filters) is shown too.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Settings\Config;
use SluiceWP\Settings\Defaults;

final class SettingsPage
{
    public const SLUG = 'sluice-settings';
    public const GROUP = 'sluice';
    private const SECTION = 'sluice_limits';

    /** @param string $defaultsSource who configured $defaults ("Data Machine"), '' when nobody did */
    public function __construct(
        private readonly Config $config,
        private readonly Defaults $defaults,
        private readonly string $defaultsSource,
        private readonly StatusSource $source,
    ) {
    }

    /** The setting and its validation (admin_init; options.php needs it too). */
    public static function registerSetting(): void
    {
        register_setting(self::GROUP, Config::OPTION, [
            'type' => 'array',
            'sanitize_callback' => [new SettingsSanitizer(), 'sanitize'],
            'default' => [],
            'show_in_rest' => false,
        ]);
    }

    public function addMenu(): void
    {
        add_submenu_page(StatusPage::SLUG, __('Sluice settings', 'sluice'), __('Settings', 'sluice'), StatusPage::CAPABILITY, self::SLUG, [$this, 'render']);
        $this->addFields();
    }

    private function addFields(): void
    {
        add_settings_section(self::SECTION, '', '__return_false', self::SLUG);
        $fields = [
            'enabled' => __('Gating', 'sluice'),
            'site_limit' => __('Site limit', 'sluice'),
            'provider_limits' => __('Provider limits', 'sluice'),
            'tenant_limit' => __('Tenant limit', 'sluice'),
            'throttle_delay' => __('Throttle delay', 'sluice'),
            'throttle_delay_max' => __('Maximum throttle delay', 'sluice'),
            'lease_ttl' => __('Lease TTL', 'sluice'),
            'backend' => __('Backend', 'sluice'),
            'ai_hooks' => __('AI hooks', 'sluice'),
        ];
        foreach ($fields as $field => $title) {
            add_settings_field('sluice_' . $field, $title, [$this, 'field_' . $field], self::SLUG, self::SECTION, ['label_for' => 'sluice_' . $field]);
        }
    }

    public function render(): void
    {
        if (!current_user_can(StatusPage::CAPABILITY)) {
            wp_die(esc_html__('Sorry, you are not allowed to access this page.', 'sluice'), '', ['response' => 403]);
        }
        echo '<div class="wrap sluice-settings"><h1>' . esc_html__('Sluice settings', 'sluice') . '</h1>';
        settings_errors();
        if ($this->defaultsSource !== '') {
            echo '<p>' . esc_html(sprintf(
                /* translators: %s: the plugin whose settings are the defaults, e.g. Data Machine */
                __('%s is active: its concurrency settings are the defaults below. Leave a field empty to keep them.', 'sluice'),
                $this->defaultsSource,
            )) . '</p>';
        }
        echo '<form method="post" action="' . esc_url(admin_url('options.php')) . '">';
        settings_fields(self::GROUP);
        echo '<input type="hidden" name="' . esc_attr(Config::OPTION . '[' . SettingsSanitizer::FORM_MARKER . ']') . '" value="1">';
        do_settings_sections(self::SLUG);
        submit_button();
        echo '</form></div>';
    }

    public function field_enabled(): void
    {
        printf(
            '<label><input type="checkbox" id="sluice_enabled" name="%s" value="1"%s> %s</label>',
            esc_attr($this->name('enabled')),
            checked($this->config->enabled(), true, false),
            esc_html__('Gate AI work: each AI step takes a slot first or is deferred', 'sluice'),
        );
        $this->help(__('Off: AI steps run ungated (and Data Machine\'s own limiter applies again).', 'sluice'));
    }

    public function field_site_limit(): void
    {
        $default = $this->defaults->siteLimit();
        $this->number('site_limit', 1, 1000, $default ?? 1);
        $this->help(
            __('AI steps of this site at once.', 'sluice') . ' ' . $this->defaultText($default, 1, '') . ' ' . $this->effective((string) $this->config->siteLimit()),
        );
    }

    public function field_provider_limits(): void
    {
        $stored = $this->stored('provider_limits');
        $lines = [];
        foreach (is_array($stored) ? $stored : [] as $provider => $limit) {
            $lines[] = $provider . ' = ' . (is_scalar($limit) ? (string) $limit : '');
        }
        printf(
            '<textarea id="sluice_provider_limits" name="%s" rows="3" cols="30" class="code" placeholder="%s">%s</textarea>',
            esc_attr($this->name('provider_limits')),
            esc_attr('openai = 2'),
            esc_textarea(implode("\n", $lines)),
        );
        $help = __('Requests at once to one provider, one per line: provider = limit (0 = no provider limit).', 'sluice');
        $defaults = [];
        $stored = is_array($stored) ? array_map('strval', array_keys($stored)) : [];
        foreach (array_unique([...$stored, ...$this->source->providersSeen()]) as $provider) {
            $default = $this->defaults->providerLimit($provider);
            $defaults[] = $provider . ' = ' . ($default ?? 0) . ' (' . __('in effect:', 'sluice') . ' ' . $this->config->providerLimit($provider) . ')';
        }
        if ($defaults !== []) {
            $help .= ' ' . sprintf(
                /* translators: 1: where the defaults come from, 2: list of provider = limit */
                __('Defaults (%1$s): %2$s.', 'sluice'),
                $this->defaultsSource !== '' ? $this->defaultsSource : __('Sluice', 'sluice'),
                implode(', ', $defaults),
            );
        }
        $this->help($help);
    }

    public function field_tenant_limit(): void
    {
        $this->number('tenant_limit', 0, 1000, 0);
        $this->help(__('AI steps at once per tenant (0 or empty = no tenant limit). Stored now; the gate applies it in a coming release.', 'sluice'));
    }

    public function field_throttle_delay(): void
    {
        $default = $this->defaults->throttleDelay();
        $this->number('throttle_delay', 1, 3600, $default ?? 10);
        $this->help(
            __('Seconds until a deferred step is tried again, the first time; it doubles with each deferral of the same step.', 'sluice')
            . ' ' . $this->defaultText($default, 10, ' s') . ' ' . $this->effective($this->config->throttleDelay() . ' s'),
        );
    }

    public function field_throttle_delay_max(): void
    {
        $this->number('throttle_delay_max', 1, 86400, 300);
        $this->help(__('The longest delay, in seconds (never below the throttle delay). Default: 300 s.', 'sluice') . ' ' . $this->effective($this->config->throttleDelayMax() . ' s'));
    }

    public function field_lease_ttl(): void
    {
        $this->number('lease_ttl', 60, 86400, 600);
        $this->help(
            __('Seconds a slot lives unless renewed (each provider request renews it); never below the request timeout + 60 s. Default: 600 s.', 'sluice')
            . ' ' . $this->effective($this->config->leaseTtl() . ' s'),
        );
    }

    public function field_backend(): void
    {
        $stored = $this->stored('backend');
        $current = is_string($stored) && in_array($stored, SettingsSanitizer::BACKENDS, true) ? $stored : 'auto';
        $labels = [
            'auto' => __('Automatic', 'sluice'),
            'native' => __('Native (PHP extension)', 'sluice'),
            'database' => __('Database (lease table)', 'sluice'),
        ];
        echo '<select id="sluice_backend" name="' . esc_attr($this->name('backend')) . '">';
        foreach ($labels as $value => $label) {
            printf('<option value="%s"%s>%s</option>', esc_attr($value), selected($current, $value, false), esc_html($label));
        }
        echo '</select>';
        $inUse = $this->source->status()->backendName();
        $this->help(
            __('Automatic: native when the sluice extension is loaded (shared memory of this host), else the database backend (a lease table, for hosts without the extension or several hosts).', 'sluice')
            . ' ' . ($inUse !== null
                /* translators: %s: backend name */
                ? sprintf(__('In use now: %s.', 'sluice'), $inUse)
                : __('In use now: none (see the status page).', 'sluice')),
        );
    }

    public function field_ai_hooks(): void
    {
        $hooks = $this->config->aiHooks();
        printf(
            '<textarea id="sluice_ai_hooks" name="%s" rows="3" cols="40" class="code" placeholder="%s">%s</textarea>',
            esc_attr($this->name('ai_hooks')),
            esc_attr('my_plugin_generate_summary'),
            esc_textarea(implode("\n", $hooks)),
        );
        $this->help(__('Action Scheduler hooks that call an AI provider, one per line, besides Data Machine\'s AI steps (recognised on their own).', 'sluice'));
    }

    private function number(string $field, int $min, int $max, int $placeholder): void
    {
        $stored = $this->stored($field);
        printf(
            '<input type="number" id="sluice_%1$s" name="%2$s" value="%3$s" min="%4$d" max="%5$d" step="1" placeholder="%6$d" class="small-text">',
            esc_attr($field),
            esc_attr($this->name($field)),
            esc_attr(is_scalar($stored) ? (string) $stored : ''),
            $min,
            $max,
            $placeholder,
        );
    }

    private function defaultText(?int $default, int $own, string $unit): string
    {
        if ($default !== null && $this->defaultsSource !== '') {
            /* translators: 1: the plugin, 2: its value with unit */
            return sprintf(__('Default: %2$s (%1$s\'s setting).', 'sluice'), $this->defaultsSource, $default . $unit);
        }
        /* translators: %s: Sluice's default value with unit */
        return sprintf(__('Default: %s.', 'sluice'), $own . $unit);
    }

    private function effective(string $value): string
    {
        /* translators: %s: the value in effect, after filters */
        return sprintf(__('In effect: %s.', 'sluice'), $value);
    }

    private function help(string $text): void
    {
        echo '<p class="description">' . esc_html($text) . '</p>';
    }

    private function name(string $field): string
    {
        return Config::OPTION . '[' . $field . ']';
    }

    private function stored(string $field): mixed
    {
        $settings = get_option(Config::OPTION, []);
        return is_array($settings) ? ($settings[$field] ?? null) : null;
    }
}
