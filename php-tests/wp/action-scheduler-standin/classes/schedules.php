<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * Schedules. The `schedule` column holds serialize() of these objects, so the property names, visibilities and
 * __sleep()/__wakeup() lists follow the real classes: a row written by the stand-in reads back under the real
 * library and the other way round.
 */

interface ActionScheduler_Schedule {
	/** @deprecated 3.0.0 (kept for callers of the old API) */
	public function next( ?DateTime $after = null );

	public function is_recurring();
}

abstract class ActionScheduler_Abstract_Schedule implements ActionScheduler_Schedule {

	/** @var DateTime|null */
	private $scheduled_date = null;

	/** @var int|null only while (un)serialising */
	protected $scheduled_timestamp = null;

	public function __construct( DateTime $date ) {
		$this->scheduled_date = $date;
	}

	abstract public function is_recurring();

	abstract protected function calculate_next( DateTime $after );

	/** The first run after $after (the scheduled date itself while it is still ahead). */
	public function get_next( DateTime $after ) {
		$after = clone $after;
		if ( $after > $this->scheduled_date ) {
			return $this->calculate_next( $after );
		}
		return clone $this->scheduled_date;
	}

	public function get_date() {
		return $this->scheduled_date;
	}

	public function next( ?DateTime $after = null ) {
		_deprecated_function( __METHOD__, '3.0.0', __CLASS__ . '::' . ( $after ? 'get_next( $after )' : 'get_date()' ) );
		return $after ? $this->get_next( $after ) : $this->get_date();
	}

	public function __sleep() {
		$this->scheduled_timestamp = $this->scheduled_date->getTimestamp();
		return array( 'scheduled_timestamp' );
	}

	public function __wakeup() {
		$this->scheduled_date = as_get_datetime_object( $this->scheduled_timestamp );
		unset( $this->scheduled_timestamp );
	}
}

class ActionScheduler_SimpleSchedule extends ActionScheduler_Abstract_Schedule {

	/** @var int|null pre-3.0 property name, kept in the serialized form */
	private $timestamp = null;

	public function calculate_next( DateTime $after ) {
		return null;
	}

	public function is_recurring() {
		return false;
	}

	public function __sleep() {
		$props           = parent::__sleep();
		$this->timestamp = $this->scheduled_timestamp;
		$props[]         = 'timestamp';
		return $props;
	}

	public function __wakeup() {
		if ( null === $this->scheduled_timestamp && null !== $this->timestamp ) {
			$this->scheduled_timestamp = $this->timestamp;
			unset( $this->timestamp );
		}
		parent::__wakeup();
	}
}

/** Async actions: no date. */
class ActionScheduler_NullSchedule extends ActionScheduler_SimpleSchedule {

	/** @var null */
	protected $scheduled_date;

	public function __construct( ?DateTime $date = null ) {
		$this->scheduled_date = null;
	}

	public function __sleep() {
		return array();
	}

	public function __wakeup() {
		$this->scheduled_date = null;
	}
}

class ActionScheduler_CanceledSchedule extends ActionScheduler_SimpleSchedule {

	/** @var int|null */
	private $timestamp = null;

	public function calculate_next( DateTime $after ) {
		return null;
	}

	public function get_next( DateTime $after ) {
		return null;
	}

	public function is_recurring() {
		return false;
	}

	public function __wakeup() {
		if ( null !== $this->timestamp ) {
			$this->scheduled_timestamp = $this->timestamp;
			unset( $this->timestamp );
		}
		parent::__wakeup();
	}
}

abstract class ActionScheduler_Abstract_RecurringSchedule extends ActionScheduler_Abstract_Schedule {

	/** @var DateTime */
	private $first_date = null;

	/** @var int|null */
	protected $first_timestamp = null;

	/** @var mixed seconds for an interval schedule */
	protected $recurrence;

	public function __construct( DateTime $date, $recurrence, ?DateTime $first = null ) {
		parent::__construct( $date );
		$this->first_date = empty( $first ) ? $date : $first;
		$this->recurrence = $recurrence;
	}

	public function is_recurring() {
		return true;
	}

	public function get_first_date() {
		return clone $this->first_date;
	}

	public function get_recurrence() {
		return $this->recurrence;
	}

	public function __sleep() {
		$props                 = parent::__sleep();
		$this->first_timestamp = $this->first_date->getTimestamp();
		return array_merge( $props, array( 'first_timestamp', 'recurrence' ) );
	}

	public function __wakeup() {
		parent::__wakeup();
		$this->first_date = ( $this->first_timestamp > 0 ) ? as_get_datetime_object( $this->first_timestamp ) : $this->get_date();
	}
}

class ActionScheduler_IntervalSchedule extends ActionScheduler_Abstract_RecurringSchedule {

	/** @var int|null pre-3.0 property names, kept in the serialized form */
	private $start_timestamp = null;

	/** @var int|null */
	private $interval_in_seconds = null;

	protected function calculate_next( DateTime $after ) {
		$after->modify( '+' . (int) $this->get_recurrence() . ' seconds' );
		return $after;
	}

	public function interval_in_seconds() {
		_deprecated_function( __METHOD__, '3.0.0', '(int)ActionScheduler_Abstract_RecurringSchedule::get_recurrence()' );
		return (int) $this->get_recurrence();
	}

	public function __sleep() {
		$props                     = parent::__sleep();
		$this->start_timestamp     = $this->scheduled_timestamp;
		$this->interval_in_seconds = $this->recurrence;
		return array_merge( $props, array( 'start_timestamp', 'interval_in_seconds' ) );
	}

	public function __wakeup() {
		if ( null === $this->scheduled_timestamp && null !== $this->start_timestamp ) {
			$this->scheduled_timestamp = $this->start_timestamp;
			unset( $this->start_timestamp );
		}
		if ( null === $this->recurrence && null !== $this->interval_in_seconds ) {
			$this->recurrence = $this->interval_in_seconds;
			unset( $this->interval_in_seconds );
		}
		parent::__wakeup();
	}
}
