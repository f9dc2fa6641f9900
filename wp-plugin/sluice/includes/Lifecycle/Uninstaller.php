<?php
/**
 * What uninstall.php does: removes everything Sluice wrote (Footprint: its
 * tables, options, transients, WP-Cron events, network options, by name), on
 * every blog of a network, and the leases its keys hold in the host's
 * segment (the segment itself is the extension's and stays) and in Redis. Options go
 * through delete_option() and its kin, so WordPress drops exactly their
 * cache entries; nothing else of the object cache is flushed.
 */

declare(strict_types=1);

namespace SluiceWP\Lifecycle;

use SluiceWP\Backend\NativeBackend;
use SluiceWP\Backend\RedisBackend;
use SluiceWP\Backend\RedisConfig;
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
        $stores = self::leaseStores();
        foreach ($blogIds as $blogId) {
            Network::inBlog($blogId, static function () use ($footprint, $blogId, $keyNames, $stores): void {
                self::releaseKeys($blogId, $keyNames[$blogId], $stores);
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

    /**
     * Drops the leases of the blog's own keys (never the host-wide ones other sites share) in the extension's
     * segment and, where SLUICE_REDIS names one, in Redis (the Redis backend's; its key records stay under
     * Sluice's prefix, which readme.txt says how to list).
     *
     * @param list<NativeBackend|RedisBackend> $stores
     */
    private static function releaseKeys(int $blogId, KeyNames $names, array $stores): void
    {
        foreach ($stores as $store) {
            try {
                if ($store->unavailableReason() !== null) {
                    continue;
                }
                foreach (array_keys($store->keys()) as $key) {
                    $scope = $names->scope((string) $key);
                    if ($scope !== null && $scope !== 'host') {
                        $store->reset((string) $key);
                    }
                }
            } catch (\Throwable $e) {
                error_log('Sluice: uninstall could not reset the keys of blog ' . $blogId . ' in ' . $store->name() . ': ' . $e->getMessage());
            }
        }
    }

    /** @return list<NativeBackend|RedisBackend> the stores that keep leases outside the site's database */
    private static function leaseStores(): array
    {
        $stores = [new NativeBackend()];
        if (defined('SLUICE_REDIS') || has_filter('sluice_redis')) {
            try {
                $stores[] = new RedisBackend(RedisConfig::fromSite());
            } catch (\InvalidArgumentException $e) {
                error_log('Sluice: uninstall could not reach Redis to reset the site\'s keys there: ' . $e->getMessage());
            }
        }
        return $stores;
    }
}
