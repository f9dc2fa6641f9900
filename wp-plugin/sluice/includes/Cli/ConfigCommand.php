<?php
/**
 * `wp sluice config list|get|set`: Sluice's settings (option sluice_settings,
 * every setting of Settings\Fields; with --network, the network's:
 * Settings\NetworkSettings, which a blog cannot set on a multisite).
 * A value is checked by the settings page's own sanitizer
 * (Settings\Sanitizer, against Settings\Fields), so the command and the page accept and refuse
 * the same values; the command only turns what was typed into the types the
 * sanitizer takes from code (true/false, provider=limit pairs, hook lists).
 */

declare(strict_types=1);

namespace SluiceWP\Cli;

use SluiceWP\Backend\Capacity;
use SluiceWP\Settings\Config;
use SluiceWP\Settings\Field;
use SluiceWP\Settings\Fields;
use SluiceWP\Settings\NetworkSettings;
use SluiceWP\Settings\Sanitizer;
use WP_CLI;
use WP_CLI\Formatter;

defined('ABSPATH') || exit;

final class ConfigCommand
{
    /** @param \Closure(): ?Capacity $capacity the store in use, whose largest limit a limit may not exceed */
    public function __construct(private readonly Config $config, private readonly ?\Closure $capacity = null)
    {
    }

    /**
     * Shows one setting's value in effect (after Data Machine's defaults and Sluice's filters).
     *
     * ## OPTIONS
     *
     * <name>
     * : The setting (wp sluice config list shows them all).
     *
     * [--network]
     * : The network's setting (enabled, backend, redis_fallback, waiting_line, provider_limits: the limits of host-wide provider keys).
     *
     * [--format=<format>]
     * : Render the value in a particular format.
     * ---
     * default: plaintext
     * options:
     *   - plaintext
     *   - json
     *   - yaml
     * ---
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function get(array $args, array $assoc): void
    {
        $name = $args[0] ?? '';
        if (isset($assoc['network'])) {
            self::networkField($name);
            $value = $name === Fields::PROVIDER_LIMITS ? NetworkSettings::providerLimits() : $this->config->effective()[$name];
            WP_CLI::print_value(($assoc['format'] ?? 'plaintext') === 'plaintext' ? self::show($value) : $value, $assoc);
            return;
        }
        $values = $this->config->effective();
        if (!array_key_exists($name, $values)) {
            self::fail(self::unknown($name));
        }
        $value = $values[$name];
        WP_CLI::print_value(($assoc['format'] ?? 'plaintext') === 'plaintext' ? self::show($value) : $value, $assoc);
    }

    /**
     * Lists every setting: its value in effect (after Data Machine's defaults and Sluice's filters) and what is stored.
     *
     * ## OPTIONS
     *
     * [--fields=<fields>]
     * : Limit the output to these fields (name, value, stored).
     *
     * [--field=<field>]
     * : Print one field of each setting.
     *
     * [--format=<format>]
     * : Render output in a particular format.
     * ---
     * default: table
     * options:
     *   - table
     *   - csv
     *   - json
     *   - yaml
     *   - count
     * ---
     *
     * ## EXAMPLES
     *
     *     wp sluice config list
     *     wp sluice config list --format=json
     *
     * @subcommand list
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function list_(array $args, array $assoc): void
    {
        $stored = Fields::storedInForce();
        $rows = [];
        foreach ($this->config->effective() as $name => $value) {
            // As WP-CLI lists options: arrays and booleans written out, so every format shows the same text.
            $rows[] = ['name' => $name, 'value' => self::show($value), 'stored' => array_key_exists($name, $stored) ? self::show($stored[$name]) : ''];
        }
        (new Formatter($assoc, ['name', 'value', 'stored']))->display_items($rows);
    }

    /**
     * Stores one setting, after checking its value.
     *
     * ## OPTIONS
     *
     * <name>
     * : enabled, backend, redis_fallback, site_limit, provider_limits, tenant_limit, throttle_delay, throttle_delay_max, lease_ttl or ai_hooks.
     *
     * <value>
     * : enabled: true|false. backend: auto|native|database|redis. redis_fallback: database|ungated. Whole numbers within the settings page's ranges (site_limit >= 1, tenant_limit >= 0, throttle_delay >= 1, throttle_delay_max >= throttle_delay, lease_ttl >= 60; "" for the default). provider_limits: openai=2,anthropic=1 (or a JSON object; "" for none). ai_hooks: hook,hook (or a JSON list; "" for none).
     *
     * [--network]
     * : The network's setting (network option sluice_network_settings), for every blog: enabled, backend, redis_fallback, waiting_line (on a network a blog cannot set these), or provider_limits (the limits of host-wide provider keys; a blog's own provider limit then only lowers its own use).
     *
     * ## EXAMPLES
     *
     *     wp sluice config set site_limit 3
     *     wp sluice config set provider_limits openai=2,anthropic=1
     *     wp sluice config set provider_limits openai=8 --network
     *     wp sluice config set backend redis --network
     *     wp sluice config set ai_hooks my_plugin_summarise,my_plugin_translate
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function set(array $args, array $assoc): void
    {
        if (count($args) !== 2) {
            self::fail(__('Usage: wp sluice config set <name> <value>.', 'sluice'));
        }
        [$name, $raw] = $args;
        $field = Fields::get($name) ?? self::fail(self::unknown($name));
        if (isset($assoc['network'])) {
            $this->setNetwork($field, $raw);
            return;
        }
        $refusal = Fields::networkRefusal($name);
        if ($refusal !== null) {
            self::fail($refusal);
        }
        $stored = Fields::stored();
        if (!function_exists('add_settings_error')) {
            require_once ABSPATH . 'wp-admin/includes/template.php'; // the sanitizer reports through it
        }
        $sanitizer = new Sanitizer($this->capacity !== null ? ($this->capacity)() : null);
        $settings = $sanitizer->sanitize([$name => self::typed($field, $raw)] + $stored);
        if ($sanitizer->errors() !== []) {
            self::fail($name . ': ' . $sanitizer->errors()[0]['message']);
        }
        update_option(Fields::OPTION, $settings);
        WP_CLI::success(sprintf(
            /* translators: 1: setting name, 2: its new value */
            __('Set %1$s to %2$s.', 'sluice'),
            $name,
            array_key_exists($name, $settings) ? self::show($settings[$name]) : __('its default', 'sluice'),
        ));
    }

    /** `--network`: one of the network's settings (NetworkSettings), checked as a blog's are. */
    private function setNetwork(Field $field, string $raw): void
    {
        if (!is_multisite()) {
            self::fail(__('--network is for a network (multisite); on a single site the site\'s own settings are in force: leave --network out.', 'sluice'));
        }
        self::networkField($field->name);
        $errors = NetworkSettings::update([$field->name => self::typed($field, $raw)], $this->capacity !== null ? ($this->capacity)() : null);
        if ($errors !== []) {
            self::fail($field->name . ' (--network): ' . $errors[0]);
        }
        $stored = NetworkSettings::stored();
        WP_CLI::success(sprintf(
            /* translators: 1: setting name, 2: its new value */
            __('Set the network\'s %1$s to %2$s.', 'sluice'),
            $field->name,
            array_key_exists($field->name, $stored) ? self::show($stored[$field->name]) : __('its default', 'sluice'),
        ));
    }

    /** Fails unless the network holds this setting. */
    private static function networkField(string $name): void
    {
        if (!in_array($name, NetworkSettings::FIELDS, true)) {
            self::fail(sprintf(
                /* translators: 1: setting name, 2: the network's settings */
                __('%1$s is a setting of each blog; the network sets %2$s.', 'sluice'),
                $name,
                implode(', ', NetworkSettings::FIELDS),
            ));
        }
    }

    /** What was typed, as the type the sanitizer takes from code. */
    private static function typed(Field $field, string $raw): mixed
    {
        $text = trim($raw);
        $name = $field->name;
        if ($field->type === Field::BOOL) {
            $bool = filter_var($text, FILTER_VALIDATE_BOOLEAN, FILTER_NULL_ON_FAILURE);
            if ($bool === null || $text === '') {
                /* translators: 1: setting name, 2: what was typed */
                self::fail(sprintf(__('%1$s: give true or false (also 1/0, yes/no, on/off), not "%2$s".', 'sluice'), $name, $raw));
            }
            return $bool;
        }
        $isList = $field->type === Field::HOOKS;
        if (($isList || $field->type === Field::PROVIDER_LIMITS) && str_starts_with($text, $isList ? '[' : '{')) {
            $decoded = json_decode($text, true);
            if (!is_array($decoded)) {
                /* translators: 1: setting name, 2: what was typed */
                self::fail(sprintf(__('%1$s: "%2$s" is not valid JSON.', 'sluice'), $name, $raw));
            }
            return $decoded;
        }
        if ($field->type === Field::PROVIDER_LIMITS) {
            return str_replace(',', "\n", $text); // the page's format: one provider = limit a line
        }
        return $text;
    }

    private static function show(mixed $value): string
    {
        if (is_bool($value)) {
            return $value ? 'true' : 'false';
        }
        return is_scalar($value) ? (string) $value : (string) wp_json_encode($value, JSON_UNESCAPED_SLASHES);
    }

    private static function unknown(string $name): string
    {
        return sprintf(
            /* translators: 1: the unknown name, 2: the known names */
            __('Unknown setting "%1$s". Settings: %2$s.', 'sluice'),
            $name,
            implode(', ', Fields::names()),
        );
    }

    private static function fail(string $message): never
    {
        WP_CLI::error($message);
    }
}
