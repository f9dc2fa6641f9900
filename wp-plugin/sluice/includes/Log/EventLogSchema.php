<?php
/**
 * The event log's table, {prefix}sluice_events (per blog): one row per
 * decision about an AI step and per change of a provider's circuit
 * (EventLog). Version 2: placed_at, the place in line a stranded action's
 * work keeps when it runs again. Version 3: at_ms (when it happened, in
 * milliseconds: rows written together at request end keep their order),
 * duration_ms (the wait of an admitted step, the hold time of a finished
 * one) and keys on the action, copy and job ids (`wp sluice events` and the
 * status page's item story read an item's rows by them).
 */

declare(strict_types=1);

namespace SluiceWP\Log;

use SluiceWP\Schema\TableSchema;

defined('ABSPATH') || exit;

final class EventLogSchema extends TableSchema
{
    public function version(): int
    {
        return 3;
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

    /** Rows of earlier versions have no at_ms: their second is their order. */
    protected function upgraded(int $from): void
    {
        global $wpdb;
        if ($from < 3) {
            $table = self::table();
            $wpdb->query("UPDATE {$table} SET at_ms = TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', created_at) * 1000 WHERE at_ms = 0");
        }
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
  at_ms bigint(20) unsigned NOT NULL DEFAULT 0,
  duration_ms bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY  (id),
  KEY work_key (work_key),
  KEY created_at (created_at),
  KEY action_id (action_id),
  KEY copy_action_id (copy_action_id),
  KEY job_id (job_id)
) {$charsetCollate};";
    }
}
