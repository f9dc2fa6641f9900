<?php
/**
 * `wp sluice config get|set`: Sluice's settings (option sluice_settings).
 * A value is checked by the settings page's own sanitizer
 * (Settings\Sanitizer, against Settings\Fields), so the command and the page accept and refuse
 * the same values; the command only turns what was typed into the types the
 * sanitizer takes from code (true/false, provider=limit pairs, hook lists).
 */

declare(strict_types=1);

namespace SluiceWP\Cli;

use SluiceWP\Settings\Config;
use SluiceWP\Settings\Field;
use SluiceWP\Settings\Fields;
use SluiceWP\Settings\Sanitizer;
use WP_CLI;

defined('ABSPATH') || exit;

final class ConfigCommand
{
    public function __construct(private readonly Config $config)
    {
    }

    /**
     * Shows the settings: the value in effect (after Data Machine's defaults and Sluice's filters) and what is stored.
     *
     * ## OPTIONS
     *
     * [<name>]
     * : One setting; prints only its value in effect.
     *
     * [--format=<format>]
     * : table, json or yaml (for all settings).
     * ---
     * default: table
     * options:
     *   - table
     *   - json
     *   - yaml
     * ---
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function get(array $args, array $assoc): void
    {
        $rows = $this->rows();
        if (isset($args[0])) {
            if (!isset($rows[$args[0]])) {
                self::fail(self::unknown($args[0]));
            }
            $value = $rows[$args[0]]['value'];
            WP_CLI::line(is_scalar($value) ? (is_bool($value) ? ($value ? 'true' : 'false') : (string) $value) : (string) wp_json_encode($value));
            return;
        }
        $format = $assoc['format'] ?? 'table';
        if ($format !== 'table') {
            $plain = array_map(static fn (array $r): array => ['value' => $r['value'], 'stored' => $r['stored']], $rows);
            WP_CLI::line($format === 'yaml' ? Output::yaml($plain) : (string) wp_json_encode($plain, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES));
            return;
        }
        $table = [];
        foreach ($rows as $name => $row) {
            $table[] = ['name' => $name, 'value' => self::show($row['value']), 'stored' => $row['stored'] === null ? '' : self::show($row['stored'])];
        }
        \WP_CLI\Utils\format_items('table', $table, ['name', 'value', 'stored']);
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
     * ## EXAMPLES
     *
     *     wp sluice config set site_limit 3
     *     wp sluice config set provider_limits openai=2,anthropic=1
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
        $stored = Fields::stored();
        if (!function_exists('add_settings_error')) {
            require_once ABSPATH . 'wp-admin/includes/template.php'; // the sanitizer reports through it
        }
        $sanitizer = new Sanitizer();
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

    /** @return array<string, array{value: mixed, stored: mixed}> */
    private function rows(): array
    {
        $stored = Fields::stored();
        $rows = [];
        foreach ($this->config->effective() as $name => $value) {
            $rows[$name] = ['value' => $value, 'stored' => $stored[$name] ?? null];
        }
        return $rows;
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
