<?php
/**
 * What uninstall.php does: removes everything Sluice wrote, on every blog of
 * a network: its tables ({prefix}sluice_*), its options and transients
 * (sluice_*), its WP-Cron events and pending Action Scheduler actions
 * (hooks sluice_*), its network options, and the leases its keys hold in the
 * host's segment (the segment itself is the extension's and stays).
 */

declare(strict_types=1);

namespace SluiceWP\Lifecycle;

use SluiceWP\Backend\NativeBackend;
use SluiceWP\Gate\KeyNames;
use SluiceWP\Scheduler\ActionSchedulerAdapter;

defined('ABSPATH') || exit;

final class Uninstaller
{
    public static function run(): void
    {
        $blogIds = is_multisite() ? array_map('intval', get_sites(['fields' => 'ids', 'number' => 0])) : [get_current_blog_id()];
        foreach ($blogIds as $blogId) {
            Network::inBlog($blogId, static function () use ($blogId): void {
                self::dropTables($blogId);
                self::deleteOptions();
                self::unscheduleEvents();
                self::releaseKeys($blogId);
            });
        }
        if (is_multisite()) {
            global $wpdb;
            $wpdb->query($wpdb->prepare(
                "DELETE FROM {$wpdb->sitemeta} WHERE meta_key LIKE %s OR meta_key LIKE %s OR meta_key LIKE %s",
                $wpdb->esc_like('sluice_') . '%',
                $wpdb->esc_like('_site_transient_sluice_') . '%',
                $wpdb->esc_like('_site_transient_timeout_sluice_') . '%',
            ));
        }
        wp_cache_flush();
    }

    private static function dropTables(int $blogId): void
    {
        global $wpdb;
        foreach (Network::tablesOf($blogId) as $table) {
            $wpdb->query('DROP TABLE IF EXISTS `' . str_replace('`', '', $table) . '`');
        }
    }

    private static function deleteOptions(): void
    {
        global $wpdb;
        $wpdb->query($wpdb->prepare(
            "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s OR option_name LIKE %s",
            $wpdb->esc_like('sluice_') . '%',
            $wpdb->esc_like('_transient_sluice_') . '%',
            $wpdb->esc_like('_transient_timeout_sluice_') . '%',
        ));
        wp_cache_delete('alloptions', 'options');
        wp_cache_delete('notoptions', 'options');
    }

    /** Unschedules every WP-Cron event of the current blog whose hook starts with sluice_. */
    public static function clearCron(): void
    {
        foreach (array_keys(self::cronHooks()) as $hook) {
            wp_unschedule_hook($hook);
        }
    }

    private static function unscheduleEvents(): void
    {
        self::clearCron();
        ActionSchedulerAdapter::unschedulePendingHooks('sluice_');
    }

    /** @return array<string, true> the blog's WP-Cron hooks whose name starts with sluice_ */
    public static function cronHooks(): array
    {
        $hooks = [];
        $cron = _get_cron_array();
        foreach (is_array($cron) ? $cron : [] as $events) {
            foreach (array_keys((array) $events) as $hook) {
                if (str_starts_with((string) $hook, 'sluice_')) {
                    $hooks[(string) $hook] = true;
                }
            }
        }
        return $hooks;
    }

    /** Drops the leases of the blog's own keys (never the host-wide ones other sites share). */
    private static function releaseKeys(int $blogId): void
    {
        $native = new NativeBackend();
        if ($native->unavailableReason() !== null) {
            return;
        }
        $names = KeyNames::forBlog($blogId);
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
