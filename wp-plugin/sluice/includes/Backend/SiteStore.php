<?php
/**
 * The store that the setting `backend` = auto resolves to, chosen once for
 * every process of the site (the network, on a multisite) and kept in the
 * network option `sluice_store`: the first process to ask picks native if it
 * has the extension, else the database, and every later process uses that
 * choice. Without it each process picked for itself, and a site whose CLI
 * runners had the extension but whose PHP-FPM had not kept two stores, each
 * granting the whole limit. A process that cannot use the chosen store says
 * so (BackendChoice) instead of quietly using another one. Saving the
 * setting `backend` forgets the choice, so the next process chooses again.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

use SluiceWP\Settings\Fields;
use SluiceWP\Settings\NetworkSettings;

defined('ABSPATH') || exit;

final class SiteStore
{
    public const OPTION = 'sluice_store';

    public function __construct(
        /** "native" or "database". */
        public readonly string $backend,
        /** Unix seconds of the choice. */
        public readonly int $at,
        /** The PHP SAPI of the process that chose (cli, fpm-fcgi, ...). */
        public readonly string $by,
    ) {
    }

    /** Saving the setting `backend` (settings page, `wp sluice config set`, REST; on a network, the network's) forgets the choice. */
    public static function init(): void
    {
        $saved = static function ($old, $new): void {
            $before = is_array($old) ? ($old[Fields::BACKEND] ?? 'auto') : 'auto';
            $after = is_array($new) ? ($new[Fields::BACKEND] ?? 'auto') : 'auto';
            if ($before !== $after) {
                self::forget();
            }
        };
        if (is_multisite()) {
            // On a network the setting is the network's (NetworkSettings).
            add_action('update_site_option_' . NetworkSettings::OPTION, static fn ($name, $value, $old) => $saved($old, $value), 10, 3);
            add_action('add_site_option_' . NetworkSettings::OPTION, static fn ($name, $value) => $saved([], $value), 10, 2);
            return;
        }
        add_action('update_option_' . Fields::OPTION, $saved, 10, 2);
        add_action('add_option_' . Fields::OPTION, static fn ($name, $value) => $saved([], $value), 10, 2);
    }

    /** The site's choice, or null while no process has made one. */
    public static function chosen(): ?self
    {
        $stored = get_site_option(self::OPTION);
        if (!is_array($stored) || !in_array($stored['backend'] ?? null, ['native', 'database'], true)) {
            return null;
        }
        return new self((string) $stored['backend'], (int) ($stored['at'] ?? 0), (string) ($stored['by'] ?? ''));
    }

    /** The site's choice; this process makes it if none is made yet (the first process to store one wins). */
    public static function choose(bool $extensionLoaded): self
    {
        $chosen = self::chosen();
        if ($chosen !== null) {
            return $chosen;
        }
        global $wpdb;
        // Check and store under a lock, reading the table itself: add_option() would overwrite a choice
        // another process stored a moment ago, and this request's option cache predates it.
        $locked = (int) $wpdb->get_var("SELECT GET_LOCK('sluice_store_choice', 5)") === 1;
        try {
            $stored = self::storedNow();
            if ($stored === null) {
                $stored = ['backend' => $extensionLoaded ? 'native' : 'database', 'at' => time(), 'by' => PHP_SAPI];
                update_site_option(self::OPTION, $stored);
            }
        } finally {
            if ($locked) {
                $wpdb->query("SELECT RELEASE_LOCK('sluice_store_choice')");
            }
        }
        wp_cache_delete(self::cacheKey(), 'site-options');
        wp_cache_delete('alloptions', 'options');
        return new self((string) $stored['backend'], (int) $stored['at'], (string) $stored['by']);
    }

    /** @return array{backend: string, at: int, by: string}|null the choice as the database holds it now */
    private static function storedNow(): ?array
    {
        global $wpdb;
        $raw = is_multisite()
            ? $wpdb->get_var($wpdb->prepare("SELECT meta_value FROM {$wpdb->sitemeta} WHERE site_id = %d AND meta_key = %s ORDER BY meta_id LIMIT 1", get_current_network_id(), self::OPTION))
            : $wpdb->get_var($wpdb->prepare("SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", self::OPTION));
        $value = is_string($raw) ? maybe_unserialize($raw) : null;
        if (!is_array($value) || !in_array($value['backend'] ?? null, ['native', 'database'], true)) {
            return null;
        }
        return ['backend' => (string) $value['backend'], 'at' => (int) ($value['at'] ?? 0), 'by' => (string) ($value['by'] ?? '')];
    }

    /** Forgets the choice: the next process chooses again (the setting `backend` was saved). */
    public static function forget(): void
    {
        delete_site_option(self::OPTION);
    }

    /** In words: "native, chosen by a cli process on 2026-12-06 17:52 UTC". */
    public function describe(): string
    {
        return sprintf('%s, chosen by a %s process on %s UTC', $this->backend, $this->by, gmdate('Y-m-d H:i', $this->at));
    }

    private static function cacheKey(): string
    {
        return is_multisite() ? get_current_network_id() . ':' . self::OPTION : self::OPTION;
    }
}
