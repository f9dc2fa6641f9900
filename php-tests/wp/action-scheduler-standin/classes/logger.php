<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * The action log: one row in {prefix}actionscheduler_logs per event, with the real library's messages
 * ("action created", "action started via WP Cron", "action complete via ...", "action ignored via ...",
 * "action canceled", "action failed via ...: <message>", the time-out and unexpected-shutdown rows).
 */

abstract class ActionScheduler_Logger {

	/** @var ActionScheduler_Logger|null */
	private static $logger = null;

	public static function instance() {
		if ( null === self::$logger ) {
			$class        = apply_filters( 'action_scheduler_logger_class', 'ActionScheduler_DBLogger' );
			self::$logger = new $class();
		}
		return self::$logger;
	}

	abstract public function log( $action_id, $message, ?DateTime $date = null );

	abstract public function get_entry( $entry_id );

	abstract public function get_logs( $action_id );

	public function init() {
		$this->hook_stored_action();
		$hooks = array(
			'action_scheduler_canceled_action'                  => array( 'log_canceled_action', 1 ),
			'action_scheduler_begin_execute'                    => array( 'log_started_action', 2 ),
			'action_scheduler_after_execute'                    => array( 'log_completed_action', 3 ),
			'action_scheduler_failed_execution'                 => array( 'log_failed_action', 3 ),
			'action_scheduler_failed_action'                    => array( 'log_timed_out_action', 2 ),
			'action_scheduler_unexpected_shutdown'              => array( 'log_unexpected_shutdown', 2 ),
			'action_scheduler_reset_action'                     => array( 'log_reset_action', 1 ),
			'action_scheduler_execution_ignored'                => array( 'log_ignored_action', 2 ),
			'action_scheduler_failed_fetch_action'              => array( 'log_failed_fetch_action', 2 ),
			'action_scheduler_failed_to_schedule_next_instance' => array( 'log_failed_schedule_next_instance', 2 ),
			'action_scheduler_bulk_cancel_actions'              => array( 'bulk_log_cancel_actions', 1 ),
		);
		foreach ( $hooks as $hook => list( $method, $accepted ) ) {
			add_action( $hook, array( $this, $method ), 10, $accepted );
		}
	}

	public function hook_stored_action() {
		add_action( 'action_scheduler_stored_action', array( $this, 'log_stored_action' ) );
	}

	public function unhook_stored_action() {
		remove_action( 'action_scheduler_stored_action', array( $this, 'log_stored_action' ) );
	}

	/** "$what via $context", or just "$what" without a context. */
	private static function via( $what, $context ) {
		/* translators: 1: what happened 2: context */
		return empty( $context ) ? $what : sprintf( '%1$s via %2$s', $what, $context );
	}

	public function log_stored_action( $action_id ) {
		$this->log( $action_id, __( 'action created', 'action-scheduler' ) );
	}

	public function log_canceled_action( $action_id ) {
		$this->log( $action_id, __( 'action canceled', 'action-scheduler' ) );
	}

	public function log_started_action( $action_id, $context = '' ) {
		$this->log( $action_id, self::via( 'action started', $context ) );
	}

	public function log_completed_action( $action_id, $action = null, $context = '' ) {
		$this->log( $action_id, self::via( 'action complete', $context ) );
	}

	public function log_failed_action( $action_id, Exception $exception, $context = '' ) {
		$this->log( $action_id, self::via( 'action failed', $context ) . ': ' . $exception->getMessage() );
	}

	public function log_timed_out_action( $action_id, $timeout ) {
		/* translators: %s: amount of time */
		$this->log( $action_id, sprintf( __( 'action marked as failed after %s seconds. Unknown error occurred. Check server, PHP and database error logs to diagnose cause.', 'action-scheduler' ), $timeout ) );
	}

	public function log_unexpected_shutdown( $action_id, $error ) {
		if ( ! empty( $error ) ) {
			/* translators: 1: error message 2: filename 3: line */
			$this->log( $action_id, sprintf( __( 'unexpected shutdown: PHP Fatal error %1$s in %2$s on line %3$s', 'action-scheduler' ), $error['message'], $error['file'], $error['line'] ) );
		}
	}

	public function log_reset_action( $action_id ) {
		$this->log( $action_id, __( 'action reset', 'action-scheduler' ) );
	}

	public function log_ignored_action( $action_id, $context = '' ) {
		$this->log( $action_id, self::via( 'action ignored', $context ) );
	}

	public function log_failed_fetch_action( $action_id, ?Exception $exception = null ) {
		/* translators: %s: exception message */
		$this->log( $action_id, $exception ? sprintf( __( 'There was a failure fetching this action: %s', 'action-scheduler' ), $exception->getMessage() ) : __( 'There was a failure fetching this action', 'action-scheduler' ) );
	}

	public function log_failed_schedule_next_instance( $action_id, Exception $exception ) {
		/* translators: %s: exception message */
		$this->log( $action_id, sprintf( __( 'There was a failure scheduling the next instance of this action: %s', 'action-scheduler' ), $exception->getMessage() ) );
	}

	public function bulk_log_cancel_actions( $action_ids ) {
		foreach ( (array) $action_ids as $action_id ) {
			$this->log_canceled_action( $action_id );
		}
	}
}

class ActionScheduler_DBLogger extends ActionScheduler_Logger {

	public function init() {
		$schema = new ActionScheduler_LoggerSchema();
		$schema->init();
		$schema->register_tables();
		parent::init();
		add_action( 'action_scheduler_deleted_action', array( $this, 'clear_deleted_action_logs' ), 10, 1 );
	}

	public function log( $action_id, $message, ?DateTime $date = null ) {
		global $wpdb;
		$date = $date ? clone $date : as_get_datetime_object();
		$gmt  = $date->format( 'Y-m-d H:i:s' );
		ActionScheduler_TimezoneHelper::set_local_timezone( $date );
		$wpdb->insert(
			$wpdb->actionscheduler_logs,
			array(
				'action_id'      => $action_id,
				'message'        => $message,
				'log_date_gmt'   => $gmt,
				'log_date_local' => $date->format( 'Y-m-d H:i:s' ),
			),
			array( '%d', '%s', '%s', '%s' )
		);
		return $wpdb->insert_id;
	}

	public function get_entry( $entry_id ) {
		global $wpdb;
		return $this->entry( $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$wpdb->actionscheduler_logs} WHERE log_id = %d", $entry_id ) ) );
	}

	public function get_logs( $action_id ) {
		global $wpdb;
		return array_map( array( $this, 'entry' ), $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$wpdb->actionscheduler_logs} WHERE action_id = %d", $action_id ) ) );
	}

	private function entry( $row ) {
		if ( empty( $row ) ) {
			return new ActionScheduler_NullLogEntry();
		}
		$date = as_get_datetime_object( null === $row->log_date_gmt ? ActionScheduler_StoreSchema::DEFAULT_DATE : $row->log_date_gmt );
		return new ActionScheduler_LogEntry( $row->action_id, $row->message, $date );
	}

	public function clear_deleted_action_logs( $action_id ) {
		global $wpdb;
		$wpdb->delete( $wpdb->actionscheduler_logs, array( 'action_id' => $action_id ), array( '%d' ) );
	}

	public function bulk_log_cancel_actions( $action_ids ) {
		foreach ( (array) $action_ids as $action_id ) {
			$this->log( $action_id, __( 'action canceled', 'action-scheduler' ) );
		}
	}
}
