<?php
/**
 * The database backend's capacity counters, network-wide like its lease
 * tables (a key's name says whose it is): {base_prefix}sluice_capacity, a
 * ring of CapacityCounters::MINUTES_KEPT rows per key, one per minute
 * (slot = minute mod 16), each with the minute it holds and the eight
 * counters of MinuteCounts::FIELDS. A new minute takes its slot over from
 * the minute 16 before it, so the table never grows past 16 rows a key and
 * needs no pruning.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

use SluiceWP\Schema\TableSchema;

defined('ABSPATH') || exit;

final class CapacitySchema extends TableSchema
{
    public function version(): int
    {
        return 1;
    }

    public function optionName(): string
    {
        return 'sluice_schema_capacity';
    }

    public static function table(): string
    {
        global $wpdb;
        return $wpdb->base_prefix . 'sluice_capacity';
    }

    public function tables(): array
    {
        return [self::table()];
    }

    protected function definition(string $table, string $charsetCollate): string
    {
        return "CREATE TABLE {$table} (
  capacity_key varbinary(64) NOT NULL,
  slot tinyint(3) unsigned NOT NULL,
  minute bigint(20) NOT NULL DEFAULT 0,
  arrivals bigint(20) unsigned NOT NULL DEFAULT 0,
  admissions bigint(20) unsigned NOT NULL DEFAULT 0,
  completions bigint(20) unsigned NOT NULL DEFAULT 0,
  hold_ms bigint(20) unsigned NOT NULL DEFAULT 0,
  hold_ms_squared bigint(20) unsigned NOT NULL DEFAULT 0,
  wait_ms bigint(20) unsigned NOT NULL DEFAULT 0,
  deferrals bigint(20) unsigned NOT NULL DEFAULT 0,
  provider_requests bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY  (capacity_key,slot)
) {$charsetCollate};";
    }
}
