<?php
/**
 * The plugin's life on a site: activation and deactivation (every blog of a
 * network: Network), each store's tables created or upgraded on the next
 * request after an update, a blog created or deleted later, the one-minute
 * WP-Cron schedule, translations. uninstall.php removes everything
 * (Uninstaller).
 */

declare(strict_types=1);

namespace SluiceWP\Lifecycle;

use SluiceWP\Schema\TableSchema;
use WP_Site;

defined('ABSPATH') || exit;

final class Lifecycle
{
    /** @param list<TableSchema> $schemas every store's tables */
    public function __construct(
        private readonly string $pluginFile,
        private readonly array $schemas,
    ) {
    }

    public function init(): void
    {
        $network = new Network($this->ensureTables(...));
        register_activation_hook($this->pluginFile, [$network, 'activate']);
        register_deactivation_hook($this->pluginFile, [$network, 'deactivate']);
        add_action('plugins_loaded', $this->ensureTables(...));
        add_action('wp_initialize_site', fn (WP_Site $site) => $network->siteCreated($site, plugin_basename($this->pluginFile)), 900);
        add_filter('wpmu_drop_tables', [Network::class, 'dropTables'], 10, 2);
        add_filter('cron_schedules', [Cron::class, 'addSchedule']);
        add_action('init', function (): void {
            load_plugin_textdomain('sluice', false, dirname(plugin_basename($this->pluginFile)) . '/languages');
        });
    }

    /** Every store's tables on the current blog, created or upgraded where their version changed. */
    public function ensureTables(): void
    {
        foreach ($this->schemas as $schema) {
            $schema->ensure();
        }
    }
}
