<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * Action value objects: pending (runnable), finished (complete/failed/in-progress) and canceled, plus the null
 * action returned for a missing or unreadable row.
 */

class ActionScheduler_Action {

	protected $hook = '';

	protected $args = array();

	/** @var ActionScheduler_Schedule */
	protected $schedule = null;

	protected $group = '';

	protected $priority = 10;

	public function __construct( $hook, array $args = array(), ?ActionScheduler_Schedule $schedule = null, $group = '' ) {
		$this->set_hook( $hook );
		$this->set_schedule( $schedule ?? new ActionScheduler_NullSchedule() );
		$this->set_args( $args );
		$this->set_group( $group );
	}

	/**
	 * Runs the hook with the stored args as positional parameters (array_values: keys are dropped).
	 *
	 * @throws Exception When nothing listens to the hook.
	 */
	public function execute() {
		$hook = $this->get_hook();
		if ( ! has_action( $hook ) ) {
			/* translators: 1: action hook. */
			throw new Exception( sprintf( __( 'Scheduled action for %1$s will not be executed as no callbacks are registered.', 'action-scheduler' ), $hook ) );
		}
		do_action_ref_array( $hook, array_values( $this->get_args() ) );
	}

	protected function set_hook( $hook ) {
		$this->hook = $hook;
	}

	public function get_hook() {
		return $this->hook;
	}

	protected function set_schedule( ActionScheduler_Schedule $schedule ) {
		$this->schedule = $schedule;
	}

	public function get_schedule() {
		return $this->schedule;
	}

	protected function set_args( array $args ) {
		$this->args = $args;
	}

	public function get_args() {
		return $this->args;
	}

	protected function set_group( $group ) {
		$this->group = $group;
	}

	public function get_group() {
		return $this->group;
	}

	public function is_finished() {
		return false;
	}

	/** Clamped to 0..255 (the column is an unsigned tinyint). */
	public function set_priority( $priority ) {
		$this->priority = (int) max( 0, min( 255, $priority ) );
	}

	public function get_priority() {
		return $this->priority;
	}
}

class ActionScheduler_FinishedAction extends ActionScheduler_Action {

	public function execute() {
		// A finished action does nothing.
	}

	public function is_finished() {
		return true;
	}
}

class ActionScheduler_CanceledAction extends ActionScheduler_FinishedAction {

	public function __construct( $hook, array $args = array(), ?ActionScheduler_Schedule $schedule = null, $group = '' ) {
		parent::__construct( $hook, $args, $schedule, $group );
		if ( null === $schedule ) {
			$this->set_schedule( new ActionScheduler_NullSchedule() );
		}
	}
}

class ActionScheduler_NullAction extends ActionScheduler_Action {

	public function __construct( $hook = '', array $args = array(), ?ActionScheduler_Schedule $schedule = null ) {
		$this->set_schedule( new ActionScheduler_NullSchedule() );
	}

	public function execute() {
		// Nothing to run.
	}
}
