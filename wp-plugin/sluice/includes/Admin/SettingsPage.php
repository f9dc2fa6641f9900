<?php
/**
 * The settings page (Sluice > Settings, manage_options), through the
 * Settings API: the option `sluice_settings`, one form field per setting of
 * Settings\Fields, validated by Settings\Sanitizer. An empty number field
 * means "the default": Data Machine's setting when Data Machine is active
 * (shown beside the field), else Sluice's own; the value in effect (after
 * filters) is shown too. On a multisite the network's settings
 * (Fields::NETWORK_WIDE) are shown read-only, with where they are changed.
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Backend\Capacity;
use SluiceWP\Log\EventLog;
use SluiceWP\Settings\Config;
use SluiceWP\Settings\Defaults;
use SluiceWP\Settings\Field;
use SluiceWP\Settings\Fields;
use SluiceWP\Settings\NetworkSettings;
use SluiceWP\Settings\Sanitizer;

defined('ABSPATH') || exit;

final class SettingsPage
{
    public const SLUG = 'sluice-settings';
    public const GROUP = 'sluice';
    private const SECTION = 'sluice_limits';

    /**
     * @param string $defaultsSource who configured $defaults ("Data Machine"), '' when nobody did
     * @param \Closure(): ?string $backendInUse the name of the lease store in use, null when none is usable
     */
    public function __construct(
        private readonly Config $config,
        private readonly Defaults $defaults,
        private readonly string $defaultsSource,
        private readonly EventLog $eventLog,
        private readonly \Closure $backendInUse,
    ) {
    }

    /** The setting and its validation against the store in use (admin_init; options.php needs it too). */
    public static function registerSetting(?Capacity $capacity): void
    {
        register_setting(self::GROUP, Fields::OPTION, [
            'type' => 'array',
            'sanitize_callback' => [new Sanitizer($capacity), 'sanitize'],
            'default' => [],
            'show_in_rest' => false,
        ]);
    }

    public function addMenu(): void
    {
        add_submenu_page(StatusPage::SLUG, __('Sluice settings', 'sluice'), __('Settings', 'sluice'), StatusPage::CAPABILITY, self::SLUG, [$this, 'render']);
        add_settings_section(self::SECTION, '', '__return_false', self::SLUG);
        foreach (array_filter(Fields::all(), static fn (Field $field): bool => $field->onSettingsPage) as $name => $field) {
            add_settings_field('sluice_' . $name, $field->title, fn () => $this->field($field), self::SLUG, self::SECTION, ['label_for' => 'sluice_' . $name]);
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
        echo '<input type="hidden" name="' . esc_attr(Fields::OPTION . '[' . Sanitizer::FORM_MARKER . ']') . '" value="1">';
        do_settings_sections(self::SLUG);
        submit_button();
        echo '</form></div>';
    }

    /** One setting's form field and its help. */
    public function field(Field $field): void
    {
        if (Fields::fromNetwork($field->name)) {
            $this->networkSetting($field);
            return;
        }
        match ($field->type) {
            Field::BOOL => $this->checkbox($field),
            Field::INT => $this->number($field),
            Field::CHOICE => $this->select($field),
            Field::PROVIDER_LIMITS => $this->providerLimits($field),
            Field::HOOKS => $this->hooks($field),
        };
    }

    /** On a multisite, a setting of the whole network: its value in effect, read-only, and where it is changed. */
    private function networkSetting(Field $field): void
    {
        $shown = static fn (mixed $value): string => match (true) {
            is_bool($value) => $value ? __('On', 'sluice') : __('Off', 'sluice'),
            default => $field->choices[is_scalar($value) ? (string) $value : ''] ?? (is_scalar($value) ? (string) $value : ''),
        };
        echo '<strong id="sluice_' . esc_attr($field->name) . '">' . esc_html($shown($this->config->effective()[$field->name] ?? $field->default)) . '</strong>';
        $note = __('Set for every site of the network by a network administrator (Network Admin > Sluice > Settings); a site cannot change it.', 'sluice');
        $own = $this->stored($field->name);
        if ($own !== null && $own != (NetworkSettings::stored()[$field->name] ?? $field->default)) {
            /* translators: %s: the value this site had stored */
            $note .= ' ' . sprintf(__('This site\'s own earlier value (%s) is not used.', 'sluice'), $shown($own));
        }
        $this->help($field->help . ' ' . $note);
        if (current_user_can('manage_network_options')) {
            echo '<p><a href="' . esc_url(network_admin_url('admin.php?page=' . NetworkSettingsPage::SLUG)) . '">' . esc_html__('Change it for the network', 'sluice') . '</a></p>';
        }
    }

    private function checkbox(Field $field): void
    {
        $checked = (bool) ($this->config->effective()[$field->name] ?? $field->default);
        $label = $field->name === Fields::ENABLED
            ? __('Gate AI work: each AI step takes a slot first or is deferred', 'sluice')
            : $field->title;
        printf(
            '<label><input type="checkbox" id="sluice_%s" name="%s" value="1"%s> %s</label>',
            esc_attr($field->name),
            esc_attr($this->name($field->name)),
            checked($checked, true, false),
            esc_html($label),
        );
        $this->help($field->help);
    }

    private function number(Field $field): void
    {
        $own = (int) $field->default;
        $theirs = match ($field->name) {
            Fields::SITE_LIMIT => $this->defaults->siteLimit(),
            Fields::THROTTLE_DELAY => $this->defaults->throttleDelay(),
            default => null,
        };
        $stored = $this->stored($field->name);
        printf(
            '<input type="number" id="sluice_%1$s" name="%2$s" value="%3$s" min="%4$d" max="%5$d" step="1" placeholder="%6$d" class="small-text">',
            esc_attr($field->name),
            esc_attr($this->name($field->name)),
            esc_attr(is_scalar($stored) ? (string) $stored : ''),
            $field->min,
            $field->max,
            $theirs ?? $own,
        );
        $effective = $this->config->effective()[$field->name] ?? null;
        $this->help($field->help . ' ' . $this->defaultText($theirs, $own, $field->unit)
            . ' ' . $this->effective((is_scalar($effective) ? (string) $effective : '') . $field->unit));
    }

    private function select(Field $field): void
    {
        $current = (string) ($this->config->effective()[$field->name] ?? $field->default);
        echo '<select id="sluice_' . esc_attr($field->name) . '" name="' . esc_attr($this->name($field->name)) . '">';
        foreach ($field->choices as $value => $label) {
            printf('<option value="%s"%s>%s</option>', esc_attr($value), selected($current, $value, false), esc_html($label));
        }
        echo '</select>';
        $inUse = ($this->backendInUse)();
        $this->help($field->help . ' ' . ($inUse !== null
            /* translators: %s: backend name */
            ? sprintf(__('In use now: %s.', 'sluice'), $inUse)
            : __('In use now: none (see the status page).', 'sluice')));
    }

    private function providerLimits(Field $field): void
    {
        $stored = $this->stored($field->name);
        $lines = [];
        foreach (is_array($stored) ? $stored : [] as $provider => $limit) {
            $lines[] = $provider . ' = ' . (is_scalar($limit) ? (string) $limit : '');
        }
        printf(
            '<textarea id="sluice_%s" name="%s" rows="3" cols="30" class="code" placeholder="%s">%s</textarea>',
            esc_attr($field->name),
            esc_attr($this->name($field->name)),
            esc_attr($field->name === Fields::MODE_LIMITS ? 'chat = 1' : 'openai = 2'),
            esc_textarea(implode("\n", $lines)),
        );
        $help = $field->help;
        if ($field->name !== Fields::PROVIDER_LIMITS) {
            $this->help($help);
            return;
        }
        $defaults = [];
        $stored = is_array($stored) ? array_map('strval', array_keys($stored)) : [];
        foreach (array_unique([...$stored, ...$this->eventLog->providersSeen()]) as $provider) {
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
        $shared = [];
        foreach (array_unique([...$stored, ...$this->eventLog->providersSeen(), ...array_keys(NetworkSettings::providerLimits())]) as $provider) {
            if (is_multisite() && $this->config->providerKeyIsHostWide((string) $provider)) {
                $shared[] = $provider . ' = ' . $this->config->hostWideProviderLimit((string) $provider);
            }
        }
        if ($shared !== []) {
            $help .= ' ' . sprintf(
                /* translators: %s: list of provider = limit */
                __('Shared by every site of the network (Network Admin > Sluice > Settings): %s; a limit here only lowers this site\'s own use.', 'sluice'),
                implode(', ', $shared),
            );
        }
        $this->help($help);
    }

    private function hooks(Field $field): void
    {
        printf(
            '<textarea id="sluice_%s" name="%s" rows="3" cols="40" class="code" placeholder="%s">%s</textarea>',
            esc_attr($field->name),
            esc_attr($this->name($field->name)),
            esc_attr($field->name === Fields::AI_HOOKS ? 'my_plugin_generate_summary' : 'chat'),
            esc_textarea(implode("\n", $field->name === Fields::AI_HOOKS ? $this->config->aiHooks() : $this->config->exemptModes())),
        );
        $this->help($field->help);
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
        return Fields::OPTION . '[' . $field . ']';
    }

    private function stored(string $field): mixed
    {
        return Fields::stored()[$field] ?? null;
    }
}
