<?php
/**
 * The status chart's table, {prefix}sluice_samples (per blog): one row per
 * minute (MinuteSamples). Version 2 adds released_total, the site key's
 * release counter at the sample, from which the chart counts finished AI
 * steps (the store keeps the count; nothing is written per step).
 */

declare(strict_types=1);

namespace SluiceWP\Log;

use SluiceWP\Schema\TableSchema;

defined('ABSPATH') || exit;

final class MinuteSamplesSchema extends TableSchema
{
    public function version(): int
    {
        return 3;
    }

    public function optionName(): string
    {
        return 'sluice_schema_minute_samples';
    }

    public static function table(): string
    {
        global $wpdb;
        return $wpdb->prefix . 'sluice_samples';
    }

    public function tables(): array
    {
        return [self::table()];
    }

    protected function definition(string $table, string $charsetCollate): string
    {
        return "CREATE TABLE {$table} (
  minute_at datetime NOT NULL,
  slot_limit int(11) NOT NULL DEFAULT 0,
  slots_in_use int(11) NOT NULL DEFAULT 0,
  deferred int(11) NOT NULL DEFAULT 0,
  completed int(11) NOT NULL DEFAULT 0,
  released_total bigint(20) unsigned NOT NULL DEFAULT 0,
  provider_limit int(11) NOT NULL DEFAULT -1,
  PRIMARY KEY  (minute_at)
) {$charsetCollate};";
    }
}
