<?php
/**
 * What uninstall.php does: removes everything Sluice wrote (Footprint: its
 * tables, options, transients, WP-Cron events, network options, by name), on
 * every blog of a network, and the leases its keys hold in the host's
 * segment (the segment itself is the extension's and stays). Options go
 * through delete_option() and its kin, so WordPress drops exactly their
 * cache entries; nothing else of the object cache is flushed.
 */

declare(strict_types=1);

namespace SluiceWP\Lifecycle;

use SluiceWP\Backend\NativeBackend;
use SluiceWP\Gate\KeyNames;
use SluiceWP\Plugin;

defined('ABSPATH') || exit;

final class Uninstaller
{
    public static function run(): void
    {
        $footprint = new Footprint(Plugin::schemas());
        $blogIds = is_multisite() ? array_map('intval', get_sites(['fields' => 'ids', 'number' => 0])) : [get_current_blog_id()];
        // Every blog's key names first: they carry the install id, an option that goes below.
        $keyNames = array_combine($blogIds, array_map(static fn (int $blogId): KeyNames => KeyNames::forBlog($blogId), $blogIds));
        foreach ($blogIds as $blogId) {
            Network::inBlog($blogId, static function () use ($footprint, $blogId, $keyNames): void {
                self::releaseKeys($blogId, $keyNames[$blogId]);
                self::clearCron();
                self::dropTables($footprint->tables());
                foreach ($footprint->transients() as $transient) {
                    delete_transient($transient);
                }
                foreach ($footprint->options() as $option) {
                    delete_option($option);
                }
            });
        }
        foreach ($footprint->networkOptions() as $option) {
            delete_site_option($option);
        }
    }

    /** @param list<string> $tables */
    public static function dropTables(array $tables): void
    {
        global $wpdb;
        foreach ($tables as $table) {
            $wpdb->query('DROP TABLE IF EXISTS `' . str_replace('`', '', $table) . '`');
        }
    }

    /** Unschedules Sluice's WP-Cron events of the current blog. */
    public static function clearCron(): void
    {
        foreach (Footprint::CRON_HOOKS as $hook) {
            wp_unschedule_hook($hook);
        }
    }

    /** Drops the leases of the blog's own keys (never the host-wide ones other sites share). */
    private static function releaseKeys(int $blogId, KeyNames $names): void
    {
        $native = new NativeBackend();
        if ($native->unavailableReason() !== null) {
            return;
        }
        try {
            foreach (array_keys($native->keys()) as $key) {
                $scope = $names->scope((string) $key);
                if ($scope !== null && $scope !== 'host') {
                    $native->reset((string) $key);
                }
            }
        } catch (\Throwable $e) {
            error_log('Sluice: uninstall could not reset the keys of blog ' . $blogId . ': ' . $e->getMessage());
        }
    }
}
