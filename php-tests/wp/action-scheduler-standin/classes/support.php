<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * Small value classes and helpers: dates, claims, log entries, exceptions, PHP limits, and the table schemas
 * (same tables, columns and keys as the real library's schema version 8 / logs version 3).
 */

class ActionScheduler_DateTime extends DateTime {

	/** @var int seconds; set instead of a zone when the site only has a gmt_offset */
	protected $utcOffset = 0; // phpcs:ignore WordPress.NamingConventions.ValidVariableName.PropertyNotSnakeCase

	#[\ReturnTypeWillChange]
	public function getTimestamp() {
		return parent::getTimestamp();
	}

	public function setUtcOffset( $offset ) {
		$this->utcOffset = (int) $offset;
	}

	#[\ReturnTypeWillChange]
	public function getOffset() {
		return $this->utcOffset ? $this->utcOffset : parent::getOffset();
	}

	#[\ReturnTypeWillChange]
	public function setTimezone( $timezone ) {
		$this->utcOffset = 0;
		parent::setTimezone( $timezone );
		return $this;
	}

	public function getOffsetTimestamp() {
		return $this->getTimestamp() + $this->getOffset();
	}
}

abstract class ActionScheduler_TimezoneHelper {

	/**
	 * Moves $date to the site's zone: a named zone when timezone_string is set, otherwise only the offset is
	 * recorded (as the real helper does, format() then still prints UTC).
	 */
	public static function set_local_timezone( DateTime $date ) {
		if ( ! $date instanceof ActionScheduler_DateTime ) {
			$date = as_get_datetime_object( $date->format( 'U' ) );
		}
		$zone = get_option( 'timezone_string' );
		if ( $zone ) {
			$date->setTimezone( new DateTimeZone( $zone ) );
		} else {
			$date->setUtcOffset( (float) get_option( 'gmt_offset', 0 ) * HOUR_IN_SECONDS );
		}
		return $date;
	}
}

interface ActionScheduler_Exception {
}

class ActionScheduler_InvalidActionException extends \InvalidArgumentException implements ActionScheduler_Exception {

	public static function from_schedule( $action_id, $schedule ) {
		/* translators: 1: action ID 2: schedule */
		return new static( sprintf( __( 'Action [%1$s] has an invalid schedule: %2$s', 'action-scheduler' ), $action_id, var_export( $schedule, true ) ) ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
	}

	public static function from_decoding_args( $action_id, $args = array() ) {
		/* translators: 1: action ID 2: arguments */
		return new static( sprintf( __( 'Action [%1$s] has invalid arguments. It cannot be JSON decoded to an array. $args = %2$s', 'action-scheduler' ), $action_id, var_export( $args, true ) ) ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
	}
}

class ActionScheduler_ActionClaim {

	private $id = '';

	private $action_ids = array();

	public function __construct( $id, array $action_ids ) {
		$this->id         = $id;
		$this->action_ids = $action_ids;
	}

	public function get_id() {
		return $this->id;
	}

	public function get_actions() {
		return $this->action_ids;
	}
}

class ActionScheduler_LogEntry {

	protected $action_id = '';

	protected $message = '';

	protected $date;

	public function __construct( $action_id, $message, $date = null ) {
		$this->action_id = $action_id;
		$this->message   = $message;
		$this->date      = ( $date instanceof DateTime ) ? $date : new DateTime();
	}

	public function get_date() {
		return $this->date;
	}

	public function get_action_id() {
		return $this->action_id;
	}

	public function get_message() {
		return $this->message;
	}
}

class ActionScheduler_NullLogEntry extends ActionScheduler_LogEntry {

	public function __construct( $action_id = '', $message = '' ) {
	}
}

class ActionScheduler_Compatibility {

	public static function convert_hr_to_bytes( $value ) {
		return wp_convert_hr_to_bytes( $value );
	}

	public static function raise_memory_limit() {
		return wp_raise_memory_limit( 'admin' );
	}

	/** Raises max_execution_time to at least $limit, unless it is unlimited already. */
	public static function raise_time_limit( $limit = 0 ) {
		$limit   = (int) $limit;
		$current = (int) ini_get( 'max_execution_time' );
		if ( 0 === $current ) {
			return;
		}
		if ( function_exists( 'set_time_limit' ) && false === strpos( (string) ini_get( 'disable_functions' ), 'set_time_limit' ) ) {
			@set_time_limit( ( 0 === $limit || $limit > $current ) ? $limit : $current ); // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged
		}
	}
}

/**
 * Creates or upgrades tables with dbDelta when the recorded schema version (option "schema-<class>", the
 * option the real library uses) is older than this one.
 */
abstract class ActionScheduler_Abstract_Schema {

	protected $schema_version = 1;

	protected $db_version;

	protected $tables = array();

	public function init() {
	}

	abstract protected function get_table_definition( $table );

	public function register_tables( $force_update = false ) {
		global $wpdb;
		foreach ( $this->tables as $table ) {
			$wpdb->tables[] = $table;
			$wpdb->$table   = $wpdb->prefix . $table;
		}
		$option           = 'schema-' . static::class;
		$this->db_version = get_option( $option, 0 );
		if ( ! $force_update && ! version_compare( (string) $this->db_version, (string) $this->schema_version, '<' ) ) {
			return;
		}
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		foreach ( $this->tables as $table ) {
			do_action( 'action_scheduler_before_schema_update', $table, $this->db_version );
			foreach ( dbDelta( $this->get_table_definition( $table ) ) as $name => $what ) {
				if ( 0 === strpos( $what, 'Created table' ) ) {
					do_action( 'action_scheduler/created_table', $name, $table ); // phpcs:ignore WordPress.NamingConventions.ValidHookName.UseUnderscores
				}
			}
		}
		update_option( $option, $this->schema_version . '.0.' . time() );
	}

	public function tables_exist() {
		global $wpdb;
		foreach ( $this->tables as $table ) {
			$name = $wpdb->prefix . $table;
			if ( $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $name ) ) ) !== $name ) {
				return false;
			}
		}
		return true;
	}
}

class ActionScheduler_StoreSchema extends ActionScheduler_Abstract_Schema {

	const ACTIONS_TABLE = 'actionscheduler_actions';
	const CLAIMS_TABLE  = 'actionscheduler_claims';
	const GROUPS_TABLE  = 'actionscheduler_groups';
	const DEFAULT_DATE  = '0000-00-00 00:00:00';

	protected $schema_version = 8;

	public function __construct() {
		$this->tables = array( self::ACTIONS_TABLE, self::CLAIMS_TABLE, self::GROUPS_TABLE );
	}

	protected function get_table_definition( $table ) {
		global $wpdb;
		$name    = $wpdb->$table;
		$charset = $wpdb->get_charset_collate();
		$zero    = self::DEFAULT_DATE;
		switch ( $table ) {
			case self::ACTIONS_TABLE:
				// Index prefix on hook: 191 - 20 (status) - 8 (datetime) = 163.
				return "CREATE TABLE {$name} (
				        action_id bigint(20) unsigned NOT NULL auto_increment,
				        hook varchar(191) NOT NULL,
				        status varchar(20) NOT NULL,
				        scheduled_date_gmt datetime NULL default '{$zero}',
				        scheduled_date_local datetime NULL default '{$zero}',
				        priority tinyint unsigned NOT NULL default '10',
				        args varchar(191),
				        schedule longtext,
				        group_id bigint(20) unsigned NOT NULL default '0',
				        attempts int(11) NOT NULL default '0',
				        last_attempt_gmt datetime NULL default '{$zero}',
				        last_attempt_local datetime NULL default '{$zero}',
				        claim_id bigint(20) unsigned NOT NULL default '0',
				        extended_args varchar(8000) DEFAULT NULL,
				        PRIMARY KEY  (action_id),
				        KEY hook_status_scheduled_date_gmt (hook(163), status, scheduled_date_gmt),
				        KEY status_scheduled_date_gmt (status, scheduled_date_gmt),
				        KEY scheduled_date_gmt (scheduled_date_gmt),
				        KEY args (args(191)),
				        KEY group_id (group_id),
				        KEY last_attempt_gmt (last_attempt_gmt),
				        KEY `claim_id_status_priority_scheduled_date_gmt` (`claim_id`,`status`,`priority`,`scheduled_date_gmt`),
				        KEY `status_last_attempt_gmt` (`status`,`last_attempt_gmt`),
				        KEY `status_claim_id` (`status`,`claim_id`)
				        ) {$charset}";
			case self::CLAIMS_TABLE:
				return "CREATE TABLE {$name} (
				        claim_id bigint(20) unsigned NOT NULL auto_increment,
				        date_created_gmt datetime NULL default '{$zero}',
				        PRIMARY KEY  (claim_id),
				        KEY date_created_gmt (date_created_gmt)
				        ) {$charset}";
			case self::GROUPS_TABLE:
				return "CREATE TABLE {$name} (
				        group_id bigint(20) unsigned NOT NULL auto_increment,
				        slug varchar(255) NOT NULL,
				        PRIMARY KEY  (group_id),
				        KEY slug (slug(191))
				        ) {$charset}";
		}
		return '';
	}
}

class ActionScheduler_LoggerSchema extends ActionScheduler_Abstract_Schema {

	const LOG_TABLE = 'actionscheduler_logs';

	protected $schema_version = 3;

	public function __construct() {
		$this->tables = array( self::LOG_TABLE );
	}

	protected function get_table_definition( $table ) {
		global $wpdb;
		if ( self::LOG_TABLE !== $table ) {
			return '';
		}
		$name    = $wpdb->$table;
		$charset = $wpdb->get_charset_collate();
		$zero    = ActionScheduler_StoreSchema::DEFAULT_DATE;
		return "CREATE TABLE {$name} (
		        log_id bigint(20) unsigned NOT NULL auto_increment,
		        action_id bigint(20) unsigned NOT NULL,
		        message text NOT NULL,
		        log_date_gmt datetime NULL default '{$zero}',
		        log_date_local datetime NULL default '{$zero}',
		        PRIMARY KEY  (log_id),
		        KEY action_id (action_id),
		        KEY log_date_gmt (log_date_gmt)
		        ) {$charset}";
	}
}
