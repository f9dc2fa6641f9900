<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * The facade (ActionScheduler::store(), ::runner(), ::logger(), ::factory()) and the action factory used by
 * the as_*() functions.
 */

abstract class ActionScheduler {

	private static $plugin_file = '';

	/** @var ActionScheduler_ActionFactory|null */
	private static $factory = null;

	private static $data_store_initialized = false;

	public static function factory() {
		if ( null === self::$factory ) {
			self::$factory = new ActionScheduler_ActionFactory();
		}
		return self::$factory;
	}

	public static function store() {
		return ActionScheduler_Store::instance();
	}

	public static function logger() {
		return ActionScheduler_Logger::instance();
	}

	public static function runner() {
		return ActionScheduler_QueueRunner::instance();
	}

	public static function lock() {
		return ActionScheduler_Lock::instance();
	}

	public static function admin_view() {
		return ActionScheduler_AdminView::instance();
	}

	public static function plugin_path( $path ) {
		$base = dirname( self::$plugin_file );
		return $path ? trailingslashit( $base ) . $path : untrailingslashit( $base );
	}

	/**
	 * Same start-up as the real library: the store (tables), logger, runner (WP-Cron) and the recurring
	 * scheduler initialise on `init` priority 1, after which the as_*() functions work
	 * (ActionScheduler::is_initialized()) and action_scheduler_init fires.
	 */
	public static function init( $plugin_file ) {
		self::$plugin_file = $plugin_file;
		do_action( 'action_scheduler_pre_init' );
		require_once dirname( __DIR__ ) . '/functions.php';
		ActionScheduler_DataController::init(); // the DB store once migrated, else the hybrid store (classes/migration.php)

		$admin_view = self::admin_view();
		$parts      = array( self::store(), self::logger(), self::runner(), new ActionScheduler_RecurringActionScheduler() );
		$ready      = static function () {
			self::$data_store_initialized = true;
			do_action( 'action_scheduler_init' );
		};
		if ( ! did_action( 'init' ) ) {
			add_action( 'init', array( $admin_view, 'init' ), 0, 0 ); // before the store's init
			foreach ( $parts as $part ) {
				add_action( 'init', array( $part, 'init' ), 1, 0 );
			}
			add_action( 'init', $ready, 1 );
		} else {
			$admin_view->init();
			foreach ( $parts as $part ) {
				$part->init();
			}
			$ready();
		}

		if ( defined( 'WP_CLI' ) && WP_CLI ) {
			require_once __DIR__ . '/wp-cli.php';
			WP_CLI::add_command( 'action-scheduler', 'ActionScheduler_WPCLI_Scheduler_command' );
			WP_CLI::add_command( 'action-scheduler action', '\Action_Scheduler\WP_CLI\Action_Command' );
		}
	}

	public static function is_initialized( $function_name = null ) {
		if ( ! self::$data_store_initialized && ! empty( $function_name ) ) {
			/* translators: %s function name. */
			$message = sprintf( __( '%s() was called before the Action Scheduler data store was initialized', 'action-scheduler' ), esc_attr( $function_name ) );
			_doing_it_wrong( esc_html( $function_name ), esc_html( $message ), '3.1.6' );
		}
		return self::$data_store_initialized;
	}
}

class ActionScheduler_ActionFactory {

	/** The action object for a stored row: pending -> runnable, canceled -> canceled, else finished. */
	public function get_stored_action( $status, $hook, array $args = array(), ?ActionScheduler_Schedule $schedule = null, $group = '' ) {
		$priority = func_num_args() >= 6 ? (int) func_get_arg( 5 ) : 10;
		if ( ActionScheduler_Store::STATUS_PENDING === $status ) {
			$class = 'ActionScheduler_Action';
		} elseif ( ActionScheduler_Store::STATUS_CANCELED === $status ) {
			$class = 'ActionScheduler_CanceledAction';
			if ( null !== $schedule && ! $schedule instanceof ActionScheduler_CanceledSchedule && ! $schedule instanceof ActionScheduler_NullSchedule ) {
				$schedule = new ActionScheduler_CanceledSchedule( $schedule->get_date() );
			}
		} else {
			$class = 'ActionScheduler_FinishedAction';
		}
		$class  = apply_filters( 'action_scheduler_stored_action_class', $class, $status, $hook, $args, $schedule, $group );
		$action = new $class( $hook, $args, $schedule, $group );
		$action->set_priority( $priority );
		return apply_filters( 'action_scheduler_stored_action_instance', $action, $hook, $args, $schedule, $group, $priority );
	}

	public function async( $hook, $args = array(), $group = '' ) {
		return $this->async_unique( $hook, $args, $group, false );
	}

	public function async_unique( $hook, $args = array(), $group = '', $unique = true ) {
		return $this->persist( new ActionScheduler_Action( $hook, $args, new ActionScheduler_NullSchedule(), $group ), $unique );
	}

	public function single( $hook, $args = array(), $when = null, $group = '' ) {
		return $this->single_unique( $hook, $args, $when, $group, false );
	}

	public function single_unique( $hook, $args = array(), $when = null, $group = '', $unique = true ) {
		return $this->persist( new ActionScheduler_Action( $hook, $args, new ActionScheduler_SimpleSchedule( as_get_datetime_object( $when ) ), $group ), $unique );
	}

	public function recurring( $hook, $args = array(), $first = null, $interval = null, $group = '' ) {
		return $this->recurring_unique( $hook, $args, $first, $interval, $group, false );
	}

	public function recurring_unique( $hook, $args = array(), $first = null, $interval = null, $group = '', $unique = true ) {
		if ( empty( $interval ) ) {
			return $this->single_unique( $hook, $args, $first, $group, $unique );
		}
		$schedule = new ActionScheduler_IntervalSchedule( as_get_datetime_object( $first ), $interval );
		return $this->persist( new ActionScheduler_Action( $hook, $args, $schedule, $group ), $unique );
	}

	/**
	 * Stores the next instance of a recurring action (same hook, args, group, priority).
	 *
	 * @throws InvalidArgumentException When the action is not recurring.
	 */
	public function repeat( $action ) {
		$schedule = $action->get_schedule();
		$next     = $schedule->get_next( as_get_datetime_object() );
		if ( null === $next || ! $schedule->is_recurring() ) {
			throw new InvalidArgumentException( __( 'Invalid action - must be a recurring action.', 'action-scheduler' ) );
		}
		$class      = get_class( $schedule );
		$new_action = new ActionScheduler_Action( $action->get_hook(), $action->get_args(), new $class( $next, $schedule->get_recurrence(), $schedule->get_first_date() ), $action->get_group() );
		$new_action->set_priority( $action->get_priority() );
		return ActionScheduler_Store::instance()->save_action( $new_action );
	}

	/**
	 * Builds and stores an action from the as_*() options; returns its id, or 0 when storing failed (the
	 * error is written to the PHP error log) or a unique action was refused.
	 */
	public function create( array $options = array() ) {
		$o = array_merge(
			array(
				'type'      => 'single',
				'hook'      => '',
				'arguments' => array(),
				'group'     => '',
				'unique'    => false,
				'when'      => time(),
				'pattern'   => null,
				'priority'  => 10,
			),
			$options
		);
		if ( in_array( $o['type'], array( 'cron', 'recurring' ), true ) && empty( $o['pattern'] ) ) {
			$o['type'] = 'single';
		}
		switch ( $o['type'] ) {
			case 'async':
				$schedule = new ActionScheduler_NullSchedule();
				break;
			case 'recurring':
				$schedule = new ActionScheduler_IntervalSchedule( as_get_datetime_object( $o['when'] ), $o['pattern'] );
				break;
			case 'single':
				$schedule = new ActionScheduler_SimpleSchedule( as_get_datetime_object( $o['when'] ) );
				break;
			default:
				// Cron expressions are not reproduced by the stand-in.
				error_log( "Unknown action type '{$o['type']}' specified when trying to create an action for '{$o['hook']}'." ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
				return 0;
		}
		$action = new ActionScheduler_Action( $o['hook'], $o['arguments'], $schedule, $o['group'] );
		$action->set_priority( $o['priority'] );
		try {
			return $this->persist( $action, $o['unique'] );
		} catch ( Exception $e ) {
			/* translators: %1$s is the name of the hook to be enqueued, %2$s is the exception message. */
			error_log( sprintf( __( 'Caught exception while enqueuing action "%1$s": %2$s', 'action-scheduler' ), $o['hook'], $e->getMessage() ) ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
			return 0;
		}
	}

	private function persist( ActionScheduler_Action $action, $unique ) {
		$store = ActionScheduler_Store::instance();
		if ( ! $unique ) {
			return $store->save_action( $action );
		}
		if ( method_exists( $store, 'save_unique_action' ) ) {
			return $store->save_unique_action( $action );
		}
		$existing = (int) $store->find_action(
			$action->get_hook(),
			array(
				'args'   => $action->get_args(),
				'status' => ActionScheduler_Store::STATUS_PENDING,
				'group'  => $action->get_group(),
			)
		);
		return $existing > 0 ? 0 : $store->save_action( $action );
	}
}
