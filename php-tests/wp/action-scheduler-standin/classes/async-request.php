<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * The async request runner of 3.9.3: at shutdown of an admin request (is_admin(): wp-admin pages and
 * admin-ajax.php), at most once a minute (the option lock async-request-runner), when no more than the allowed
 * concurrent batches run and an action is due, ActionScheduler_QueueRunner sends a non-blocking loopback POST to
 * admin-ajax.php?action=as_async_request_queue_runner (nonce checked, logged-in or not). That request runs the
 * queue in the context "Async Request", sleeps 5 s (filter action_scheduler_async_request_sleep_seconds) and,
 * if an action is still due, sends the next one itself (without the lock), so the chain goes on while work is
 * due. The locks are options (ActionScheduler_OptionLock: "<uniqid>|<expiry>" in action_scheduler_lock_<type>).
 */

if ( ! class_exists( 'WP_Async_Request', false ) ) {

	/** The loopback request of deliciousbrains/wp-background-processing, as Action Scheduler bundles it. */
	abstract class WP_Async_Request {

		protected $prefix = 'wp';

		protected $action = 'async_request';

		protected $identifier;

		protected $data = array();

		public function __construct() {
			$this->identifier = $this->prefix . '_' . $this->action;
			add_action( 'wp_ajax_' . $this->identifier, array( $this, 'maybe_handle' ) );
			add_action( 'wp_ajax_nopriv_' . $this->identifier, array( $this, 'maybe_handle' ) );
		}

		public function data( $data ) {
			$this->data = $data;
			return $this;
		}

		public function dispatch() {
			$url  = add_query_arg( apply_filters( $this->identifier . '_query_args', array( 'action' => $this->identifier, 'nonce' => wp_create_nonce( $this->identifier ) ) ), apply_filters( $this->identifier . '_query_url', admin_url( 'admin-ajax.php' ) ) );
			$args = apply_filters(
				$this->identifier . '_post_args',
				array(
					'timeout'   => 0.01,
					'blocking'  => false,
					'body'      => $this->data,
					'cookies'   => $_COOKIE, // phpcs:ignore WordPressVIPMinimum.Variables.RestrictedVariables.cache_constraints___COOKIE
					'sslverify' => apply_filters( 'https_local_ssl_verify', false ),
				)
			);
			return wp_remote_post( esc_url_raw( $url ), $args );
		}

		public function maybe_handle() {
			session_write_close(); // Don't lock up other requests while processing.
			check_ajax_referer( $this->identifier, 'nonce' );
			$this->handle();
			wp_die();
		}

		abstract protected function handle();
	}
}

class ActionScheduler_AsyncRequest_QueueRunner extends WP_Async_Request {

	/** @var ActionScheduler_Store */
	protected $store;

	protected $prefix = 'as';

	protected $action = 'async_request_queue_runner';

	public function __construct( ActionScheduler_Store $store ) {
		parent::__construct();
		$this->store = $store;
	}

	protected function handle() {
		do_action( 'action_scheduler_run_queue', 'Async Request' ); // run a queue in the same way as WP Cron, but declare the Async Request context.
		$sleep_seconds = apply_filters( 'action_scheduler_async_request_sleep_seconds', 5, $this );
		if ( $sleep_seconds ) {
			sleep( $sleep_seconds );
		}
		$this->maybe_dispatch();
	}

	public function maybe_dispatch() {
		if ( ! $this->allow() ) {
			return;
		}
		$this->dispatch();
		ActionScheduler_QueueRunner::instance()->unhook_dispatch_async_request();
	}

	protected function allow() {
		$allow = has_action( 'action_scheduler_run_queue' ) && ! ActionScheduler::runner()->has_maximum_concurrent_batches() && $this->store->has_pending_actions_due();
		return apply_filters( 'action_scheduler_allow_async_request_runner', $allow );
	}
}

abstract class ActionScheduler_Lock {

	/** @var ActionScheduler_Lock|null */
	private static $locker = null;

	protected static $lock_duration = MINUTE_IN_SECONDS;

	public function is_locked( $lock_type ) {
		return ( $this->get_expiration( $lock_type ) >= time() );
	}

	abstract public function set( $lock_type );

	abstract public function get_expiration( $lock_type );

	protected function get_duration( $lock_type ) {
		return apply_filters( 'action_scheduler_lock_duration', self::$lock_duration, $lock_type );
	}

	public static function instance() {
		if ( empty( self::$locker ) ) {
			$class        = apply_filters( 'action_scheduler_lock_class', 'ActionScheduler_OptionLock' );
			self::$locker = new $class();
		}
		return self::$locker;
	}
}

/** A lock in an option row: taken by INSERT, or by an UPDATE that names the expired value it replaces. */
class ActionScheduler_OptionLock extends ActionScheduler_Lock {

	public function set( $lock_type ) {
		global $wpdb;
		$key      = $this->get_key( $lock_type );
		$existing = $this->get_existing_lock( $lock_type );
		$new      = uniqid( '', true ) . '|' . ( time() + $this->get_duration( $lock_type ) );
		if ( empty( $existing ) ) {
			return (bool) $wpdb->insert( $wpdb->options, array( 'option_name' => $key, 'option_value' => $new, 'autoload' => 'no' ) );
		}
		if ( $this->get_expiration_from( $existing ) >= time() ) {
			return false;
		}
		return (bool) $wpdb->update( $wpdb->options, array( 'option_value' => $new ), array( 'option_name' => $key, 'option_value' => $existing ) );
	}

	public function get_expiration( $lock_type ) {
		return $this->get_expiration_from( $this->get_existing_lock( $lock_type ) );
	}

	private function get_expiration_from( $lock_value ) {
		$parts = explode( '|', $lock_value );
		if ( 1 === count( $parts ) && is_numeric( $parts[0] ) ) {
			return (int) $parts[0];
		}
		if ( 2 === count( $parts ) && is_numeric( $parts[1] ) ) {
			return (int) $parts[1];
		}
		return false;
	}

	protected function get_key( $lock_type ) {
		return sprintf( 'action_scheduler_lock_%s', $lock_type );
	}

	private function get_existing_lock( $lock_type ) {
		global $wpdb;
		return (string) $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM $wpdb->options WHERE option_name = %s", $this->get_key( $lock_type ) ) );
	}
}
