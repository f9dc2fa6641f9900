<?php
/**
 * The event log's table, {prefix}sluice_events (per blog): one row per
 * deferral and per stranded action (EventLog). Version 2: placed_at, the
 * place in line a stranded action's work keeps when it runs again.
 */

declare(strict_types=1);

namespace SluiceWP\Log;

use SluiceWP\Schema\TableSchema;

defined('ABSPATH') || exit;

final class EventLogSchema extends TableSchema
{
    public function version(): int
    {
        return 2;
    }

    public function optionName(): string
    {
        return 'sluice_schema_event_log';
    }

    public static function table(): string
    {
        global $wpdb;
        return $wpdb->prefix . 'sluice_events';
    }

    public function tables(): array
    {
        return [self::table()];
    }

    protected function definition(string $table, string $charsetCollate): string
    {
        return "CREATE TABLE {$table} (
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
  placed_at datetime NULL,
  PRIMARY KEY  (id),
  KEY work_key (work_key),
  KEY created_at (created_at)
) {$charsetCollate};";
    }
}
