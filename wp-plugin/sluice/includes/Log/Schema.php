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
    public const VERSION = '1';
    public const VERSION_OPTION = 'sluice_db_version';

    public static function eventsTable(): string
    {
        global $wpdb;
        return $wpdb->prefix . 'sluice_events';
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
        update_option(self::VERSION_OPTION, self::VERSION, true);
    }
}
