<?php
/**
 * The install's id in key names and line scopes ("sluice/<install>/<blog>/..."):
 * ten random hex digits created once per install and stored in the main
 * site's options (option sluice_install_id, autoloaded), so every host and
 * process of one site agrees on it however it spells DB_HOST (localhost,
 * 127.0.0.1, a private IP, a socket), and two installs on one host never do.
 * The first process to need it creates it with one INSERT IGNORE on the
 * option's unique name: concurrent first processes all read back the one row
 * that won. Read once per process: free on the main site (autoloaded), one
 * query on another blog of a network.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

final class InstallId
{
    public const OPTION = 'sluice_install_id';

    /** @var array<string, string> base prefix => id, for this process */
    private static array $ids = [];

    public static function get(): string
    {
        global $wpdb;
        return self::$ids[$wpdb->base_prefix] ??= self::stored() ?? self::create();
    }

    /** The id in the main site's options, or null when there is none yet. */
    private static function stored(): ?string
    {
        global $wpdb;
        $value = !is_multisite() || is_main_site()
            ? get_option(self::OPTION)
            : $wpdb->get_var($wpdb->prepare("SELECT option_value FROM {$wpdb->base_prefix}options WHERE option_name = %s", self::OPTION));
        return is_string($value) && preg_match('/\A[0-9a-f]{10}\z/', $value) === 1 ? $value : null;
    }

    private static function create(): string
    {
        global $wpdb;
        $wpdb->query($wpdb->prepare(
            "INSERT IGNORE INTO {$wpdb->base_prefix}options (option_name, option_value, autoload) VALUES (%s, %s, 'yes')",
            self::OPTION,
            bin2hex(random_bytes(5)),
        ));
        // The main site's option caches do not know the row yet (another process's, if it won).
        wp_cache_delete('alloptions', 'options');
        wp_cache_delete('notoptions', 'options');
        wp_cache_delete(self::OPTION, 'options');
        $id = $wpdb->get_var($wpdb->prepare("SELECT option_value FROM {$wpdb->base_prefix}options WHERE option_name = %s", self::OPTION));
        if (!is_string($id) || preg_match('/\A[0-9a-f]{10}\z/', $id) !== 1) {
            throw new \RuntimeException('Sluice could not store its install id (option ' . self::OPTION . '): ' . $wpdb->last_error);
        }
        return $id;
    }
}
