<?php
/**
 * `wp sluice config get|set`: Sluice's settings (option sluice_settings).
 * A value is checked by the settings page's own sanitizer
 * (Admin\SettingsSanitizer), so the command and the page accept and refuse
 * the same values; the command only turns what was typed into the types the
 * sanitizer takes from code (true/false, provider=limit pairs, hook lists).
 */

declare(strict_types=1);

namespace SluiceWP\Cli;

use SluiceWP\Admin\SettingsSanitizer;
use SluiceWP\Settings\Config;
use WP_CLI;

final class ConfigCommand
{
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
        $rows = self::rows();
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
     * : enabled, backend, site_limit, provider_limits, tenant_limit, throttle_delay, throttle_delay_max, lease_ttl or ai_hooks.
     *
     * <value>
     * : enabled: true|false. backend: auto|native|database. Whole numbers within the settings page's ranges (site_limit >= 1, tenant_limit >= 0, throttle_delay >= 1, throttle_delay_max >= throttle_delay, lease_ttl >= 60; "" for the default). provider_limits: openai=2,anthropic=1 (or a JSON object; "" for none). ai_hooks: hook,hook (or a JSON list; "" for none).
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
        if (!in_array($name, SettingsSanitizer::FIELDS, true)) {
            self::fail(self::unknown($name));
        }
        $stored = get_option(Config::OPTION, []);
        $stored = is_array($stored) ? $stored : [];
        if (!function_exists('add_settings_error')) {
            require_once ABSPATH . 'wp-admin/includes/template.php'; // the sanitizer reports through it
        }
        $sanitizer = new SettingsSanitizer();
        $settings = $sanitizer->sanitize([$name => self::typed($name, $raw)] + $stored);
        if ($sanitizer->errors() !== []) {
            self::fail($name . ': ' . $sanitizer->errors()[0]['message']);
        }
        update_option(Config::OPTION, $settings);
        WP_CLI::success(sprintf(
            /* translators: 1: setting name, 2: its new value */
            __('Set %1$s to %2$s.', 'sluice'),
            $name,
            array_key_exists($name, $settings) ? self::show($settings[$name]) : __('its default', 'sluice'),
        ));
    }

    /** What was typed, as the type the sanitizer takes from code. */
    private static function typed(string $name, string $raw): mixed
    {
        $text = trim($raw);
        if ($name === 'enabled') {
            $bool = filter_var($text, FILTER_VALIDATE_BOOLEAN, FILTER_NULL_ON_FAILURE);
            if ($bool === null || $text === '') {
                self::fail(sprintf(__('enabled: give true or false (also 1/0, yes/no, on/off), not "%s".', 'sluice'), $raw));
            }
            return $bool;
        }
        if (in_array($name, ['provider_limits', 'ai_hooks'], true) && str_starts_with($text, $name === 'ai_hooks' ? '[' : '{')) {
            $decoded = json_decode($text, true);
            if (!is_array($decoded)) {
                self::fail(sprintf(__('%1$s: "%2$s" is not valid JSON.', 'sluice'), $name, $raw));
            }
            return $decoded;
        }
        if ($name === 'provider_limits') {
            return str_replace(',', "\n", $text); // the page's format: one provider = limit a line
        }
        return $text;
    }

    /** @return array<string, array{value: mixed, stored: mixed}> */
    private static function rows(): array
    {
        $config = sluice_services()->config;
        $stored = get_option(Config::OPTION, []);
        $stored = is_array($stored) ? $stored : [];
        $effective = [
            'enabled' => $config->enabled(),
            'backend' => $stored['backend'] ?? 'auto',
            'site_limit' => $config->siteLimit(),
            'provider_limits' => $stored['provider_limits'] ?? [],
            'tenant_limit' => $stored['tenant_limit'] ?? 0,
            'throttle_delay' => $config->throttleDelay(),
            'throttle_delay_max' => $config->throttleDelayMax(),
            'lease_ttl' => $config->leaseTtl(),
            'ai_hooks' => $config->aiHooks(),
        ];
        $rows = [];
        foreach (SettingsSanitizer::FIELDS as $name) {
            $rows[$name] = ['value' => $effective[$name] ?? ($stored[$name] ?? null), 'stored' => $stored[$name] ?? null];
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
            implode(', ', SettingsSanitizer::FIELDS),
        );
    }

    private static function fail(string $message): never
    {
        WP_CLI::error($message);
    }
}
