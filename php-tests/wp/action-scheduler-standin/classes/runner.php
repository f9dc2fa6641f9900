<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * The queue runner, in the order 3.9.3's ActionScheduler_Abstract_QueueRunner runs it:
 *  process_action: before_execute (before any status check) -> the single status re-read (not pending:
 *  execution_ignored, return) -> begin_execute -> fetch -> log_execution -> callback(array_values(args)) ->
 *  after_execute -> mark_complete; any Throwable -> mark_failure + failed_execution (a throw from a
 *  before_execute listener included); then the next instance of a recurring action.
 *  run: before_process_queue, the cleaner (old rows, claim time-outs, failure period), then batches while the
 *  last batch processed anything and time and memory last; after_process_queue.
 *  The fatal-error monitor is attached around every batch; on a fatal error it marks the tracked action
 *  failed and fires action_scheduler_unexpected_shutdown.
 */

abstract class ActionScheduler_Abstract_QueueRunner {

	/** @var ActionScheduler_QueueCleaner */
	protected $cleaner;

	/** @var ActionScheduler_FatalErrorMonitor */
	protected $monitor;

	/** @var ActionScheduler_Store */
	protected $store;

	/** @var float when the runner was made: the start of the time budget */
	private $created_time;

	public function __construct( ?ActionScheduler_Store $store = null, ?ActionScheduler_FatalErrorMonitor $monitor = null, ?ActionScheduler_QueueCleaner $cleaner = null ) {
		$this->created_time = microtime( true );
		$this->store        = $store ? $store : ActionScheduler_Store::instance();
		$this->monitor      = $monitor ? $monitor : new ActionScheduler_FatalErrorMonitor( $this->store );
		$this->cleaner      = $cleaner ? $cleaner : new ActionScheduler_QueueCleaner( $this->store );
	}

	abstract public function run( $context = '' );

	/**
	 * Runs one claimed action. See the file comment for the order; E_USER_ERROR and E_RECOVERABLE_ERROR raised
	 * meanwhile become exceptions.
	 */
	public function process_action( $action_id, $context = '' ) {
		set_error_handler( // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_set_error_handler
			static function ( $type, $message ) {
				throw new Exception( $message );
			},
			E_USER_ERROR | E_RECOVERABLE_ERROR
		);
		$valid_action = true;
		try {
			try {
				do_action( 'action_scheduler_before_execute', $action_id, $context );

				if ( ActionScheduler_Store::STATUS_PENDING !== $this->store->get_status( $action_id ) ) {
					$valid_action = false;
					do_action( 'action_scheduler_execution_ignored', $action_id, $context );
					return;
				}

				do_action( 'action_scheduler_begin_execute', $action_id, $context );

				$action = $this->store->fetch_action( $action_id );
				$this->store->log_execution( $action_id );
				$action->execute();
				do_action( 'action_scheduler_after_execute', $action_id, $action, $context );
				$this->store->mark_complete( $action_id );
			} catch ( Throwable $e ) {
				// Errors become exceptions so every listener gets an Exception.
				throw new Exception( $e->getMessage(), $e->getCode(), $e );
			}
		} catch ( Exception $e ) {
			if ( $valid_action ) {
				$this->store->mark_failure( $action_id );
				do_action( 'action_scheduler_failed_execution', $action_id, $e, $context );
			} else {
				do_action( 'action_scheduler_failed_validation', $action_id, $e, $context );
			}
		} finally {
			restore_error_handler();
		}

		if ( isset( $action ) && $action instanceof ActionScheduler_Action && $action->get_schedule()->is_recurring() ) {
			$this->schedule_next_instance( $action, $action_id );
		}
	}

	/** Schedules the next run of a recurring action, unless it failed and its recent runs all failed too. */
	protected function schedule_next_instance( ActionScheduler_Action $action, $action_id ) {
		if ( ActionScheduler_Store::STATUS_FAILED === $this->store->get_status( $action_id ) && $this->recurring_action_is_consistently_failing( $action ) ) {
			ActionScheduler_Logger::instance()->log( $action_id, __( 'This action appears to be consistently failing. A new instance will not be scheduled.', 'action-scheduler' ) );
			return;
		}
		try {
			ActionScheduler::factory()->repeat( $action );
		} catch ( Exception $e ) {
			do_action( 'action_scheduler_failed_to_schedule_next_instance', $action_id, $e, $action );
		}
	}

	/** True when the last N (filter, default 5) actions of this hook all failed. */
	private function recurring_action_is_consistently_failing( ActionScheduler_Action $action ) {
		$threshold = (int) apply_filters( 'action_scheduler_recurring_action_failure_threshold', 5 );
		$query     = array(
			'hook'         => $action->get_hook(),
			'status'       => ActionScheduler_Store::STATUS_FAILED,
			'date'         => date_create( 'now', timezone_open( 'UTC' ) )->format( 'Y-m-d H:i:s' ),
			'date_compare' => '<',
			'per_page'     => 1,
			'offset'       => $threshold - 1,
		);
		$first_failing = $this->store->query_actions( $query );
		if ( empty( $first_failing ) ) {
			return false;
		}
		unset( $query['status'] );
		$first_any = $this->store->query_actions( $query );
		return (bool) apply_filters( 'action_scheduler_recurring_action_is_consistently_failing', $first_any === $first_failing, $action );
	}

	protected function run_cleanup() {
		$this->cleaner->clean( 10 * $this->get_time_limit() );
	}

	public function get_allowed_concurrent_batches() {
		return apply_filters( 'action_scheduler_queue_runner_concurrent_batches', 1 );
	}

	public function has_maximum_concurrent_batches() {
		return $this->store->get_claim_count() >= $this->get_allowed_concurrent_batches();
	}

	protected function get_time_limit() {
		$limit = 30;
		if ( has_filter( 'action_scheduler_maximum_execution_time' ) ) {
			_deprecated_function( 'action_scheduler_maximum_execution_time', '2.1.1', 'action_scheduler_queue_runner_time_limit' );
			$limit = apply_filters( 'action_scheduler_maximum_execution_time', $limit );
		}
		return absint( apply_filters( 'action_scheduler_queue_runner_time_limit', $limit ) );
	}

	protected function get_execution_time() {
		$elapsed = microtime( true ) - $this->created_time;
		if ( function_exists( 'getrusage' ) && apply_filters( 'action_scheduler_use_cpu_execution_time', defined( 'PANTHEON_ENVIRONMENT' ) ) ) {
			$usage = getrusage();
			if ( isset( $usage['ru_stime.tv_usec'] ) ) {
				$elapsed = $usage['ru_stime.tv_sec'] + ( $usage['ru_stime.tv_usec'] / 1000000 );
			}
		}
		return $elapsed;
	}

	/** Would three more actions at the average pace so far pass the time limit? */
	protected function time_likely_to_be_exceeded( $processed_actions ) {
		$elapsed = $this->get_execution_time();
		$limit   = $this->get_time_limit();
		if ( 0 === $processed_actions ) {
			return $elapsed >= $limit;
		}
		$likely = $elapsed + 3 * ( $elapsed / $processed_actions ) > $limit;
		return apply_filters( 'action_scheduler_maximum_execution_time_likely_to_be_exceeded', $likely, $this, $processed_actions, $elapsed, $limit );
	}

	protected function get_memory_limit() {
		$limit = ini_get( 'memory_limit' );
		if ( ! $limit || '-1' === $limit ) {
			$limit = '32G';
		}
		return ActionScheduler_Compatibility::convert_hr_to_bytes( $limit );
	}

	protected function memory_exceeded() {
		$exceeded = memory_get_usage( true ) >= 0.9 * $this->get_memory_limit();
		return apply_filters( 'action_scheduler_memory_exceeded', $exceeded, $this );
	}

	protected function batch_limits_exceeded( $processed_actions ) {
		return $this->memory_exceeded() || $this->time_likely_to_be_exceeded( $processed_actions );
	}
}

class ActionScheduler_QueueRunner extends ActionScheduler_Abstract_QueueRunner {

	const WP_CRON_HOOK = 'action_scheduler_run_queue';

	const WP_CRON_SCHEDULE = 'every_minute';

	/** @var ActionScheduler_QueueRunner|null */
	private static $runner = null;

	private $processed_actions_count = 0;

	/** @var ActionScheduler_AsyncRequest_QueueRunner */
	protected $async_request;

	public function __construct( ?ActionScheduler_Store $store = null, ?ActionScheduler_FatalErrorMonitor $monitor = null, ?ActionScheduler_QueueCleaner $cleaner = null, ?ActionScheduler_AsyncRequest_QueueRunner $async_request = null ) {
		parent::__construct( $store, $monitor, $cleaner );
		$this->async_request = $async_request ? $async_request : new ActionScheduler_AsyncRequest_QueueRunner( $this->store );
	}

	public static function instance() {
		if ( null === self::$runner ) {
			$class        = apply_filters( 'action_scheduler_queue_runner_class', 'ActionScheduler_QueueRunner' );
			self::$runner = new $class();
		}
		return self::$runner;
	}

	/**
	 * WP-Cron wiring as in the real library: an every_minute schedule, the event
	 * action_scheduler_run_queue with args ['WP Cron'] (a context-less event from < 3.0 is removed), and
	 * run() hooked to that action, so do_action( 'action_scheduler_run_queue', $context ) runs the queue; and the
	 * async request runner at shutdown (classes/async-request.php).
	 */
	public function init() {
		add_filter( 'cron_schedules', array( self::instance(), 'add_wp_cron_schedule' ) ); // phpcs:ignore WordPress.WP.CronInterval
		$legacy = wp_next_scheduled( self::WP_CRON_HOOK );
		if ( $legacy ) {
			wp_unschedule_event( $legacy, self::WP_CRON_HOOK );
		}
		$cron_context = array( 'WP Cron' );
		if ( ! wp_next_scheduled( self::WP_CRON_HOOK, $cron_context ) ) {
			wp_schedule_event( time(), apply_filters( 'action_scheduler_run_schedule', self::WP_CRON_SCHEDULE ), self::WP_CRON_HOOK, $cron_context );
		}
		add_action( self::WP_CRON_HOOK, array( self::instance(), 'run' ) );
		$this->hook_dispatch_async_request();
	}

	public function hook_dispatch_async_request() {
		add_action( 'shutdown', array( $this, 'maybe_dispatch_async_request' ) );
	}

	public function unhook_dispatch_async_request() {
		remove_action( 'shutdown', array( $this, 'maybe_dispatch_async_request' ) );
	}

	/** At the end of an admin request: an async queue run, at most once a minute (the lock). */
	public function maybe_dispatch_async_request() {
		if ( is_admin() && ! ActionScheduler::lock()->is_locked( 'async-request-runner' ) && ActionScheduler::lock()->set( 'async-request-runner' ) ) {
			$this->async_request->maybe_dispatch();
		}
	}

	public function add_wp_cron_schedule( $schedules ) {
		$schedules['every_minute'] = array(
			'interval' => 60,
			'display'  => __( 'Every minute', 'action-scheduler' ),
		);
		return $schedules;
	}

	/** @return int actions processed */
	public function run( $context = 'WP Cron' ) {
		ActionScheduler_Compatibility::raise_memory_limit();
		ActionScheduler_Compatibility::raise_time_limit( $this->get_time_limit() );
		do_action( 'action_scheduler_before_process_queue' );
		$this->run_cleanup();

		$this->processed_actions_count = 0;
		if ( false === $this->has_maximum_concurrent_batches() ) {
			do {
				$in_batch                       = $this->do_batch( apply_filters( 'action_scheduler_queue_runner_batch_size', 25 ), $context );
				$this->processed_actions_count += $in_batch;
			} while ( $in_batch > 0 && ! $this->batch_limits_exceeded( $this->processed_actions_count ) );
		}

		do_action( 'action_scheduler_after_process_queue' );
		return $this->processed_actions_count;
	}

	/** Claims up to $size due actions and processes them in claim order while the claim still holds them. */
	protected function do_batch( $size = 100, $context = '' ) {
		$claim = $this->store->stake_claim( $size );
		$this->monitor->attach( $claim );
		$processed = 0;
		foreach ( $claim->get_actions() as $action_id ) {
			if ( ! in_array( $action_id, $this->store->find_actions_by_claim_id( $claim->get_id() ), true ) ) {
				break; // The claim was lost (reset by the cleaner of another runner).
			}
			$this->process_action( $action_id, $context );
			++$processed;
			if ( $this->batch_limits_exceeded( $processed + $this->processed_actions_count ) ) {
				break;
			}
		}
		$this->store->release_claim( $claim );
		$this->monitor->detach();
		$this->clear_caches();
		return $processed;
	}

	protected function clear_caches() {
		if ( function_exists( 'wp_cache_supports' ) ? wp_cache_supports( 'flush_runtime' ) : function_exists( 'wp_cache_flush_runtime' ) ) {
			wp_cache_flush_runtime();
		} elseif ( ! wp_using_ext_object_cache() || apply_filters( 'action_scheduler_queue_runner_flush_cache', false ) ) {
			wp_cache_flush();
		}
	}
}

class ActionScheduler_FatalErrorMonitor {

	/** @var ActionScheduler_ActionClaim|null */
	private $claim = null;

	/** @var ActionScheduler_Store */
	private $store;

	/** @var int the action between before_execute and its end, 0 outside */
	private $action_id = 0;

	public function __construct( ActionScheduler_Store $store ) {
		$this->store = $store;
	}

	public function attach( ActionScheduler_ActionClaim $claim ) {
		$this->claim = $claim;
		add_action( 'shutdown', array( $this, 'handle_unexpected_shutdown' ) );
		add_action( 'action_scheduler_before_execute', array( $this, 'track_current_action' ), 0, 1 );
		foreach ( array( 'action_scheduler_after_execute', 'action_scheduler_execution_ignored', 'action_scheduler_failed_execution' ) as $hook ) {
			add_action( $hook, array( $this, 'untrack_action' ), 0, 0 );
		}
	}

	public function detach() {
		$this->claim = null;
		$this->untrack_action();
		remove_action( 'shutdown', array( $this, 'handle_unexpected_shutdown' ) );
		remove_action( 'action_scheduler_before_execute', array( $this, 'track_current_action' ), 0 );
		foreach ( array( 'action_scheduler_after_execute', 'action_scheduler_execution_ignored', 'action_scheduler_failed_execution' ) as $hook ) {
			remove_action( $hook, array( $this, 'untrack_action' ), 0 );
		}
	}

	public function track_current_action( $action_id ) {
		$this->action_id = $action_id;
	}

	public function untrack_action() {
		$this->action_id = 0;
	}

	/** On shutdown after a fatal error: fail the tracked action, fire the hook; after any error: free the claim. */
	public function handle_unexpected_shutdown() {
		$error = error_get_last();
		if ( ! $error ) {
			return;
		}
		if ( in_array( $error['type'], array( E_ERROR, E_PARSE, E_COMPILE_ERROR, E_USER_ERROR, E_RECOVERABLE_ERROR ), true ) && ! empty( $this->action_id ) ) {
			$this->store->mark_failure( $this->action_id );
			do_action( 'action_scheduler_unexpected_shutdown', $this->action_id, $error );
		}
		$this->store->release_claim( $this->claim );
	}
}

class ActionScheduler_QueueCleaner {

	protected $batch_size;

	/** @var ActionScheduler_Store */
	private $store;

	private $month_in_seconds = 2678400;

	private $default_statuses_to_purge = array( ActionScheduler_Store::STATUS_COMPLETE, ActionScheduler_Store::STATUS_CANCELED );

	public function __construct( ?ActionScheduler_Store $store = null, $batch_size = 20 ) {
		$this->store      = $store ? $store : ActionScheduler_Store::instance();
		$this->batch_size = $batch_size;
	}

	/** Runs at the start of every queue run with 10 x the time limit (300 s by default). */
	public function clean( $time_limit = 300 ) {
		$this->delete_old_actions();
		$this->reset_timeouts( $time_limit );
		$this->mark_failures( $time_limit );
	}

	/** Deletes complete and canceled actions older than the retention period (31 days). */
	public function delete_old_actions() {
		$lifespan = apply_filters( 'action_scheduler_retention_period', $this->month_in_seconds );
		try {
			$cutoff = as_get_datetime_object( $lifespan . ' seconds ago' );
		} catch ( Exception $e ) {
			/* translators: %s is the exception message. */
			_doing_it_wrong( __METHOD__, esc_html( sprintf( __( 'It was not possible to determine a valid cut-off time: %s.', 'action-scheduler' ), $e->getMessage() ) ), '3.5.5' );
			return array();
		}
		$statuses = (array) apply_filters( 'action_scheduler_default_cleaner_statuses', $this->default_statuses_to_purge );
		return $this->clean_actions( $statuses, $cutoff, $this->get_batch_size() );
	}

	public function clean_actions( array $statuses_to_purge, DateTime $cutoff_date, $batch_size = null, $context = 'old' ) {
		$batch_size = $batch_size ?? $this->batch_size;
		$lifespan   = time() - $cutoff_date->getTimestamp();
		$statuses   = $statuses_to_purge ? $statuses_to_purge : $this->default_statuses_to_purge;
		$deleted    = array();
		foreach ( $statuses as $status ) {
			$ids = $this->store->query_actions(
				array(
					'status'           => $status,
					'modified'         => $cutoff_date,
					'modified_compare' => '<=',
					'per_page'         => $batch_size,
					'orderby'          => 'none',
				)
			);
			foreach ( $ids as $action_id ) {
				try {
					$this->store->delete_action( $action_id );
					$deleted[] = $action_id;
				} catch ( Exception $e ) {
					do_action( "action_scheduler_failed_{$context}_action_deletion", $action_id, $e, $lifespan, count( $ids ) );
				}
			}
		}
		return $deleted;
	}

	/** Unclaims pending actions whose claim is older than action_scheduler_timeout_period. */
	public function reset_timeouts( $time_limit = 300 ) {
		$timeout = apply_filters( 'action_scheduler_timeout_period', $time_limit );
		if ( $timeout < 0 ) {
			return;
		}
		$ids = $this->store->query_actions(
			array(
				'status'           => ActionScheduler_Store::STATUS_PENDING,
				'modified'         => as_get_datetime_object( $timeout . ' seconds ago' ),
				'modified_compare' => '<=',
				'claimed'          => true,
				'per_page'         => $this->get_batch_size(),
				'orderby'          => 'none',
			)
		);
		foreach ( $ids as $action_id ) {
			$this->store->unclaim_action( $action_id );
			do_action( 'action_scheduler_reset_action', $action_id );
		}
	}

	/**
	 * Marks failed the in-progress actions whose last attempt is older than action_scheduler_failure_period and
	 * fires action_scheduler_failed_action( $id, $timeout ) for each: actions killed mid-run, and live ones that
	 * simply run longer.
	 */
	public function mark_failures( $time_limit = 300 ) {
		$timeout = apply_filters( 'action_scheduler_failure_period', $time_limit );
		if ( $timeout < 0 ) {
			return;
		}
		$ids = $this->store->query_actions(
			array(
				'status'           => ActionScheduler_Store::STATUS_RUNNING,
				'modified'         => as_get_datetime_object( $timeout . ' seconds ago' ),
				'modified_compare' => '<=',
				'per_page'         => $this->get_batch_size(),
				'orderby'          => 'none',
			)
		);
		foreach ( $ids as $action_id ) {
			$this->store->mark_failure( $action_id );
			do_action( 'action_scheduler_failed_action', $action_id, $timeout );
		}
	}

	protected function get_batch_size() {
		return absint( apply_filters( 'action_scheduler_cleanup_batch_size', $this->batch_size ) );
	}
}

/** Keeps the daily action_scheduler_run_recurring_actions_schedule_hook (scheduled from admin requests). */
class ActionScheduler_RecurringActionScheduler {

	private const RUN_SCHEDULED_RECURRING_ACTIONS_HOOK = 'action_scheduler_run_recurring_actions_schedule_hook';

	public function init(): void {
		add_action( self::RUN_SCHEDULED_RECURRING_ACTIONS_HOOK, array( $this, 'run_recurring_scheduler_hook' ) );
		if ( is_admin() && ( ! defined( 'DOING_AJAX' ) || ! DOING_AJAX ) ) {
			add_action( 'action_scheduler_init', array( $this, 'schedule_recurring_scheduler_hook' ) );
		}
	}

	public function schedule_recurring_scheduler_hook(): void {
		if ( false !== get_transient( 'as_is_ensure_recurring_actions_scheduled' ) ) {
			return;
		}
		if ( ! as_has_scheduled_action( self::RUN_SCHEDULED_RECURRING_ACTIONS_HOOK ) ) {
			as_schedule_recurring_action( time(), DAY_IN_SECONDS, self::RUN_SCHEDULED_RECURRING_ACTIONS_HOOK, array(), 'ActionScheduler', true, 20 );
		}
		set_transient( 'as_is_ensure_recurring_actions_scheduled', true, HOUR_IN_SECONDS );
	}

	public function run_recurring_scheduler_hook(): void {
		do_action( 'action_scheduler_ensure_recurring_actions' );
	}
}
