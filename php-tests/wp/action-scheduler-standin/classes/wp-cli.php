<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped. Loaded only under WP-CLI.
 *
 * The WP-CLI runner of 3.9.3, the usual production runner where DISABLE_WP_CRON is set and system cron runs
 * `wp action-scheduler run`: ActionScheduler_WPCLI_Scheduler_command::run() builds an
 * ActionScheduler_WPCLI_QueueRunner and loops `setup()` / `run()`. setup() runs the cleaner and stakes the
 * claim; run() fires action_scheduler_before_process_queue, processes the claimed actions (it stops when the
 * claim was lost), releases the claim and fires action_scheduler_after_process_queue. When setup() claims
 * nothing, run() is never called, so neither hook fires on such a pass. `wp action-scheduler action run <id>...`
 * (Action_Scheduler\WP_CLI\Action\Run_Command) calls process_action() directly, with no claim, in the context
 * "Action Scheduler CLI", and counts executed, ignored, failed and invalid actions.
 * Not reproduced: the other `action` subcommands (cancel, create, delete, generate, get, list, logs, next),
 * `clean`, `fix-schema`, `system` and `migrate`.
 */

namespace Action_Scheduler\WP_CLI {

	/** WP-CLI's progress bar, which also fires action_scheduler/progress_tick on every tick (memory relief). */
	class ProgressBar {

		protected $total_ticks = 0;
		protected $count;
		protected $interval;
		protected $message;
		protected $progress_bar;

		public function __construct( $message, $count, $interval = 100 ) {
			if ( ! ( defined( 'WP_CLI' ) && WP_CLI ) ) {
				/* translators: %s php class name */
				throw new \Exception( sprintf( __( 'The %s class can only be run within WP CLI.', 'action-scheduler' ), __CLASS__ ) );
			}
			$this->message  = $message;
			$this->count    = $count;
			$this->interval = $interval;
		}

		public function tick() {
			if ( null === $this->progress_bar ) {
				$this->progress_bar = \WP_CLI\Utils\make_progress_bar( $this->message, $this->count, $this->interval );
			}
			$this->progress_bar->tick();
			++$this->total_ticks;
			do_action( 'action_scheduler/progress_tick', $this->total_ticks ); // phpcs:ignore WordPress.NamingConventions.ValidHookName.UseUnderscores
		}

		public function current() {
			return $this->progress_bar ? $this->progress_bar->current() : 0;
		}

		public function finish() {
			if ( null !== $this->progress_bar ) {
				$this->progress_bar->finish();
			}
			$this->progress_bar = null;
		}
	}

	/** `wp action-scheduler action ...`: only `run` is reproduced. */
	class Action_Command extends \WP_CLI_Command {

		/**
		 * Run existing scheduled action(s).
		 *
		 * ## OPTIONS
		 *
		 * <id>...
		 * : One or more IDs of actions to run.
		 * ---
		 * default: 0
		 * ---
		 *
		 * @param array $args       Positional arguments.
		 * @param array $assoc_args Keyed arguments.
		 */
		public function run( array $args, array $assoc_args ) {
			( new Action\Run_Command( $args, $assoc_args ) )->execute();
		}
	}
}

namespace Action_Scheduler\WP_CLI\Action {

	/** process_action() for each id, with no claim; then a warning per kind of outcome and the success line. */
	class Run_Command extends \ActionScheduler_WPCLI_Command {

		protected $action_ids = array();

		protected $action_counts = array(
			'executed' => 0,
			'failed'   => 0,
			'ignored'  => 0,
			'invalid'  => 0,
			'total'    => 0,
		);

		public function __construct( array $args, array $assoc_args ) {
			parent::__construct( $args, $assoc_args );
			$this->action_ids             = array_map( 'absint', $args );
			$this->action_counts['total'] = count( $this->action_ids );
			add_action( 'action_scheduler_execution_ignored', array( $this, 'on_action_ignored' ) );
			add_action( 'action_scheduler_after_execute', array( $this, 'on_action_executed' ) );
			add_action( 'action_scheduler_failed_execution', array( $this, 'on_action_failed' ), 10, 2 );
			add_action( 'action_scheduler_failed_validation', array( $this, 'on_action_invalid' ), 10, 2 );
		}

		public function execute() {
			$runner = \ActionScheduler::runner();
			/* translators: %d: number of actions */
			$progress_bar = \WP_CLI\Utils\make_progress_bar( sprintf( _n( 'Executing %d action', 'Executing %d actions', $this->action_counts['total'], 'action-scheduler' ), number_format_i18n( $this->action_counts['total'] ) ), $this->action_counts['total'] );
			foreach ( $this->action_ids as $action_id ) {
				$runner->process_action( $action_id, 'Action Scheduler CLI' );
				$progress_bar->tick();
			}
			$progress_bar->finish();
			foreach ( array( 'ignored', 'invalid', 'failed' ) as $type ) {
				$count = $this->action_counts[ $type ];
				if ( ! empty( $count ) ) {
					/* translators: %1$d: count of actions evaluated. %2$s: type of action evaluated. */
					\WP_CLI::warning( sprintf( _n( '%1$d action %2$s.', '%1$d actions %2$s.', $count, 'action-scheduler' ), number_format_i18n( $count ), $type ) );
				}
			}
			/* translators: %d: number of executed actions */
			\WP_CLI::success( sprintf( _n( 'Executed %d action.', 'Executed %d actions.', $this->action_counts['executed'], 'action-scheduler' ), number_format_i18n( $this->action_counts['executed'] ) ) );
		}

		private function count_if_mine( $hook, $type, $action_id ) {
			if ( current_action() === $hook && in_array( absint( $action_id ), $this->action_ids, true ) ) {
				++$this->action_counts[ $type ];
			}
		}

		public function on_action_ignored( $action_id ) {
			$this->count_if_mine( 'action_scheduler_execution_ignored', 'ignored', $action_id );
		}

		public function on_action_executed( $action_id ) {
			$this->count_if_mine( 'action_scheduler_after_execute', 'executed', $action_id );
		}

		public function on_action_failed( $action_id, \Exception $e ) {
			$this->count_if_mine( 'action_scheduler_failed_execution', 'failed', $action_id );
		}

		public function on_action_invalid( $action_id, \Exception $e ) {
			$this->count_if_mine( 'action_scheduler_failed_validation', 'invalid', $action_id );
		}
	}
}

namespace {

	use Action_Scheduler\WP_CLI\ProgressBar;

	abstract class ActionScheduler_WPCLI_Command extends \WP_CLI_Command {

		const DATE_FORMAT = 'Y-m-d H:i:s O';

		protected $args;

		protected $assoc_args;

		public function __construct( array $args, array $assoc_args ) {
			if ( ! defined( 'WP_CLI' ) || ! constant( 'WP_CLI' ) ) {
				/* translators: %s php class name */
				throw new \Exception( sprintf( __( 'The %s class can only be run within WP CLI.', 'action-scheduler' ), get_class( $this ) ) );
			}
			$this->args       = $args;
			$this->assoc_args = $assoc_args;
		}

		abstract public function execute();
	}

	class ActionScheduler_WPCLI_QueueRunner extends ActionScheduler_Abstract_QueueRunner {

		/** @var int[] */
		protected $actions = array();

		/** @var ActionScheduler_ActionClaim */
		protected $claim;

		/** @var ProgressBar */
		protected $progress_bar;

		public function __construct( ?ActionScheduler_Store $store = null, ?ActionScheduler_FatalErrorMonitor $monitor = null, ?ActionScheduler_QueueCleaner $cleaner = null ) {
			if ( ! ( defined( 'WP_CLI' ) && WP_CLI ) ) {
				/* translators: %s php class name */
				throw new Exception( sprintf( __( 'The %s class can only be run within WP CLI.', 'action-scheduler' ), __CLASS__ ) );
			}
			parent::__construct( $store, $monitor, $cleaner );
		}

		/**
		 * The cleaner, then the claim: no hook of the queue run fires here.
		 *
		 * @return int how many actions were claimed
		 * @throws \WP_CLI\ExitException When there are too many concurrent batches and $force is not set.
		 */
		public function setup( $batch_size, $hooks = array(), $group = '', $force = false ) {
			$this->run_cleanup();
			$this->add_hooks();
			if ( $this->has_maximum_concurrent_batches() ) {
				if ( $force ) {
					WP_CLI::warning( __( 'There are too many concurrent batches, but the run is forced to continue.', 'action-scheduler' ) );
				} else {
					WP_CLI::error( __( 'There are too many concurrent batches.', 'action-scheduler' ) );
				}
			}
			$this->claim = $this->store->stake_claim( $batch_size, null, $hooks, $group );
			$this->monitor->attach( $this->claim );
			$this->actions = $this->claim->get_actions();
			return count( $this->actions );
		}

		protected function add_hooks() {
			add_action( 'action_scheduler_before_execute', array( $this, 'before_execute' ) );
			add_action( 'action_scheduler_after_execute', array( $this, 'after_execute' ), 10, 2 );
			add_action( 'action_scheduler_failed_execution', array( $this, 'action_failed' ), 10, 2 );
		}

		/** @return int actions processed */
		public function run( $context = 'WP CLI' ) {
			do_action( 'action_scheduler_before_process_queue' );
			$count = count( $this->actions );
			/* translators: %d: amount of actions */
			$this->progress_bar = new ProgressBar( sprintf( _n( 'Running %d action', 'Running %d actions', $count, 'action-scheduler' ), $count ), $count );
			foreach ( $this->actions as $action_id ) {
				if ( ! in_array( $action_id, $this->store->find_actions_by_claim_id( $this->claim->get_id() ), true ) ) {
					WP_CLI::warning( __( 'The claim has been lost. Aborting current batch.', 'action-scheduler' ) );
					break;
				}
				$this->process_action( $action_id, $context );
				$this->progress_bar->tick();
			}
			$completed = $this->progress_bar->current();
			$this->progress_bar->finish();
			$this->store->release_claim( $this->claim );
			do_action( 'action_scheduler_after_process_queue' );
			return $completed;
		}

		public function before_execute( $action_id ) {
			/* translators: %s refers to the action ID */
			WP_CLI::log( sprintf( __( 'Started processing action %s', 'action-scheduler' ), $action_id ) );
		}

		public function after_execute( $action_id, $action = null ) {
			if ( null === $action ) {
				$action = $this->store->fetch_action( $action_id );
			}
			/* translators: 1: action ID 2: hook name */
			WP_CLI::log( sprintf( __( 'Completed processing action %1$s with hook: %2$s', 'action-scheduler' ), $action_id, $action->get_hook() ) );
		}

		/** @throws \WP_CLI\ExitException Never: the error is printed without exiting. */
		public function action_failed( $action_id, $exception ) {
			/* translators: 1: action ID 2: exception message */
			WP_CLI::error( sprintf( __( 'Error processing action %1$s: %2$s', 'action-scheduler' ), $action_id, $exception->getMessage() ), false );
		}
	}

	/** `wp action-scheduler run`. */
	class ActionScheduler_WPCLI_Scheduler_command extends WP_CLI_Command {

		/**
		 * Run the Action Scheduler
		 *
		 * ## OPTIONS
		 *
		 * [--batch-size=<size>]
		 * : The maximum number of actions to run. Defaults to 100.
		 *
		 * [--batches=<size>]
		 * : Limit execution to a number of batches. Defaults to 0, meaning batches will continue being executed until all actions are complete.
		 *
		 * [--cleanup-batch-size=<size>]
		 * : The maximum number of actions to clean up. Defaults to the value of --batch-size.
		 *
		 * [--hooks=<hooks>]
		 * : Only run actions with the specified hook. Omitting this option runs actions with any hook. Define multiple hooks as a comma separated string (without spaces), e.g. `--hooks=hook_one,hook_two,hook_three`
		 *
		 * [--group=<group>]
		 * : Only run actions from the specified group. Omitting this option runs actions from all groups.
		 *
		 * [--exclude-groups=<groups>]
		 * : Run actions from all groups except the specified group(s). Define multiple groups as a comma separated string (without spaces), e.g. '--group_a,group_b'. This option is ignored when `--group` is used.
		 *
		 * [--free-memory-on=<count>]
		 * : The number of actions to process between freeing memory. 0 disables freeing memory. Default 50.
		 *
		 * [--pause=<seconds>]
		 * : The number of seconds to pause when freeing memory. Default no pause.
		 *
		 * [--force]
		 * : Whether to force execution despite the maximum number of concurrent processes being exceeded.
		 *
		 * @param array $args       Positional arguments.
		 * @param array $assoc_args Keyed arguments.
		 * @throws \WP_CLI\ExitException When an error occurs.
		 *
		 * @subcommand run
		 */
		public function run( $args, $assoc_args ) {
			$batch          = absint( \WP_CLI\Utils\get_flag_value( $assoc_args, 'batch-size', 100 ) );
			$batches        = absint( \WP_CLI\Utils\get_flag_value( $assoc_args, 'batches', 0 ) );
			$clean          = absint( \WP_CLI\Utils\get_flag_value( $assoc_args, 'cleanup-batch-size', $batch ) );
			$hooks          = array_filter( array_map( 'trim', explode( ',', \WP_CLI\Utils\get_flag_value( $assoc_args, 'hooks', '' ) ) ) );
			$group          = \WP_CLI\Utils\get_flag_value( $assoc_args, 'group', '' );
			$exclude_groups = \WP_CLI\Utils\get_flag_value( $assoc_args, 'exclude-groups', '' );
			$force          = \WP_CLI\Utils\get_flag_value( $assoc_args, 'force', false );

			ActionScheduler_DataController::set_free_ticks( \WP_CLI\Utils\get_flag_value( $assoc_args, 'free-memory-on', 50 ) );
			ActionScheduler_DataController::set_sleep_time( \WP_CLI\Utils\get_flag_value( $assoc_args, 'pause', 0 ) );

			$batches_completed = 0;
			$actions_completed = 0;
			$unlimited         = 0 === $batches;
			if ( is_callable( array( ActionScheduler::store(), 'set_claim_filter' ) ) ) {
				$exclude_groups = array_filter( str_getcsv( $exclude_groups ) );
				if ( ! empty( $exclude_groups ) ) {
					ActionScheduler::store()->set_claim_filter( 'exclude-groups', $exclude_groups );
				}
			}
			try {
				$runner = new ActionScheduler_WPCLI_QueueRunner( null, null, new ActionScheduler_QueueCleaner( null, $clean ) );
				$total  = $runner->setup( $batch, $hooks, $group, $force );
				while ( $total > 0 ) {
					/* translators: %d refers to how many scheduled tasks were found to run */
					WP_CLI::log( sprintf( _n( 'Found %d scheduled task', 'Found %d scheduled tasks', $total, 'action-scheduler' ), $total ) );
					$actions_completed += $runner->run();
					++$batches_completed;
					$total = ( $unlimited || $batches_completed < $batches ) ? $runner->setup( $batch, $hooks, $group, $force ) : 0;
				}
			} catch ( Exception $e ) {
				/* translators: %s refers to the exception error message */
				WP_CLI::error( sprintf( __( 'There was an error running the action scheduler: %s', 'action-scheduler' ), $e->getMessage() ) );
			}
			/* translators: %d refers to the total number of batches executed */
			WP_CLI::log( sprintf( _n( '%d batch executed.', '%d batches executed.', $batches_completed, 'action-scheduler' ), $batches_completed ) );
			/* translators: %d refers to the total number of tasks completed */
			WP_CLI::success( sprintf( _n( '%d scheduled task completed.', '%d scheduled tasks completed.', $actions_completed, 'action-scheduler' ), $actions_completed ) );
		}
	}
}
