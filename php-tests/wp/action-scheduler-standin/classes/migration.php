<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * The post-store migration of 3.9.3 and the switch it drives (ActionScheduler_DataController): until the option
 * action_scheduler_migration_status is "complete", the migration Controller filters the store class to
 * ActionScheduler_HybridStore and, on wp_loaded, schedules the migration action (action_scheduler/migration_hook,
 * group action-scheduler-migration) a minute ahead; when that action runs and finds nothing left to migrate, it
 * marks the migration complete and fires action_scheduler/migration_complete. Once complete, every process
 * loaded afterwards uses the DB store, and ActionScheduler_DataController deletes the option again on every
 * deactivate_plugin. Not reproduced: the WP-CLI `action-scheduler migrate` command and its dry run.
 */

namespace Action_Scheduler\Migration {

	use ActionScheduler_Logger as Logger;
	use ActionScheduler_Store as Store;

	class Config {

		private $source_store;
		private $source_logger;
		private $destination_store;
		private $destination_logger;
		private $progress_bar;
		private $dry_run = false;

		public function get_source_store() {
			if ( empty( $this->source_store ) ) {
				throw new \RuntimeException( __( 'Source store must be configured before running a migration', 'action-scheduler' ) );
			}
			return $this->source_store;
		}

		public function set_source_store( Store $store ) {
			$this->source_store = $store;
		}

		public function get_source_logger() {
			if ( empty( $this->source_logger ) ) {
				throw new \RuntimeException( __( 'Source logger must be configured before running a migration', 'action-scheduler' ) );
			}
			return $this->source_logger;
		}

		public function set_source_logger( Logger $logger ) {
			$this->source_logger = $logger;
		}

		public function get_destination_store() {
			if ( empty( $this->destination_store ) ) {
				throw new \RuntimeException( __( 'Destination store must be configured before running a migration', 'action-scheduler' ) );
			}
			return $this->destination_store;
		}

		public function set_destination_store( Store $store ) {
			$this->destination_store = $store;
		}

		public function get_destination_logger() {
			if ( empty( $this->destination_logger ) ) {
				throw new \RuntimeException( __( 'Destination logger must be configured before running a migration', 'action-scheduler' ) );
			}
			return $this->destination_logger;
		}

		public function set_destination_logger( Logger $logger ) {
			$this->destination_logger = $logger;
		}

		public function get_dry_run() {
			return $this->dry_run;
		}

		public function set_dry_run( $dry_run ) {
			$this->dry_run = (bool) $dry_run;
		}

		public function get_progress_bar() {
			return $this->progress_bar;
		}

		public function set_progress_bar( $progress_bar ) {
			$this->progress_bar = $progress_bar;
		}
	}

	class Controller {

		private static $instance;

		/** @var Scheduler */
		private $migration_scheduler;

		private $store_classname = '';

		private $logger_classname = '';

		private $migrate_custom_store;

		protected function __construct( Scheduler $migration_scheduler ) {
			$this->migration_scheduler = $migration_scheduler;
		}

		public static function instance() {
			if ( ! isset( self::$instance ) ) {
				self::$instance = new static( new Scheduler() );
			}
			return self::$instance;
		}

		public static function init() {
			if ( \ActionScheduler_DataController::dependencies_met() ) {
				self::instance()->hook();
			}
		}

		/** The hybrid store while the migration is not complete, unless another plugin set a custom store. */
		public function get_store_class( $class ) {
			if ( \ActionScheduler_DataController::is_migration_complete() ) {
				return \ActionScheduler_DataController::DATASTORE_CLASS;
			} elseif ( \ActionScheduler_Store::DEFAULT_CLASS !== $class ) {
				$this->store_classname = $class;
				return $class;
			}
			return 'ActionScheduler_HybridStore';
		}

		public function get_logger_class( $class ) {
			\ActionScheduler_Store::instance();
			if ( $this->has_custom_datastore() ) {
				$this->logger_classname = $class;
				return $class;
			}
			return \ActionScheduler_DataController::LOGGER_CLASS;
		}

		public function has_custom_datastore() {
			return (bool) $this->store_classname;
		}

		/** On wp_loaded: the migration action, unless it is complete, scheduled already, or the tables are missing. */
		public function schedule_migration() {
			$logging_tables = new \ActionScheduler_LoggerSchema();
			$store_tables   = new \ActionScheduler_StoreSchema();
			if ( \ActionScheduler_DataController::is_migration_complete() || $this->migration_scheduler->is_migration_scheduled() || ! $store_tables->tables_exist() || ! $logging_tables->tables_exist() ) {
				return;
			}
			$this->migration_scheduler->schedule_migration();
		}

		public function get_migration_config_object() {
			static $config = null;
			if ( ! $config ) {
				$config = new Config();
				$config->set_source_store( $this->store_classname ? new $this->store_classname() : new \ActionScheduler_wpPostStore() );
				$config->set_source_logger( $this->logger_classname ? new $this->logger_classname() : new \ActionScheduler_wpCommentLogger() );
				$config->set_destination_store( new \ActionScheduler_DBStoreMigrator() );
				$config->set_destination_logger( new \ActionScheduler_DBLogger() );
			}
			return apply_filters( 'action_scheduler/migration_config', $config ); // phpcs:ignore WordPress.NamingConventions.ValidHookName.UseUnderscores
		}

		public function hook_admin_notices() {
			if ( ! $this->allow_migration() || \ActionScheduler_DataController::is_migration_complete() ) {
				return;
			}
			add_action( 'admin_notices', array( $this, 'display_migration_notice' ), 10, 0 );
		}

		public function display_migration_notice() {
			printf( '<div class="notice notice-warning"><p>%s</p></div>', esc_html__( 'Action Scheduler migration in progress. The list of scheduled actions may be incomplete.', 'action-scheduler' ) );
		}

		private function hook() {
			add_filter( 'action_scheduler_store_class', array( $this, 'get_store_class' ), 100, 1 );
			add_filter( 'action_scheduler_logger_class', array( $this, 'get_logger_class' ), 100, 1 );
			add_action( 'init', array( $this, 'maybe_hook_migration' ) );
			add_action( 'wp_loaded', array( $this, 'schedule_migration' ) );
			add_action( 'load-tools_page_action-scheduler', array( $this, 'hook_admin_notices' ), 10, 0 );
			add_action( 'load-woocommerce_page_wc-status', array( $this, 'hook_admin_notices' ), 10, 0 );
		}

		public function maybe_hook_migration() {
			if ( ! $this->allow_migration() || \ActionScheduler_DataController::is_migration_complete() ) {
				return;
			}
			$this->migration_scheduler->hook();
		}

		public function allow_migration() {
			if ( ! \ActionScheduler_DataController::dependencies_met() ) {
				return false;
			}
			if ( null === $this->migrate_custom_store ) {
				$this->migrate_custom_store = apply_filters( 'action_scheduler_migrate_data_store', false );
			}
			return ( ! $this->has_custom_datastore() ) || $this->migrate_custom_store;
		}
	}

	class Scheduler {

		const HOOK  = 'action_scheduler/migration_hook';
		const GROUP = 'action-scheduler-migration';

		public function hook() {
			add_action( self::HOOK, array( $this, 'run_migration' ), 10, 0 );
		}

		public function unhook() {
			remove_action( self::HOOK, array( $this, 'run_migration' ), 10 );
		}

		/** One batch (250 by default); none left: complete; else the next batch at once. */
		public function run_migration() {
			$runner = new Runner( Controller::instance()->get_migration_config_object() );
			$count  = $runner->run( (int) apply_filters( 'action_scheduler/migration_batch_size', 250 ) ); // phpcs:ignore WordPress.NamingConventions.ValidHookName.UseUnderscores
			if ( 0 === $count ) {
				$this->mark_complete();
			} else {
				$this->schedule_migration( time() + (int) apply_filters( 'action_scheduler/migration_interval', 0 ) ); // phpcs:ignore WordPress.NamingConventions.ValidHookName.UseUnderscores
			}
		}

		public function mark_complete() {
			$this->unschedule_migration();
			\ActionScheduler_DataController::mark_migration_complete();
			do_action( 'action_scheduler/migration_complete' ); // phpcs:ignore WordPress.NamingConventions.ValidHookName.UseUnderscores
		}

		public function is_migration_scheduled() {
			return ! empty( as_next_scheduled_action( self::HOOK ) );
		}

		public function schedule_migration( $when = 0 ) {
			$next = as_next_scheduled_action( self::HOOK );
			if ( ! empty( $next ) ) {
				return $next;
			}
			return as_schedule_single_action( empty( $when ) ? time() + MINUTE_IN_SECONDS : $when, self::HOOK, array(), self::GROUP );
		}

		public function unschedule_migration() {
			as_unschedule_action( self::HOOK, null, self::GROUP );
		}
	}

	class Runner {

		private $source_store;
		private $destination_store;
		private $destination_logger;
		private $batch_fetcher;
		private $action_migrator;

		public function __construct( Config $config ) {
			$this->source_store       = $config->get_source_store();
			$this->destination_store  = $config->get_destination_store();
			$this->destination_logger = $config->get_destination_logger();
			$this->batch_fetcher      = new BatchFetcher( $this->source_store );
			$this->action_migrator    = new ActionMigrator( $this->source_store, $this->destination_store, new LogMigrator( $config->get_source_logger(), $this->destination_logger ) );
		}

		public function run( $batch_size = 10 ) {
			$batch = $this->batch_fetcher->fetch( $batch_size );
			if ( ! $batch ) {
				return 0;
			}
			$this->migrate_actions( $batch );
			return count( $batch );
		}

		public function migrate_actions( array $action_ids ) {
			do_action( 'action_scheduler/migration_batch_starting', $action_ids ); // phpcs:ignore WordPress.NamingConventions.ValidHookName.UseUnderscores
			\ActionScheduler::logger()->unhook_stored_action();
			$this->destination_logger->unhook_stored_action();
			foreach ( $action_ids as $source_action_id ) {
				$destination_action_id = $this->action_migrator->migrate( $source_action_id );
				if ( $destination_action_id ) {
					/* translators: 1: source action ID 2: source store class 3: destination action ID 4: destination store class */
					$this->destination_logger->log( $destination_action_id, sprintf( __( 'Migrated action with ID %1$d in %2$s to ID %3$d in %4$s', 'action-scheduler' ), $source_action_id, get_class( $this->source_store ), $destination_action_id, get_class( $this->destination_store ) ) );
				}
			}
			\ActionScheduler::logger()->hook_stored_action();
			do_action( 'action_scheduler/migration_batch_complete', $action_ids ); // phpcs:ignore WordPress.NamingConventions.ValidHookName.UseUnderscores
		}

		public function init_destination() {
			$this->destination_store->init();
			$this->destination_logger->init();
		}
	}

	/** The next source actions to move: pending first (due ones, then future ones), then failed, canceled, complete, running, any. */
	class BatchFetcher {

		private $store;

		public function __construct( Store $source_store ) {
			$this->store = $source_store;
		}

		public function fetch( $count = 10 ) {
			$args = array( 'date' => as_get_datetime_object(), 'per_page' => $count, 'offset' => 0, 'orderby' => 'date', 'order' => 'ASC' );
			foreach ( array( Store::STATUS_PENDING, Store::STATUS_FAILED, Store::STATUS_CANCELED, Store::STATUS_COMPLETE, Store::STATUS_RUNNING, '' ) as $status ) {
				foreach ( array( '<=', '>=' ) as $compare ) {
					$ids = $this->store->query_actions( array( 'status' => $status, 'date_compare' => $compare ) + $args );
					if ( ! empty( $ids ) ) {
						return $ids;
					}
				}
			}
			return array();
		}
	}

	class ActionMigrator {

		private $source;
		private $destination;
		private $log_migrator;

		public function __construct( Store $source_store, Store $destination_store, LogMigrator $log_migrator ) {
			$this->source       = $source_store;
			$this->destination  = $destination_store;
			$this->log_migrator = $log_migrator;
		}

		/** The id in the destination, or 0 when there was nothing to move (the source row is deleted) or saving failed. */
		public function migrate( $source_action_id ) {
			try {
				$action = $this->source->fetch_action( $source_action_id );
				$status = $this->source->get_status( $source_action_id );
			} catch ( \Exception $e ) {
				$action = null;
				$status = '';
			}
			if ( is_null( $action ) || empty( $status ) || ! $action->get_schedule()->get_date() ) {
				try {
					$this->source->delete_action( $source_action_id );
				} catch ( \Exception $e ) { // phpcs:ignore Generic.CodeAnalysis.EmptyStatement.DetectedCatch
				}
				do_action( 'action_scheduler/no_action_to_migrate', $source_action_id, $this->source, $this->destination ); // phpcs:ignore WordPress.NamingConventions.ValidHookName.UseUnderscores
				return 0;
			}
			try {
				$last_attempt          = ( Store::STATUS_PENDING !== $status ) ? $this->source->get_date( $source_action_id ) : null;
				$destination_action_id = $this->destination->save_action( $action, null, $last_attempt );
			} catch ( \Exception $e ) {
				do_action( 'action_scheduler/migrate_action_failed', $source_action_id, $this->source, $this->destination ); // phpcs:ignore WordPress.NamingConventions.ValidHookName.UseUnderscores
				return 0;
			}
			try {
				if ( Store::STATUS_FAILED === $status ) {
					$this->destination->mark_failure( $destination_action_id );
				} elseif ( Store::STATUS_CANCELED === $status ) {
					$this->destination->cancel_action( $destination_action_id );
				}
				$this->log_migrator->migrate( $source_action_id, $destination_action_id );
				$this->source->delete_action( $source_action_id );
				if ( ! is_a( $this->source->fetch_action( $source_action_id ), 'ActionScheduler_NullAction' ) ) {
					/* translators: %s: action ID */
					throw new \RuntimeException( sprintf( __( 'Unable to remove source migrated action %s', 'action-scheduler' ), $source_action_id ) );
				}
			} catch ( \Exception $e ) {
				$this->source->mark_migrated( $source_action_id );
				do_action( 'action_scheduler/migrate_action_incomplete', $source_action_id, $destination_action_id, $this->source, $this->destination ); // phpcs:ignore WordPress.NamingConventions.ValidHookName.UseUnderscores
			}
			do_action( 'action_scheduler/migrated_action', $source_action_id, $destination_action_id, $this->source, $this->destination ); // phpcs:ignore WordPress.NamingConventions.ValidHookName.UseUnderscores
			return $destination_action_id;
		}
	}

	class LogMigrator {

		private $source;
		private $destination;

		public function __construct( Logger $source_logger, Logger $destination_logger ) {
			$this->source      = $source_logger;
			$this->destination = $destination_logger;
		}

		public function migrate( $source_action_id, $destination_action_id ) {
			foreach ( $this->source->get_logs( $source_action_id ) as $log ) {
				if ( absint( $log->get_action_id() ) === absint( $source_action_id ) ) {
					$this->destination->log( $destination_action_id, $log->get_message(), $log->get_date() );
				}
			}
		}
	}
}

namespace {

	/**
	 * Which store serves: the DB store once the migration is complete (and the option is deleted again on every
	 * deactivate_plugin), else the migration Controller's hybrid store. Also WP-CLI's memory relief between
	 * actions (set_free_ticks / set_sleep_time, on action_scheduler/progress_tick).
	 */
	class ActionScheduler_DataController {

		const DATASTORE_CLASS = 'ActionScheduler_DBStore';
		const LOGGER_CLASS    = 'ActionScheduler_DBLogger';
		const STATUS_FLAG     = 'action_scheduler_migration_status';
		const STATUS_COMPLETE = 'complete';
		const MIN_PHP_VERSION = '5.5';

		private static $sleep_time = 0;

		private static $free_ticks = 50;

		public static function dependencies_met() {
			return version_compare( PHP_VERSION, self::MIN_PHP_VERSION, '>=' ) && apply_filters( 'action_scheduler_migration_dependencies_met', true );
		}

		public static function is_migration_complete() {
			return get_option( self::STATUS_FLAG ) === self::STATUS_COMPLETE;
		}

		public static function mark_migration_complete() {
			update_option( self::STATUS_FLAG, self::STATUS_COMPLETE );
		}

		/** On deactivate_plugin (see init()): a site that ran 2.x under another plugin must migrate again. */
		public static function mark_migration_incomplete() {
			delete_option( self::STATUS_FLAG );
		}

		public static function set_store_class( $class ) {
			return self::DATASTORE_CLASS;
		}

		public static function set_logger_class( $class ) {
			return self::LOGGER_CLASS;
		}

		public static function set_sleep_time( $sleep_time ) {
			self::$sleep_time = (int) $sleep_time;
		}

		public static function set_free_ticks( $free_ticks ) {
			self::$free_ticks = (int) $free_ticks;
		}

		public static function maybe_free_memory( $ticks ) {
			if ( self::$free_ticks && 0 === $ticks % self::$free_ticks ) {
				self::free_memory();
			}
		}

		/** Clears the query log and the object cache's local copies (WP-CLI runs only). */
		public static function free_memory() {
			global $wpdb, $wp_object_cache;
			if ( 0 < self::$sleep_time ) {
				/* translators: %d: amount of time */
				\WP_CLI::warning( sprintf( _n( 'Stopped the insanity for %d second', 'Stopped the insanity for %d seconds', self::$sleep_time, 'action-scheduler' ), self::$sleep_time ) );
				sleep( self::$sleep_time );
			}
			\WP_CLI::warning( __( 'Attempting to reduce used memory...', 'action-scheduler' ) );
			$wpdb->queries = array();
			if ( is_a( $wp_object_cache, 'WP_Object_Cache' ) ) {
				foreach ( array( 'group_ops', 'stats', 'memcache_debug', 'cache' ) as $property ) {
					if ( property_exists( $wp_object_cache, $property ) ) {
						$wp_object_cache->$property = array();
					}
				}
			}
		}

		public static function init() {
			if ( self::is_migration_complete() ) {
				add_filter( 'action_scheduler_store_class', array( 'ActionScheduler_DataController', 'set_store_class' ), 100 );
				add_filter( 'action_scheduler_logger_class', array( 'ActionScheduler_DataController', 'set_logger_class' ), 100 );
				add_action( 'deactivate_plugin', array( 'ActionScheduler_DataController', 'mark_migration_incomplete' ) );
			} elseif ( self::dependencies_met() ) {
				Action_Scheduler\Migration\Controller::init();
			}
			add_action( 'action_scheduler/progress_tick', array( 'ActionScheduler_DataController', 'maybe_free_memory' ) );
		}
	}
}
