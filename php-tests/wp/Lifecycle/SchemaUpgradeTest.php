<?php
declare(strict_types=1);

namespace Sluice\WpTests\Lifecycle;

use Sluice\WpTests\Cli\WpCli;
use Sluice\WpTests\Gate\GateTestCase;
use SluiceWP\Plugin;

/**
 * A site that ran an older Sluice gets today's tables on its next request,
 * without re-activation (each store's TableSchema::ensure on plugins_loaded),
 * and keeps its rows: the first release's only table is made as it was, no
 * store's version stored, then one `wp sluice status` (a request of the site)
 * runs.
 */
final class SchemaUpgradeTest extends GateTestCase
{
    /** Version 1's only table, as `git show eabbf21:wp-plugin/sluice/includes/Log/Schema.php` created it. */
    private const V1_EVENTS = "CREATE TABLE %s (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  created_at datetime NOT NULL,
  event varchar(32) NOT NULL,
  action_id bigint(20) unsigned NOT NULL DEFAULT 0,
  copy_action_id bigint(20) unsigned NOT NULL DEFAULT 0,
  work_key char(32) NOT NULL DEFAULT '',
  job_id bigint(20) unsigned NULL,
  flow_step_id varchar(191) NULL,
  provider varchar(64) NOT NULL DEFAULT '',
  reason varchar(64) NOT NULL DEFAULT '',
  lease_key varchar(64) NOT NULL DEFAULT '',
  limit_n int(11) NOT NULL DEFAULT 0,
  active_n int(11) NOT NULL DEFAULT 0,
  delay_s int(11) NOT NULL DEFAULT 0,
  attempt int(11) NOT NULL DEFAULT 0,
  PRIMARY KEY  (id),
  KEY work_key (work_key),
  KEY created_at (created_at)
) %s";

    public function testAVersionOneSiteIsUpgradedOnItsNextRequestAndKeepsItsRows(): void
    {
        global $wpdb;
        $current = self::schema();
        self::assertArrayHasKey($wpdb->prefix . 'sluice_events', $current, 'the activated plugin made its tables');

        foreach (array_keys($current) as $table) {
            $wpdb->query("DROP TABLE `{$table}`");
        }
        $events = $wpdb->prefix . 'sluice_events';
        self::assertNotFalse($wpdb->query(sprintf(self::V1_EVENTS, $events, $wpdb->get_charset_collate())), $wpdb->last_error);
        $old = [
            ['created_at' => '2026-01-02 03:04:05', 'event' => 'deferred', 'action_id' => 41, 'work_key' => str_repeat('a', 32), 'job_id' => 7, 'flow_step_id' => 'step-ai_1', 'provider' => 'openai', 'reason' => 'ai_concurrency_limit', 'lease_key' => 'sluice/x/1/site', 'limit_n' => 1, 'active_n' => 1, 'delay_s' => 10, 'attempt' => 1],
            ['created_at' => '2026-01-02 03:04:15', 'event' => 'deferred', 'action_id' => 42, 'work_key' => str_repeat('b', 32), 'job_id' => 8, 'flow_step_id' => 'step-ai_2', 'provider' => 'anthropic', 'reason' => 'ai_concurrency_limit', 'lease_key' => 'sluice/x/1/site', 'limit_n' => 1, 'active_n' => 1, 'delay_s' => 20, 'attempt' => 2],
        ];
        foreach ($old as $row) {
            self::assertSame(1, $wpdb->insert($events, $row), $wpdb->last_error);
        }
        foreach (Plugin::instance()->schemas() as $store) {
            delete_option($store->optionName());
        }
        self::assertSame([$events], array_keys(self::schema()), 'the site is back at version 1');

        $request = WpCli::sluice(['status', '--format=json']);
        self::assertSame(0, $request->exitCode, (string) $request);

        foreach (Plugin::instance()->schemas() as $store) {
            $stored = $wpdb->get_var($wpdb->prepare("SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", $store->optionName()));
            self::assertSame((string) $store->version(), $stored, $store::class . ' stored its version');
        }
        self::assertSame($current, self::schema(), 'the upgraded tables are exactly what a new install gets');
        $rows = $wpdb->get_results("SELECT created_at, event, action_id, work_key, job_id, flow_step_id, provider, reason, lease_key, limit_n, active_n, delay_s, attempt FROM {$events} ORDER BY id", ARRAY_A);
        self::assertSame(array_map(static fn (array $r): array => array_map('strval', $r), $old), $rows, 'the old rows survive the upgrade');
    }

    /**
     * The site's Sluice tables ({prefix}sluice_*, the network-wide ones included; not the sluice_test_* tables
     * of other tests) with their columns and indexes.
     *
     * @return array<string, array{columns: list<array<string, mixed>>, indexes: list<string>}>
     */
    private static function schema(): array
    {
        global $wpdb;
        $tables = $wpdb->get_col($wpdb->prepare('SHOW TABLES LIKE %s', $wpdb->esc_like($wpdb->prefix . 'sluice_') . '%'));
        // Tables other tests make for themselves (sluice_test_*) are not the plugin's.
        $tables = array_filter($tables, static fn (string $t): bool => !str_starts_with($t, $wpdb->prefix . 'sluice_test_'));
        sort($tables);
        $schema = [];
        foreach ($tables as $table) {
            $indexes = array_map(
                static fn (array $i): string => $i['Key_name'] . ':' . $i['Seq_in_index'] . ':' . $i['Column_name'] . ':' . $i['Non_unique'],
                $wpdb->get_results("SHOW INDEX FROM `{$table}`", ARRAY_A),
            );
            sort($indexes);
            $schema[$table] = [
                'columns' => array_map(
                    static fn (array $c): array => array_intersect_key($c, array_flip(['Field', 'Type', 'Null', 'Default', 'Extra'])),
                    $wpdb->get_results("SHOW COLUMNS FROM `{$table}`", ARRAY_A),
                ),
                'indexes' => $indexes,
            ];
        }
        return $schema;
    }
}
