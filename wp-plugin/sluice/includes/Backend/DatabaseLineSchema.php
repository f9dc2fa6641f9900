<?php
/**
 * The database backend's waiting line, network-wide like its leases:
 * sluice_line_tickets (one row per ticket; a reserved ticket's state is its
 * wake: 'reserved' until taken, then 'woken') and sluice_line_stranded
 * (leases reclaimed from a dead holder, with its action id); a stranded row
 * is claimed by one sweep (claim, claimed_until_ms)
 * and deleted only once that sweep has dealt with it (a claim that lapses
 * lets another sweep take it). Every row names its install and blog
 * (install, blog_id: Scope), since an action id is unique only per blog.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

use SluiceWP\Schema\TableSchema;

defined('ABSPATH') || exit;

final class DatabaseLineSchema extends TableSchema
{
    public function version(): int
    {
        // 2: claims on stranded rows; 3: every ticket, wake and stranded record names its install and blog;
        // 4: a wake is its ticket's state, sluice_line_wakes goes
        return 4;
    }

    public function optionName(): string
    {
        return 'sluice_schema_database_line';
    }

    public static function ticketsTable(): string
    {
        global $wpdb;
        return $wpdb->base_prefix . 'sluice_line_tickets';
    }

    public static function strandedTable(): string
    {
        global $wpdb;
        return $wpdb->base_prefix . 'sluice_line_stranded';
    }

    public function tables(): array
    {
        return [self::ticketsTable(), self::strandedTable()];
    }

    public function retiredTables(): array
    {
        global $wpdb;
        return [$wpdb->base_prefix . 'sluice_line_wakes'];
    }

    protected function definition(string $table, string $charsetCollate): string
    {
        return match ($table) {
            self::ticketsTable() => "CREATE TABLE {$table} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  ticket char(32) NOT NULL,
  ref bigint(20) unsigned NOT NULL DEFAULT 0,
  tenant varchar(64) NOT NULL DEFAULT '',
  weight int(10) unsigned NOT NULL DEFAULT 1,
  key_set varbinary(300) NOT NULL DEFAULT '',
  k1 varbinary(64) NOT NULL DEFAULT '',
  k2 varbinary(64) NOT NULL DEFAULT '',
  k3 varbinary(64) NOT NULL DEFAULT '',
  k4 varbinary(64) NOT NULL DEFAULT '',
  key_limits varchar(600) NOT NULL DEFAULT '',
  state varchar(8) NOT NULL DEFAULT 'waiting',
  lapsed tinyint(3) unsigned NOT NULL DEFAULT 0,
  start_tag double NOT NULL DEFAULT 0,
  first_deferred_ms bigint(20) NOT NULL DEFAULT 0,
  enqueued_ms bigint(20) NOT NULL DEFAULT 0,
  gen bigint(20) unsigned NOT NULL DEFAULT 0,
  install varbinary(16) NOT NULL DEFAULT '',
  blog_id bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY  (id),
  UNIQUE KEY ticket (ticket),
  KEY ref (ref),
  KEY start_tag (state,start_tag),
  KEY k1 (k1),
  KEY k2 (k2),
  KEY k3 (k3),
  KEY k4 (k4)
) {$charsetCollate};",
            default => "CREATE TABLE {$table} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  ref bigint(20) unsigned NOT NULL DEFAULT 0,
  label varchar(96) NOT NULL DEFAULT '',
  pid int(10) unsigned NOT NULL DEFAULT 0,
  host varchar(64) NOT NULL DEFAULT '',
  claim char(32) NOT NULL DEFAULT '',
  claimed_until_ms bigint(20) NOT NULL DEFAULT 0,
  install varbinary(16) NOT NULL DEFAULT '',
  blog_id bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY  (id),
  KEY claim (claim)
) {$charsetCollate};",
        };
    }

    /**
     * Rows of versions 1 and 2 name no blog, so no blog's process would
     * ever take them: they go. Their actions' queued copies still run at
     * their own time (each is a scheduled action), and enter the line
     * again if they are refused then. From version 4 a reserved ticket is
     * its own wake: one reserved before is a wake not taken yet (pulling its
     * copy forward twice is harmless), and the wakes table goes.
     */
    protected function upgraded(int $from): void
    {
        global $wpdb;
        foreach ($this->tables() as $table) {
            $wpdb->query("DELETE FROM {$table} WHERE install = ''");
        }
        foreach ($this->retiredTables() as $table) {
            $wpdb->query("DROP TABLE IF EXISTS {$table}");
        }
    }
}
