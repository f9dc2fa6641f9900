<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * The public as_*() API. Every scheduling function returns an action id, or 0 (never throws for a storage
 * error) when storing failed, a unique action was refused, or its pre_as_* filter returned a non-null value
 * that is not an int.
 */

function as_enqueue_async_action( $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	if ( ! ActionScheduler::is_initialized( __FUNCTION__ ) ) {
		return 0;
	}
	$pre = apply_filters( 'pre_as_enqueue_async_action', null, $hook, $args, $group, $priority, $unique );
	if ( null !== $pre ) {
		return is_int( $pre ) ? $pre : 0;
	}
	return ActionScheduler::factory()->create(
		array(
			'type'      => 'async',
			'hook'      => $hook,
			'arguments' => $args,
			'group'     => $group,
			'unique'    => $unique,
			'priority'  => $priority,
		)
	);
}

function as_schedule_single_action( $timestamp, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	if ( ! ActionScheduler::is_initialized( __FUNCTION__ ) ) {
		return 0;
	}
	$pre = apply_filters( 'pre_as_schedule_single_action', null, $timestamp, $hook, $args, $group, $priority, $unique );
	if ( null !== $pre ) {
		return is_int( $pre ) ? $pre : 0;
	}
	return ActionScheduler::factory()->create(
		array(
			'type'      => 'single',
			'hook'      => $hook,
			'arguments' => $args,
			'when'      => $timestamp,
			'group'     => $group,
			'unique'    => $unique,
			'priority'  => $priority,
		)
	);
}

function as_schedule_recurring_action( $timestamp, $interval_in_seconds, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	if ( ! ActionScheduler::is_initialized( __FUNCTION__ ) ) {
		return 0;
	}
	if ( ! is_numeric( $interval_in_seconds ) || (int) $interval_in_seconds != $interval_in_seconds ) { // phpcs:ignore Universal.Operators.StrictComparisons
		/* translators: 1: provided value 2: provided type. */
		_doing_it_wrong( __FUNCTION__, esc_html( sprintf( __( 'An integer was expected but "%1$s" (%2$s) was received.', 'action-scheduler' ), $interval_in_seconds, gettype( $interval_in_seconds ) ) ), '3.6.0' );
		return 0;
	}
	$pre = apply_filters( 'pre_as_schedule_recurring_action', null, $timestamp, $interval_in_seconds, $hook, $args, $group, $priority, $unique );
	if ( null !== $pre ) {
		return is_int( $pre ) ? $pre : 0;
	}
	return ActionScheduler::factory()->create(
		array(
			'type'      => 'recurring',
			'hook'      => $hook,
			'arguments' => $args,
			'when'      => $timestamp,
			'pattern'   => $interval_in_seconds,
			'group'     => $group,
			'unique'    => $unique,
			'priority'  => $priority,
		)
	);
}

/** Cron expressions are not reproduced by the stand-in: refused with 0. */
function as_schedule_cron_action( $timestamp, $schedule, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	_doing_it_wrong( __FUNCTION__, 'The test-only Action Scheduler stand-in does not reproduce cron schedules.', '3.9.3' );
	return 0;
}

/** Cancels the next pending match; returns its id, or null. */
function as_unschedule_action( $hook, $args = array(), $group = '' ) {
	if ( ! ActionScheduler::is_initialized( __FUNCTION__ ) ) {
		return 0;
	}
	$query = array(
		'hook'    => $hook,
		'status'  => ActionScheduler_Store::STATUS_PENDING,
		'orderby' => 'date',
		'order'   => 'ASC',
		'group'   => $group,
	);
	if ( is_array( $args ) ) {
		$query['args'] = $args;
	}
	$action_id = ActionScheduler::store()->query_action( $query );
	if ( $action_id ) {
		try {
			ActionScheduler::store()->cancel_action( $action_id );
		} catch ( Exception $e ) {
			/* translators: %1$s is the name of the hook to be cancelled, %2$s is the exception message. */
			ActionScheduler::logger()->log( $action_id, sprintf( __( 'Caught exception while cancelling action "%1$s": %2$s', 'action-scheduler' ), $hook, $e->getMessage() ) );
			$action_id = null;
		}
	}
	return $action_id;
}

function as_unschedule_all_actions( $hook, $args = array(), $group = '' ) {
	if ( ! ActionScheduler::is_initialized( __FUNCTION__ ) ) {
		return;
	}
	if ( empty( $args ) ) {
		if ( ! empty( $hook ) && empty( $group ) ) {
			ActionScheduler_Store::instance()->cancel_actions_by_hook( $hook );
			return;
		}
		if ( ! empty( $group ) && empty( $hook ) ) {
			ActionScheduler_Store::instance()->cancel_actions_by_group( $group );
			return;
		}
	}
	do {
		$canceled = as_unschedule_action( $hook, $args, $group );
	} while ( ! empty( $canceled ) );
}

/** true while a match is in progress (or an async one is pending), the next pending timestamp, else false. */
function as_next_scheduled_action( $hook, $args = null, $group = '' ) {
	if ( ! ActionScheduler::is_initialized( __FUNCTION__ ) ) {
		return false;
	}
	$query = array(
		'hook'    => $hook,
		'orderby' => 'date',
		'order'   => 'ASC',
		'group'   => $group,
		'status'  => ActionScheduler_Store::STATUS_RUNNING,
	);
	if ( is_array( $args ) ) {
		$query['args'] = $args;
	}
	if ( ActionScheduler::store()->query_action( $query ) ) {
		return true;
	}
	$query['status'] = ActionScheduler_Store::STATUS_PENDING;
	$action_id       = ActionScheduler::store()->query_action( $query );
	if ( null === $action_id ) {
		return false;
	}
	$date = ActionScheduler::store()->fetch_action( $action_id )->get_schedule()->get_date();
	if ( $date ) {
		return (int) $date->format( 'U' );
	}
	return null === $date;
}

function as_has_scheduled_action( $hook, $args = null, $group = '' ) {
	if ( ! ActionScheduler::is_initialized( __FUNCTION__ ) ) {
		return false;
	}
	$query = array(
		'hook'    => $hook,
		'status'  => array( ActionScheduler_Store::STATUS_RUNNING, ActionScheduler_Store::STATUS_PENDING ),
		'group'   => $group,
		'orderby' => 'none',
	);
	if ( null !== $args ) {
		$query['args'] = $args;
	}
	return null !== ActionScheduler::store()->query_action( $query );
}

/** Actions matching a store query: id => action (OBJECT), id => properties (ARRAY_A), or ids ('ids'). */
function as_get_scheduled_actions( $args = array(), $return_format = OBJECT ) {
	if ( ! ActionScheduler::is_initialized( __FUNCTION__ ) ) {
		return array();
	}
	$store = ActionScheduler::store();
	foreach ( array( 'date', 'modified' ) as $key ) {
		if ( isset( $args[ $key ] ) ) {
			$args[ $key ] = as_get_datetime_object( $args[ $key ] );
		}
	}
	$ids = $store->query_actions( $args );
	if ( 'ids' === $return_format || 'int' === $return_format ) {
		return $ids;
	}
	$actions = array();
	foreach ( $ids as $action_id ) {
		$actions[ $action_id ] = $store->fetch_action( $action_id );
	}
	if ( ARRAY_A === $return_format ) {
		$actions = array_map( 'get_object_vars', $actions );
	}
	return $actions;
}

/** A UTC ActionScheduler_DateTime from null (now), a timestamp, a date string or a DateTime. */
function as_get_datetime_object( $date_string = null, $timezone = 'UTC' ) {
	$zone = new DateTimeZone( $timezone );
	if ( $date_string instanceof DateTime ) {
		return new ActionScheduler_DateTime( $date_string->format( 'Y-m-d H:i:s' ), $zone );
	}
	if ( is_numeric( $date_string ) ) {
		return new ActionScheduler_DateTime( '@' . $date_string, $zone );
	}
	return new ActionScheduler_DateTime( null === $date_string ? 'now' : $date_string, $zone );
}

function as_supports( string $feature ): bool {
	return 'ensure_recurring_actions_hook' === $feature;
}
