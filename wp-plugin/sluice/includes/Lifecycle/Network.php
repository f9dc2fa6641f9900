<?php
/**
 * Activation on a single site and on a network: every blog gets Sluice's
 * tables (each store's TableSchema) when the plugin is network-activated, and so does every
 * blog created later; a deleted blog's tables go with it; deactivation takes
 * the plugin's WP-Cron events off every blog it was active on.
 */

declare(strict_types=1);

namespace SluiceWP\Lifecycle;

use SluiceWP\Plugin;
use WP_Site;

defined('ABSPATH') || exit;

final class Network
{
    /** @param \Closure(): void $ensureTables creates or upgrades every store's tables on the current blog */
    public function __construct(private readonly \Closure $ensureTables)
    {
    }

    /** The activation hook: $networkWide is true for a network activation. */
    public function activate(bool $networkWide = false): void
    {
        if (!is_multisite() || !$networkWide) {
            ($this->ensureTables)();
            return;
        }
        foreach (get_sites(['fields' => 'ids', 'number' => 0]) as $blogId) {
            self::inBlog((int) $blogId, $this->ensureTables);
        }
    }

    /**
     * The deactivation hook: the plugin's WP-Cron events (Footprint::CRON_HOOKS)
     * go, on every blog for a network deactivation; they are scheduled again on
     * the first request after the next activation.
     */
    public function deactivate(bool $networkWide = false): void
    {
        if (!is_multisite() || !$networkWide) {
            Uninstaller::clearCron();
            return;
        }
        foreach (get_sites(['fields' => 'ids', 'number' => 0]) as $blogId) {
            self::inBlog((int) $blogId, [Uninstaller::class, 'clearCron']);
        }
    }

    /** wp_initialize_site: a blog created on a network where Sluice is network-active gets its tables. */
    public function siteCreated(WP_Site $site, string $pluginBasename): void
    {
        if (!function_exists('is_plugin_active_for_network')) {
            require_once ABSPATH . 'wp-admin/includes/plugin.php';
        }
        if (is_plugin_active_for_network($pluginBasename)) {
            self::inBlog((int) $site->blog_id, $this->ensureTables);
        }
    }

    /**
     * wpmu_drop_tables: the tables WordPress drops with a deleted blog include Sluice's own tables of that blog
     * (Footprint, by name).
     *
     * @param array<string> $tables
     * @return array<string>
     */
    public static function dropTables(array $tables, int $blogId): array
    {
        $footprint = new Footprint(Plugin::schemas());
        $ours = [];
        self::inBlog($blogId, static function () use ($footprint, &$ours): void {
            $ours = $footprint->tables();
        });
        return array_values(array_unique(array_merge($tables, $ours)));
    }

    /** @param callable(): void $work */
    public static function inBlog(int $blogId, callable $work): void
    {
        if (!is_multisite()) {
            $work();
            return;
        }
        switch_to_blog($blogId);
        try {
            $work();
        } finally {
            restore_current_blog();
        }
    }
}
