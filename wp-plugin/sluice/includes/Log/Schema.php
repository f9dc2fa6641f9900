<?php
/**
 * Sluice's tables and their version. dbDelta creates or upgrades them when
 * the stored version differs from this file's, so a site that updates the
 * plugin without re-activating it still gets the new schema.
 */

declare(strict_types=1);

namespace SluiceWP\Log;

final class Schema
{
    /**
     * 2: the database backend's lease tables (sluice_lease_keys, sluice_lease_slots); 3: the status chart's
     * per-minute samples (sluice_samples); 4: the lease counters move to the slot rows (a grant or a release
     * then writes one row per key; the keys table keeps the limit and the refusals); 5: the database backend's
     * waiting line (sluice_line_tickets, sluice_line_wakes, sluice_line_stranded; a slot row remembers its
     * action id and whether it is a reservation; a key row whether tickets wait for it); 6: the line's hand-off
     * counters on the slot rows (wakes sent, reservations lapsed, copies that could not be pulled forward).
     */
    public const VERSION = '6';
    public const VERSION_OPTION = 'sluice_db_version';

    public static function eventsTable(): string
    {
        global $wpdb;
        return $wpdb->prefix . 'sluice_events';
    }

    /** The database backend's keys (limit, refusals), network-wide: leases are shared by every blog. */
    public static function leaseKeysTable(): string
    {
        global $wpdb;
        return $wpdb->base_prefix . 'sluice_lease_keys';
    }

    /** The database backend's slots: one row per slot of a key, taken by a lease token or free (''), with its counters. */
    public static function leaseSlotsTable(): string
    {
        global $wpdb;
        return $wpdb->base_prefix . 'sluice_lease_slots';
    }

    /** The database backend's waiting line: one row per ticket (network-wide, like the leases). */
    public static function lineTicketsTable(): string
    {
        global $wpdb;
        return $wpdb->base_prefix . 'sluice_line_tickets';
    }

    /** The database backend's wakes: hand-offs whose queued copies must be pulled forward (each taken once). */
    public static function lineWakesTable(): string
    {
        global $wpdb;
        return $wpdb->base_prefix . 'sluice_line_wakes';
    }

    /** The database backend's stranded leases: reclaimed from a dead holder, with its action id (each taken once). */
    public static function lineStrandedTable(): string
    {
        global $wpdb;
        return $wpdb->base_prefix . 'sluice_line_stranded';
    }

    /** The status chart's samples: one row per minute, the newest 120 kept (Admin\MinuteSamples). */
    public static function samplesTable(): string
    {
        global $wpdb;
        return $wpdb->prefix . 'sluice_samples';
    }

    /** Creates or upgrades the tables when the stored version is not this one. */
    public static function ensure(): void
    {
        if (get_option(self::VERSION_OPTION) === self::VERSION) {
            return;
        }
        global $wpdb;
        require_once ABSPATH . 'wp-admin/includes/upgrade.php';
        $table = self::eventsTable();
        $charset = $wpdb->get_charset_collate();
        dbDelta("CREATE TABLE {$table} (
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
) {$charset};");
        $keys = self::leaseKeysTable();
        dbDelta("CREATE TABLE {$keys} (
  lease_key varbinary(64) NOT NULL,
  limit_n int(10) unsigned NOT NULL DEFAULT 0,
  throttled bigint(20) unsigned NOT NULL DEFAULT 0,
  waiting tinyint(3) unsigned NOT NULL DEFAULT 0,
  line_hits bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY  (lease_key)
) {$charset};");
        $slots = self::leaseSlotsTable();
        dbDelta("CREATE TABLE {$slots} (
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
  acquired bigint(20) unsigned NOT NULL DEFAULT 0,
  released bigint(20) unsigned NOT NULL DEFAULT 0,
  reclaimed_dead bigint(20) unsigned NOT NULL DEFAULT 0,
  reclaimed_expired bigint(20) unsigned NOT NULL DEFAULT 0,
  ref bigint(20) unsigned NOT NULL DEFAULT 0,
  reserved tinyint(3) unsigned NOT NULL DEFAULT 0,
  wakes_sent bigint(20) unsigned NOT NULL DEFAULT 0,
  wakes_lapsed bigint(20) unsigned NOT NULL DEFAULT 0,
  wakes_missed bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY  (lease_key,slot),
  KEY token (token)
) {$charset};");
        $tickets = self::lineTicketsTable();
        dbDelta("CREATE TABLE {$tickets} (
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
  PRIMARY KEY  (id),
  UNIQUE KEY ticket (ticket),
  KEY ref (ref),
  KEY start_tag (state,start_tag),
  KEY k1 (k1),
  KEY k2 (k2),
  KEY k3 (k3),
  KEY k4 (k4)
) {$charset};");
        $wakes = self::lineWakesTable();
        dbDelta("CREATE TABLE {$wakes} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  ticket char(32) NOT NULL,
  PRIMARY KEY  (id)
) {$charset};");
        $stranded = self::lineStrandedTable();
        dbDelta("CREATE TABLE {$stranded} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  ref bigint(20) unsigned NOT NULL DEFAULT 0,
  label varchar(96) NOT NULL DEFAULT '',
  pid int(10) unsigned NOT NULL DEFAULT 0,
  host varchar(64) NOT NULL DEFAULT '',
  PRIMARY KEY  (id)
) {$charset};");
        $samples = self::samplesTable();
        dbDelta("CREATE TABLE {$samples} (
  minute_at datetime NOT NULL,
  slot_limit int(11) NOT NULL DEFAULT 0,
  slots_in_use int(11) NOT NULL DEFAULT 0,
  deferred int(11) NOT NULL DEFAULT 0,
  completed int(11) NOT NULL DEFAULT 0,
  PRIMARY KEY  (minute_at)
) {$charset};");
        update_option(self::VERSION_OPTION, self::VERSION, true);
    }
}
