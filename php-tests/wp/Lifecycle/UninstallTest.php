<?php
declare(strict_types=1);

namespace Sluice\WpTests\Lifecycle;

use Sluice\WpTests\Cli\WpCli;
use Sluice\WpTests\Gate\GateTestCase;
use Sluice\Support\WordPress\Runner;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\RedisBackend;
use SluiceWP\Backend\RedisConfig;
use SluiceWP\Log\EventLogSchema;
use SluiceWP\Plugin;
use Sluice\Support\WordPress\Site;

/**
 * The plugin's real uninstall on the test site: used first (settings through
 * `wp sluice config set`, an event row, an operator run's transient, its
 * WP-Cron events, a held lease in the extension's segment and one in
 * Redis), then deactivated (its WP-Cron events go, its
 * data stays) and uninstalled by WordPress's own uninstall_plugin() in a
 * process of the site (which runs uninstall.php), and nothing of Sluice is
 * left: options, tables, cron events, leases (in the segment and in Redis). What another plugin keeps under
 * look-alike names (an option, a transient, a WP-Cron event and a table whose
 * names start with sluice_, an object cache entry) is left alone: the
 * uninstall removes Sluice's own by name (Lifecycle\Footprint), nothing by
 * pattern, and flushes no cache. Then it is activated again, so the suites
 * after this one find it as before.
 */
final class UninstallTest extends GateTestCase
{
    private const PLUGIN = 'sluice/sluice.php';

    public function testUninstallRemovesEverythingAndTheSiteCanActivateItAgain(): void
    {
        global $wpdb;
        $tablesBefore = self::sluiceTables();
        self::assertContains($wpdb->prefix . 'sluice_events', $tablesBefore);

        $set = WpCli::sluice(['config', 'set', 'site_limit', '2']);
        self::assertSame(0, $set->exitCode, (string) $set);
        $wpdb->insert(EventLogSchema::table(), ['created_at' => gmdate('Y-m-d H:i:s'), 'event' => 'deferred', 'provider' => 'openai']);
        $lease = self::holdSiteSlot(2);
        // A lease on the site's key in Redis too (the Redis backend's, SLUICE_REDIS): it is the site's as much.
        $siteKey = self::siteKey();
        $redis = new RedisBackend(RedisConfig::fromSite());
        $redisLease = $redis->tryAcquire([$siteKey => 2], 600, 'uninstall test');
        self::assertInstanceOf(Lease::class, $redisLease);
        self::assertSame(1, $redis->keys()[$siteKey]->active ?? 0);
        $used = Runner::php('require $loader;
            set_transient(SluiceWP\Scheduler\OperatorRuns::NOTICE_TRANSIENT . "41", "deferred", 600);
            SluiceWP\Rates\ExpectedTokens::answered("openai", 120); // what a first answer with usage leaves
            // Another plugin\'s look-alikes, which are not Sluice\'s.
            update_option("sluice_other_plugin_option", 1);
            set_transient("sluice_other_plugin_probe", 1, 600);
            wp_schedule_single_event(time() + 3600, "sluice_other_plugin_probe");
            $wpdb->query("CREATE TABLE IF NOT EXISTS {$wpdb->prefix}sluice_other_plugin (id INT)");
            echo "used\n";', ['loader' => Site::loader()]);
        self::assertSame(0, $used->wait(), $used->output());
        self::assertNotSame([], self::sluiceOptions(), 'the site has Sluice options before');
        self::assertContains('_transient_sluice_operator_run_41', self::sluiceOptions());
        self::assertContains(\SluiceWP\Rates\ExpectedTokens::OPTION, self::sluiceOptions());
        self::assertContains('sluice_other_plugin_probe', self::sluiceCronHooks());

        $deactivate = Runner::php('require $loader; require_once ABSPATH . "wp-admin/includes/plugin.php";
            deactivate_plugins($sluicePlugin);
            echo is_plugin_active($sluicePlugin) ? "still active\n" : "deactivated\n";', ['loader' => Site::loader(), 'sluicePlugin' => self::PLUGIN]);
        self::assertSame(0, $deactivate->wait(), $deactivate->output());
        $deactivate->expectLine('deactivated');
        self::assertSame(['sluice_other_plugin_probe'], self::sluiceCronHooks(), 'deactivation takes every WP-Cron event of Sluice off, and no other');
        self::assertNotSame([], self::sluiceTables(), 'deactivation keeps the data');

        $uninstall = Runner::php('require $loader; require_once ABSPATH . "wp-admin/includes/plugin.php";
            wp_cache_set("probe", "kept", "another-plugin");
            $result = uninstall_plugin($sluicePlugin);
            echo is_plugin_active($sluicePlugin) ? "still active\n" : "uninstalled\n";
            echo "cache: ", wp_cache_get("probe", "another-plugin") === "kept" ? "kept" : "flushed", "\n";', ['loader' => Site::loader(), 'sluicePlugin' => self::PLUGIN]);
        self::assertSame(0, $uninstall->wait(), $uninstall->output());
        $uninstall->expectLine('uninstalled');
        $uninstall->expectLine('cache: kept');

        self::assertSame(['_transient_sluice_other_plugin_probe', '_transient_timeout_sluice_other_plugin_probe', 'sluice_other_plugin_option'], self::sluiceOptions(),
            'no option of Sluice is left, and another plugin\'s look-alikes stay');
        self::assertSame([$wpdb->prefix . 'sluice_other_plugin'], self::sluiceTables(), 'no table of Sluice is left, another plugin\'s stays');
        self::assertSame(['sluice_other_plugin_probe'], self::sluiceCronHooks(), 'no WP-Cron event of Sluice is left, another plugin\'s stays');
        $wpdb->query("DROP TABLE IF EXISTS {$wpdb->prefix}sluice_other_plugin");
        delete_option('sluice_other_plugin_option');
        delete_transient('sluice_other_plugin_probe');
        wp_clear_scheduled_hook('sluice_other_plugin_probe');
        self::assertSame(0, self::keyStatus(self::siteKey())?->active ?? 0, 'the site\'s leases were dropped');
        self::assertSame(0, $redis->keys()[$siteKey]->active ?? 0, 'and its leases in Redis');
        unset($lease, $redisLease);

        $activate = Runner::php('require $loader; require_once ABSPATH . "wp-admin/includes/plugin.php";
            $error = activate_plugin($sluicePlugin);
            echo is_wp_error($error) ? $error->get_error_message() . "\n" : "activated\n";', ['loader' => Site::loader(), 'sluicePlugin' => self::PLUGIN]);
        self::assertSame(0, $activate->wait(), $activate->output());
        $activate->expectLine('activated');
        self::assertSame($tablesBefore, self::sluiceTables(), 'activation made the tables again');
        foreach (Plugin::instance()->schemas() as $store) {
            self::assertSame((string) $store->version(), $wpdb->get_var($wpdb->prepare("SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", $store->optionName())), $store::class);
        }
        $status = WpCli::sluice(['status', '--format=json']);
        self::assertSame(0, $status->exitCode, 'the commands are back: ' . $status);
        wp_cache_flush();
    }

    /** @return list<string> the plugin's tables */
    private static function sluiceTables(): array
    {
        global $wpdb;
        $tables = $wpdb->get_col($wpdb->prepare('SHOW TABLES LIKE %s', $wpdb->esc_like($wpdb->prefix . 'sluice_') . '%'));
        // A table another test made for itself (sluice_test_*) goes with the uninstall too, but is not made again.
        $tables = array_values(array_filter($tables, static fn (string $t): bool => !str_starts_with($t, $wpdb->prefix . 'sluice_test_')));
        sort($tables);
        return $tables;
    }

    /** @return list<string> Sluice's options and transients (the test hooks' own sluice_test_* rows aside) */
    private static function sluiceOptions(): array
    {
        global $wpdb;
        return $wpdb->get_col("SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE '%sluice%' AND option_name NOT LIKE 'sluice\\_test\\_%' ORDER BY option_name");
    }

    /** @return list<string> hooks of the site's WP-Cron events that belong to Sluice */
    private static function sluiceCronHooks(): array
    {
        global $wpdb;
        $cron = maybe_unserialize((string) $wpdb->get_var("SELECT option_value FROM {$wpdb->options} WHERE option_name = 'cron'"));
        $hooks = [];
        foreach (is_array($cron) ? $cron : [] as $events) {
            foreach (is_array($events) ? array_keys($events) : [] as $hook) {
                if (str_starts_with((string) $hook, 'sluice')) {
                    $hooks[] = (string) $hook;
                }
            }
        }
        sort($hooks);
        return array_values(array_unique($hooks));
    }
}
