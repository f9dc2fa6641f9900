<?php
declare(strict_types=1);

namespace Sluice\WpTests\Lifecycle;

use Sluice\WpTests\Cli\WpCli;
use Sluice\WpTests\Gate\GateTestCase;
use SluiceWP\Log\EventLogSchema;

/**
 * The event log's schema version 3 adds at_ms (rows written together at
 * request end keep their order), duration_ms and keys on the action, copy
 * and job ids. A site's version 2 table gains them at the next request after
 * the plugin's update, its rows kept, each given the instant of its second.
 */
final class EventLogUpgradeTest extends GateTestCase
{
    public function testAVersionTwoEventLogGainsItsColumnsAndKeepsItsRows(): void
    {
        global $wpdb;
        $schema = new EventLogSchema();
        $table = EventLogSchema::table();
        $wpdb->query("DROP TABLE IF EXISTS {$table}");
        // The table as version 2 created it.
        $wpdb->query("CREATE TABLE {$table} (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, created_at datetime NOT NULL, event varchar(32) NOT NULL,"
            . " action_id bigint(20) unsigned NOT NULL DEFAULT 0, copy_action_id bigint(20) unsigned NOT NULL DEFAULT 0, work_key char(32) NOT NULL DEFAULT '',"
            . " job_id bigint(20) unsigned NULL, flow_step_id varchar(191) NULL, provider varchar(64) NOT NULL DEFAULT '', reason varchar(64) NOT NULL DEFAULT '',"
            . " lease_key varchar(64) NOT NULL DEFAULT '', limit_n int(11) NOT NULL DEFAULT 0, active_n int(11) NOT NULL DEFAULT 0, delay_s int(11) NOT NULL DEFAULT 0,"
            . " attempt int(11) NOT NULL DEFAULT 0, placed_at datetime NULL, PRIMARY KEY (id), KEY work_key (work_key), KEY created_at (created_at))");
        self::assertSame(1, $wpdb->insert($table, ['created_at' => '2026-12-01 10:00:05', 'event' => 'deferred', 'action_id' => 41, 'copy_action_id' => 42, 'job_id' => 7, 'flow_step_id' => 'f-ai_1']), $wpdb->last_error);
        update_option($schema->optionName(), '2');

        $request = WpCli::sluice(['events', '--action=41', '--format=json']);
        self::assertSame(0, $request->exitCode, (string) $request);

        self::assertSame((string) $schema->version(), $wpdb->get_var($wpdb->prepare("SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", $schema->optionName())));
        $columns = $wpdb->get_col("SHOW COLUMNS FROM {$table}");
        self::assertContains('at_ms', $columns);
        self::assertContains('duration_ms', $columns);
        $keys = array_unique($wpdb->get_col("SHOW INDEX FROM {$table}", 2));
        foreach (['action_id', 'copy_action_id', 'job_id'] as $key) {
            self::assertContains($key, $keys);
        }
        $rows = $request->json();
        self::assertCount(1, $rows, 'the version 2 row is kept and read');
        self::assertSame([41, 42, 7, 'f-ai_1'], [$rows[0]['action_id'], $rows[0]['copy_action_id'], $rows[0]['job_id'], $rows[0]['flow_step_id']]);
        self::assertSame((string) (gmmktime(10, 0, 5, 12, 1, 2026) * 1000), $wpdb->get_var("SELECT at_ms FROM {$table} WHERE action_id = 41"), 'its instant is its second');
        $wpdb->query("DELETE FROM {$table}");
    }
}
