<?php
/**
 * The database backend's key records (RecordStore), network-wide like its
 * lease tables: {base_prefix}sluice_key_records, one row per key that has a
 * record, with a version that every write checks and raises in one UPDATE,
 * and the key's cap for the waiting line's hand-offs (DatabaseHandOff).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

use SluiceWP\Schema\TableSchema;

defined('ABSPATH') || exit;

final class KeyRecordsSchema extends TableSchema
{
    public function version(): int
    {
        return 1;
    }

    public function optionName(): string
    {
        return 'sluice_schema_key_records';
    }

    public static function table(): string
    {
        global $wpdb;
        return $wpdb->base_prefix . 'sluice_key_records';
    }

    public function tables(): array
    {
        return [self::table()];
    }

    protected function definition(string $table, string $charsetCollate): string
    {
        return "CREATE TABLE {$table} (
  record_key varbinary(64) NOT NULL,
  version bigint(20) unsigned NOT NULL DEFAULT 0,
  data varbinary(255) NOT NULL DEFAULT '',
  cap int(11) NOT NULL DEFAULT 0,
  updated_ms bigint(20) NOT NULL DEFAULT 0,
  PRIMARY KEY  (record_key)
) {$charsetCollate};";
    }
}
