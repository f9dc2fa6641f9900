<?php
/**
 * The database backend's lease tables, network-wide ({base_prefix}: leases
 * are shared by every blog): sluice_lease_keys (a key's limit, refusals,
 * whether tickets of the waiting line wait for it) and sluice_lease_slots
 * (one row per slot of a key, free (token '') or taken by a lease, with the
 * slot's counters, and the install and blog (Scope) of the lease's holder or
 * of the ticket a reservation is for: a dead holder's action id goes to its
 * own blog, and only the ticket's own blog takes a reservation), and
 * sluice_rate_buckets (a key's token bucket, rate budgets: DatabaseBuckets).
 * Version 4 added the buckets' table (dbDelta creates it on upgrade).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

use SluiceWP\Schema\TableSchema;

defined('ABSPATH') || exit;

final class DatabaseSchema extends TableSchema
{
    public function version(): int
    {
        return 4; // 2: a slot names the install and blog of its holder or reservation; 3: peak_since_ms; 4: sluice_rate_buckets
    }

    public function optionName(): string
    {
        return 'sluice_schema_database_leases';
    }

    public static function keysTable(): string
    {
        global $wpdb;
        return $wpdb->base_prefix . 'sluice_lease_keys';
    }

    public static function slotsTable(): string
    {
        global $wpdb;
        return $wpdb->base_prefix . 'sluice_lease_slots';
    }

    public static function bucketsTable(): string
    {
        global $wpdb;
        return $wpdb->base_prefix . 'sluice_rate_buckets';
    }

    public function tables(): array
    {
        return [self::keysTable(), self::slotsTable(), self::bucketsTable()];
    }

    protected function definition(string $table, string $charsetCollate): string
    {
        if ($table === self::bucketsTable()) {
            // Instants in microseconds of the database server's clock (DatabaseBuckets::NOW_US).
            return "CREATE TABLE {$table} (
  bucket_key varbinary(64) NOT NULL,
  rate double NOT NULL DEFAULT 0,
  burst double NOT NULL DEFAULT 0,
  learned_rate double NOT NULL DEFAULT 0,
  learned_burst double NOT NULL DEFAULT 0,
  full_at_us bigint(20) NOT NULL DEFAULT 0,
  paused_until_us bigint(20) NOT NULL DEFAULT 0,
  takes bigint(20) unsigned NOT NULL DEFAULT 0,
  refusals bigint(20) unsigned NOT NULL DEFAULT 0,
  tokens_taken double NOT NULL DEFAULT 0,
  PRIMARY KEY  (bucket_key)
) {$charsetCollate};";
        }
        if ($table === self::keysTable()) {
            return "CREATE TABLE {$table} (
  lease_key varbinary(64) NOT NULL,
  limit_n int(10) unsigned NOT NULL DEFAULT 0,
  throttled bigint(20) unsigned NOT NULL DEFAULT 0,
  waiting tinyint(3) unsigned NOT NULL DEFAULT 0,
  line_hits bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY  (lease_key)
) {$charsetCollate};";
        }
        return "CREATE TABLE {$table} (
  lease_key varbinary(64) NOT NULL,
  slot int(10) unsigned NOT NULL,
  token char(32) NOT NULL DEFAULT '',
  host varchar(64) NOT NULL DEFAULT '',
  host_id char(16) NOT NULL DEFAULT '',
  pid int(10) unsigned NOT NULL DEFAULT 0,
  start_time bigint(20) unsigned NOT NULL DEFAULT 0,
  label varchar(96) NOT NULL DEFAULT '',
  acquired_ms bigint(20) NOT NULL DEFAULT 0,
  expires_ms bigint(20) NOT NULL DEFAULT 0,
  request_until_ms bigint(20) NOT NULL DEFAULT 0,
  gen bigint(20) unsigned NOT NULL DEFAULT 0,
  limit_n int(10) unsigned NOT NULL DEFAULT 0,
  peak int(10) unsigned NOT NULL DEFAULT 0,
  peak_since_ms bigint(20) NOT NULL DEFAULT 0,
  acquired bigint(20) unsigned NOT NULL DEFAULT 0,
  released bigint(20) unsigned NOT NULL DEFAULT 0,
  reclaimed_dead bigint(20) unsigned NOT NULL DEFAULT 0,
  reclaimed_expired bigint(20) unsigned NOT NULL DEFAULT 0,
  ref bigint(20) unsigned NOT NULL DEFAULT 0,
  reserved tinyint(3) unsigned NOT NULL DEFAULT 0,
  wakes_sent bigint(20) unsigned NOT NULL DEFAULT 0,
  wakes_lapsed bigint(20) unsigned NOT NULL DEFAULT 0,
  wakes_missed bigint(20) unsigned NOT NULL DEFAULT 0,
  install varbinary(16) NOT NULL DEFAULT '',
  blog_id bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY  (lease_key,slot),
  KEY token (token)
) {$charsetCollate};";
    }
}
