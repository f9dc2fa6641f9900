<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * The data store: ActionScheduler_Store (statuses, singleton) and ActionScheduler_DBStore on the real library's
 * tables. Behaviours a gate depends on (pinned by the conformance suite) are kept exactly:
 * - args are JSON; longer than 191 bytes: md5 in `args`, full JSON in `extended_args`; longer than 8000: refused;
 * - a unique action is refused (0) while any pending or in-progress action has the same hook and group
 *   (the args are not compared);
 * - claims are atomic per row (UPDATE ... JOIN (SELECT ... FOR UPDATE [SKIP LOCKED])), in the order priority,
 *   attempts, scheduled date, id, and also stamp last_attempt;
 * - cancel_action is an unconditional UPDATE that fires action_scheduler_canceled_action even when no row changed;
 * - get_status throws InvalidArgumentException for a missing id; mark_failure / mark_complete / log_execution
 *   throw when no row changed.
 */

abstract class ActionScheduler_Store {

	const STATUS_COMPLETE = 'complete';
	const STATUS_PENDING  = 'pending';
	const STATUS_RUNNING  = 'in-progress';
	const STATUS_FAILED   = 'failed';
	const STATUS_CANCELED = 'canceled';
	const DEFAULT_CLASS   = 'ActionScheduler_DBStore';

	/** @var ActionScheduler_Store|null */
	private static $store = null;

	protected static $max_args_length = 191;

	abstract public function save_action( ActionScheduler_Action $action, ?DateTime $scheduled_date = null );

	abstract public function fetch_action( $action_id );

	abstract public function query_actions( $query = array(), $query_type = 'select' );

	abstract public function action_counts();

	abstract public function cancel_action( $action_id );

	abstract public function delete_action( $action_id );

	abstract public function get_date( $action_id );

	abstract public function stake_claim( $max_actions = 10, ?DateTime $before_date = null, $hooks = array(), $group = '' );

	abstract public function get_claim_count();

	abstract public function release_claim( ActionScheduler_ActionClaim $claim );

	abstract public function unclaim_action( $action_id );

	abstract public function mark_failure( $action_id );

	abstract public function log_execution( $action_id );

	abstract public function mark_complete( $action_id );

	abstract public function get_status( $action_id );

	abstract public function get_claim_id( $action_id );

	abstract public function find_actions_by_claim_id( $claim_id );

	public static function instance() {
		if ( null === self::$store ) {
			$class       = apply_filters( 'action_scheduler_store_class', self::DEFAULT_CLASS );
			self::$store = new $class();
		}
		return self::$store;
	}

	public function init() {
	}

	/** The next pending match (ascending date), or the latest one in another status. */
	public function find_action( $hook, $params = array() ) {
		$params = wp_parse_args(
			$params,
			array(
				'args'   => null,
				'status' => self::STATUS_PENDING,
				'group'  => '',
			)
		);
		$params['hook']     = $hook;
		$params['orderby']  = 'date';
		$params['per_page'] = 1;
		if ( ! empty( $params['status'] ) ) {
			$params['order'] = ( self::STATUS_PENDING === $params['status'] ) ? 'ASC' : 'DESC';
		}
		$ids = $this->query_actions( $params );
		return $ids ? $ids[0] : null;
	}

	public function query_action( $query ) {
		$query['per_page'] = 1;
		$query['offset']   = 0;
		$ids               = $this->query_actions( $query );
		return $ids ? (int) $ids[0] : null;
	}

	public function has_pending_actions_due() {
		$count = $this->query_actions(
			array(
				'per_page' => 1,
				'date'     => as_get_datetime_object(),
				'status'   => self::STATUS_PENDING,
				'orderby'  => 'none',
			),
			'count'
		);
		return ! empty( $count );
	}

	public function get_status_labels() {
		return array(
			self::STATUS_COMPLETE => __( 'Complete', 'action-scheduler' ),
			self::STATUS_PENDING  => __( 'Pending', 'action-scheduler' ),
			self::STATUS_RUNNING  => __( 'In-progress', 'action-scheduler' ),
			self::STATUS_FAILED   => __( 'Failed', 'action-scheduler' ),
			self::STATUS_CANCELED => __( 'Canceled', 'action-scheduler' ),
		);
	}

	public function mark_migrated( $action_id ) {
	}

	protected function validate_sql_comparator( $operator ) {
		return in_array( $operator, array( '!=', '>', '>=', '<', '<=', '=' ), true ) ? $operator : '=';
	}

	/** The action's scheduled date (or now, for an async action) as a UTC string. */
	protected function get_scheduled_date_string( ActionScheduler_Action $action, ?DateTime $scheduled_date = null ) {
		$next = $scheduled_date ?? $action->get_schedule()->get_date();
		$next = $next ? $next : date_create();
		$next->setTimezone( new DateTimeZone( 'UTC' ) );
		return $next->format( 'Y-m-d H:i:s' );
	}

	protected function get_scheduled_date_string_local( ActionScheduler_Action $action, ?DateTime $scheduled_date = null ) {
		$next = $scheduled_date ?? $action->get_schedule()->get_date();
		$next = $next ? $next : date_create();
		ActionScheduler_TimezoneHelper::set_local_timezone( $next );
		return $next->format( 'Y-m-d H:i:s' );
	}

	protected function validate_args( $args, $action_id ) {
		if ( ! is_array( $args ) ) {
			throw ActionScheduler_InvalidActionException::from_decoding_args( $action_id );
		}
		if ( JSON_ERROR_NONE !== json_last_error() ) {
			throw ActionScheduler_InvalidActionException::from_decoding_args( $action_id, $args );
		}
	}

	protected function validate_schedule( $schedule, $action_id ) {
		if ( empty( $schedule ) || ! $schedule instanceof ActionScheduler_Schedule ) {
			throw ActionScheduler_InvalidActionException::from_schedule( $action_id, $schedule );
		}
	}

	protected function validate_action( ActionScheduler_Action $action ) {
		if ( strlen( wp_json_encode( $action->get_args() ) ) > static::$max_args_length ) {
			/* translators: %d: maximum length */
			throw new InvalidArgumentException( sprintf( __( 'ActionScheduler_Action::$args too long. To ensure the args column can be indexed, action args should not be more than %d characters when encoded as JSON.', 'action-scheduler' ), static::$max_args_length ) );
		}
	}
}

class ActionScheduler_DBStore extends ActionScheduler_Store {

	protected static $max_args_length = 8000;

	protected static $max_index_length = 191;

	/** @var DateTime|null the cut-off of the claim being staked */
	private $claim_before_date = null;

	/** Claim filters that last for this store's life (`wp action-scheduler run --exclude-groups` sets one). */
	protected $claim_filters = array(
		'group'          => '',
		'hooks'          => '',
		'exclude-groups' => '',
	);

	public function set_claim_filter( $filter_name, $filter_values ) {
		if ( isset( $this->claim_filters[ $filter_name ] ) ) {
			$this->claim_filters[ $filter_name ] = $filter_values;
		}
	}

	public function get_claim_filter( $filter_name ) {
		return $this->claim_filters[ $filter_name ] ?? '';
	}

	public function init() {
		$schema = new ActionScheduler_StoreSchema();
		$schema->init();
		$schema->register_tables();
	}

	public function save_action( ActionScheduler_Action $action, ?DateTime $scheduled_date = null ) {
		return $this->insert_action( $action, $scheduled_date, false );
	}

	public function save_unique_action( ActionScheduler_Action $action, ?DateTime $scheduled_date = null ) {
		return $this->insert_action( $action, $scheduled_date, true );
	}

	/**
	 * One INSERT ... SELECT; for a unique action the SELECT yields no row while a pending or in-progress action
	 * with the same hook and group exists, and 0 is returned.
	 *
	 * @throws RuntimeException On a database error or args that are too long.
	 */
	private function insert_action( ActionScheduler_Action $action, ?DateTime $date, $unique ) {
		global $wpdb;
		try {
			$this->validate_action( $action );
			$json = wp_json_encode( $action->get_args() );
			$row  = array(
				'hook'                 => $action->get_hook(),
				'status'               => $action->is_finished() ? self::STATUS_COMPLETE : self::STATUS_PENDING,
				'scheduled_date_gmt'   => $this->get_scheduled_date_string( $action, $date ),
				'scheduled_date_local' => $this->get_scheduled_date_string_local( $action, $date ),
				'schedule'             => serialize( $action->get_schedule() ), // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions
				'group_id'             => (int) current( $this->get_group_ids( $action->get_group() ) ),
				'priority'             => $action->get_priority(),
				'args'                 => strlen( $json ) <= static::$max_index_length ? $json : $this->hash_args( $json ),
			);
			if ( strlen( $json ) > static::$max_index_length ) {
				$row['extended_args'] = $json;
			}
			$columns = '`' . implode( '`, `', array_keys( $row ) ) . '`';
			$marks   = implode( ', ', array_map( static fn( $v ) => is_int( $v ) ? '%d' : '%s', $row ) );
			$values  = array_values( $row );
			$guard   = '';
			if ( $unique ) {
				$guard    = " WHERE NOT EXISTS ( SELECT 1 FROM {$wpdb->actionscheduler_actions} WHERE status IN ( %s, %s ) AND hook = %s AND group_id = %d )";
				$values[] = self::STATUS_PENDING;
				$values[] = self::STATUS_RUNNING;
				$values[] = $row['hook'];
				$values[] = $row['group_id'];
			}
			// phpcs:ignore WordPress.DB.PreparedSQL
			$wpdb->query( $wpdb->prepare( "INSERT INTO {$wpdb->actionscheduler_actions} ( {$columns} ) SELECT {$marks} FROM DUAL{$guard}", $values ) );
			$action_id = (int) $wpdb->insert_id;
			if ( 0 === $action_id || ( $unique && 0 === (int) $wpdb->rows_affected ) ) {
				if ( $unique && '' === $wpdb->last_error ) {
					return 0;
				}
				throw new RuntimeException( $wpdb->last_error ? $wpdb->last_error : __( 'Database error.', 'action-scheduler' ) );
			}
			do_action( 'action_scheduler_stored_action', $action_id );
			return $action_id;
		} catch ( Exception $e ) {
			/* translators: %s: error message */
			throw new RuntimeException( sprintf( __( 'Error saving action: %s', 'action-scheduler' ), $e->getMessage() ), 0 );
		}
	}

	protected function hash_args( $args ) {
		return md5( $args );
	}

	/** The value the `args` column holds for these args (JSON, or its md5 past 191 bytes). */
	protected function get_args_for_query( $args ) {
		$json = wp_json_encode( $args );
		return strlen( $json ) <= static::$max_index_length ? $json : $this->hash_args( $json );
	}

	/** Group ids by slug; the empty slug is a group like any other (created on first use). */
	protected function get_group_ids( $slugs, $create_if_not_exists = true ) {
		global $wpdb;
		$ids = array();
		foreach ( (array) $slugs as $slug ) {
			$id = (int) $wpdb->get_var( $wpdb->prepare( "SELECT group_id FROM {$wpdb->actionscheduler_groups} WHERE slug = %s", $slug ) );
			if ( ! $id && $create_if_not_exists ) {
				$wpdb->insert( $wpdb->actionscheduler_groups, array( 'slug' => $slug ) );
				$id = (int) $wpdb->insert_id;
			}
			if ( $id ) {
				$ids[] = $id;
			}
		}
		return $ids;
	}

	public function fetch_action( $action_id ) {
		global $wpdb;
		$row = $wpdb->get_row(
			$wpdb->prepare(
				"SELECT a.*, g.slug AS `group` FROM {$wpdb->actionscheduler_actions} a LEFT JOIN {$wpdb->actionscheduler_groups} g ON a.group_id = g.group_id WHERE a.action_id = %d",
				$action_id
			)
		);
		if ( empty( $row ) ) {
			return new ActionScheduler_NullAction();
		}
		if ( ! empty( $row->extended_args ) ) {
			$row->args = $row->extended_args;
		}
		try {
			$args     = json_decode( (string) $row->args, true );
			$schedule = unserialize( (string) $row->schedule ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions
			$this->validate_args( $args, $row->action_id );
			$this->validate_schedule( $schedule, $row->action_id );
			return ActionScheduler::factory()->get_stored_action( $row->status, $row->hook, $args, $schedule, $row->group ? $row->group : '', $row->priority );
		} catch ( ActionScheduler_InvalidActionException $e ) {
			do_action( 'action_scheduler_failed_fetch_action', $action_id, $e );
			return new ActionScheduler_NullAction();
		}
	}

	/**
	 * Ids (or a count) of actions matching: hook, args (+ partial_args_matching off|like|json), date(+_compare),
	 * modified(+_compare), group, status (string or list), claimed (bool or claim id), search, per_page, offset,
	 * orderby (date|hook|group|modified|action_id|none), order.
	 */
	public function query_actions( $query = array(), $query_type = 'select' ) {
		global $wpdb;
		if ( ! in_array( $query_type, array( 'select', 'count' ), true ) ) {
			throw new InvalidArgumentException( __( 'Invalid value for select or count parameter. Cannot query actions.', 'action-scheduler' ) );
		}
		$q = wp_parse_args(
			$query,
			array(
				'hook'                  => '',
				'args'                  => null,
				'partial_args_matching' => 'off',
				'date'                  => null,
				'date_compare'          => '<=',
				'modified'              => null,
				'modified_compare'      => '<=',
				'group'                 => '',
				'status'                => '',
				'claimed'               => null,
				'per_page'              => 5,
				'offset'                => 0,
				'orderby'               => 'date',
				'order'                 => 'ASC',
			)
		);

		$sql    = ( 'count' === $query_type ? 'SELECT count(a.action_id)' : 'SELECT a.action_id' ) . " FROM {$wpdb->actionscheduler_actions} a";
		$params = array();
		if ( ! empty( $q['group'] ) || 'group' === $q['orderby'] ) {
			$sql .= " LEFT JOIN {$wpdb->actionscheduler_groups} g ON g.group_id = a.group_id";
		}
		$sql .= ' WHERE 1=1';
		if ( ! empty( $q['group'] ) ) {
			$sql     .= ' AND g.slug = %s';
			$params[] = $q['group'];
		}
		if ( ! empty( $q['hook'] ) ) {
			$sql     .= ' AND a.hook = %s';
			$params[] = $q['hook'];
		}
		if ( null !== $q['args'] ) {
			switch ( $q['partial_args_matching'] ) {
				case 'off':
					$sql     .= ' AND a.args = %s';
					$params[] = $this->get_args_for_query( $q['args'] );
					break;
				case 'like':
					foreach ( $q['args'] as $key => $value ) {
						$sql     .= ' AND a.args LIKE %s';
						$params[] = '%' . $wpdb->esc_like( trim( wp_json_encode( array( $key => $value ) ), '{}' ) ) . '%';
					}
					break;
				case 'json':
					$marks = array(
						'integer' => '%d',
						'boolean' => '%s',
						'double'  => '%f',
						'string'  => '%s',
					);
					foreach ( $q['args'] as $key => $value ) {
						$type = gettype( $value );
						if ( ! isset( $marks[ $type ] ) ) {
							/* translators: %s: provided value type */
							throw new RuntimeException( sprintf( __( 'The value type for the JSON partial matching is not supported. Must be either integer, boolean, double or string. %s type provided.', 'action-scheduler' ), $type ) );
						}
						$sql     .= ' AND JSON_EXTRACT(a.args, %s)=' . $marks[ $type ];
						$params[] = '$.' . $key;
						$params[] = is_bool( $value ) ? ( $value ? 'true' : 'false' ) : $value;
					}
					break;
				default:
					throw new RuntimeException( __( 'Unknown partial args matching value.', 'action-scheduler' ) );
			}
		}
		if ( $q['status'] ) {
			$statuses = array_values( (array) $q['status'] );
			$sql     .= ' AND a.status IN (' . implode( ', ', array_fill( 0, count( $statuses ), '%s' ) ) . ')';
			$params   = array_merge( $params, $statuses );
		}
		foreach ( array( 'date' => 'scheduled_date_gmt', 'modified' => 'last_attempt_gmt' ) as $key => $column ) {
			if ( $q[ $key ] instanceof DateTime ) {
				$when = clone $q[ $key ];
				$when->setTimezone( new DateTimeZone( 'UTC' ) );
				$sql     .= " AND a.{$column} " . $this->validate_sql_comparator( $q[ "{$key}_compare" ] ) . ' %s';
				$params[] = $when->format( 'Y-m-d H:i:s' );
			}
		}
		if ( true === $q['claimed'] ) {
			$sql .= ' AND a.claim_id != 0';
		} elseif ( false === $q['claimed'] ) {
			$sql .= ' AND a.claim_id = 0';
		} elseif ( null !== $q['claimed'] ) {
			$sql     .= ' AND a.claim_id = %d';
			$params[] = $q['claimed'];
		}
		if ( ! empty( $q['search'] ) ) {
			$like   = '%' . $q['search'] . '%';
			$sql   .= ' AND (a.hook LIKE %s OR (a.extended_args IS NULL AND a.args LIKE %s) OR a.extended_args LIKE %s';
			$params = array_merge( $params, array( $like, $like, $like ) );
			if ( (int) $q['search'] ) {
				$sql     .= ' OR a.claim_id = %d';
				$params[] = (int) $q['search'];
			}
			$sql .= ')';
		}
		if ( 'select' === $query_type ) {
			$order  = ( 'ASC' === strtoupper( $q['order'] ) ) ? 'ASC' : 'DESC';
			$orders = array(
				'hook'      => 'a.hook',
				'group'     => 'g.slug',
				'modified'  => 'a.last_attempt_gmt',
				'action_id' => 'a.action_id',
				'none'      => '',
			);
			$column = $orders[ $q['orderby'] ] ?? 'a.scheduled_date_gmt';
			if ( '' !== $column ) {
				$sql .= " ORDER BY {$column} {$order}";
			}
			if ( $q['per_page'] > 0 ) {
				$sql     .= ' LIMIT %d, %d';
				$params[] = $q['offset'];
				$params[] = $q['per_page'];
			}
		}
		if ( $params ) {
			$sql = $wpdb->prepare( $sql, $params ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		}
		return ( 'count' === $query_type ) ? $wpdb->get_var( $sql ) : $wpdb->get_col( $sql ); // phpcs:ignore WordPress.DB
	}

	public function action_counts() {
		global $wpdb;
		$labels = $this->get_status_labels();
		$counts = array();
		foreach ( $wpdb->get_results( "SELECT status, count(status) AS `count` FROM {$wpdb->actionscheduler_actions} GROUP BY status" ) as $row ) { // phpcs:ignore WordPress.DB
			if ( isset( $labels[ $row->status ] ) ) {
				$counts[ $row->status ] = $row->count;
			}
		}
		return $counts;
	}

	/**
	 * Sets status canceled whatever the current status (a complete action included) and fires
	 * action_scheduler_canceled_action even when the id matched nothing.
	 */
	public function cancel_action( $action_id ) {
		global $wpdb;
		$updated = $wpdb->update( $wpdb->actionscheduler_actions, array( 'status' => self::STATUS_CANCELED ), array( 'action_id' => $action_id ), array( '%s' ), array( '%d' ) );
		if ( false === $updated ) {
			/* translators: %s: action ID */
			throw new InvalidArgumentException( sprintf( __( 'Unidentified action %s: we were unable to cancel this action. It may may have been deleted by another process.', 'action-scheduler' ), $action_id ) );
		}
		do_action( 'action_scheduler_canceled_action', $action_id );
	}

	public function cancel_actions_by_hook( $hook ) {
		$this->bulk_cancel_actions( array( 'hook' => $hook ) );
	}

	public function cancel_actions_by_group( $group ) {
		$this->bulk_cancel_actions( array( 'group' => $group ) );
	}

	protected function bulk_cancel_actions( $query_args ) {
		global $wpdb;
		if ( ! is_array( $query_args ) || ( isset( $query_args['status'] ) && self::STATUS_CANCELED === $query_args['status'] ) ) {
			return;
		}
		$query_args = wp_parse_args(
			$query_args,
			array(
				'per_page' => 1000,
				'status'   => self::STATUS_PENDING,
				'orderby'  => 'none',
			)
		);
		while ( $ids = $this->query_actions( $query_args ) ) { // phpcs:ignore Generic.CodeAnalysis.AssignmentInCondition
			$ids = array_map( 'intval', $ids );
			$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->actionscheduler_actions} SET status = %s WHERE action_id IN (" . implode( ',', $ids ) . ')', self::STATUS_CANCELED ) ); // phpcs:ignore WordPress.DB
			do_action( 'action_scheduler_bulk_cancel_actions', $ids );
		}
	}

	public function delete_action( $action_id ) {
		global $wpdb;
		if ( ! $wpdb->delete( $wpdb->actionscheduler_actions, array( 'action_id' => $action_id ), array( '%d' ) ) ) {
			/* translators: %s is the action ID */
			throw new InvalidArgumentException( sprintf( __( 'Unidentified action %s: we were unable to delete this action. It may may have been deleted by another process.', 'action-scheduler' ), $action_id ) );
		}
		do_action( 'action_scheduler_deleted_action', $action_id );
	}

	/** Scheduled date while pending, else the last attempt; in the site's zone. */
	public function get_date( $action_id ) {
		global $wpdb;
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT status, scheduled_date_gmt, last_attempt_gmt FROM {$wpdb->actionscheduler_actions} WHERE action_id = %d", $action_id ) );
		if ( empty( $row ) ) {
			/* translators: %s is the action ID */
			throw new InvalidArgumentException( sprintf( __( 'Unidentified action %s: we were unable to determine the date of this action. It may may have been deleted by another process.', 'action-scheduler' ), $action_id ) );
		}
		$date = as_get_datetime_object( self::STATUS_PENDING === $row->status ? $row->scheduled_date_gmt : $row->last_attempt_gmt );
		ActionScheduler_TimezoneHelper::set_local_timezone( $date );
		return $date;
	}

	public function stake_claim( $max_actions = 10, ?DateTime $before_date = null, $hooks = array(), $group = '' ) {
		global $wpdb;
		$wpdb->insert( $wpdb->actionscheduler_claims, array( 'date_created_gmt' => as_get_datetime_object()->format( 'Y-m-d H:i:s' ) ) );
		$claim_id = (int) $wpdb->insert_id;

		$this->claim_before_date = $before_date;
		$this->claim_actions( $claim_id, $max_actions, $before_date, $hooks, $group );
		$ids                     = $this->find_actions_by_claim_id( $claim_id );
		$this->claim_before_date = null;

		return new ActionScheduler_ActionClaim( $claim_id, $ids );
	}

	/**
	 * Stamps up to $limit due, pending, unclaimed rows with $claim_id in one statement. The inner SELECT locks
	 * the rows it picks (skipping rows another claim has locked where the server supports SKIP LOCKED), so two
	 * runners never claim the same row.
	 *
	 * @throws InvalidArgumentException For an unknown group. @throws RuntimeException On a database error.
	 */
	protected function claim_actions( $claim_id, $limit, ?DateTime $before_date = null, $hooks = array(), $group = '' ) {
		global $wpdb;
		$now    = as_get_datetime_object();
		$cutoff = $before_date ? clone $before_date : $now;
		// Set filters last for later claims; unset ones come from earlier claims (or --exclude-groups).
		if ( ! empty( $hooks ) ) {
			$this->set_claim_filter( 'hooks', $hooks );
		} else {
			$hooks = $this->get_claim_filter( 'hooks' );
		}
		if ( ! empty( $group ) ) {
			$this->set_claim_filter( 'group', $group );
		} else {
			$group = $this->get_claim_filter( 'group' );
		}
		$where  = 'WHERE claim_id = 0 AND scheduled_date_gmt <= %s AND status = %s';
		$params = array( $cutoff->format( 'Y-m-d H:i:s' ), self::STATUS_PENDING );
		if ( ! empty( $hooks ) ) {
			$hooks  = array_values( (array) $hooks );
			$where .= ' AND hook IN (' . implode( ', ', array_fill( 0, count( $hooks ), '%s' ) ) . ')';
			$params = array_merge( $params, $hooks );
		}
		$group_operator = 'IN';
		if ( empty( $group ) ) {
			$group          = $this->get_claim_filter( 'exclude-groups' );
			$group_operator = 'NOT IN';
		}
		if ( ! empty( $group ) ) {
			$group_ids = $this->get_group_ids( $group, false );
			if ( ! $group_ids ) {
				/* translators: %s: group name */
				throw new InvalidArgumentException( sprintf( __( 'The group "%s" does not exist.', 'action-scheduler' ), is_array( $group ) ? implode( ', ', $group ) : $group ) );
			}
			$where .= " AND group_id {$group_operator} ( " . implode( ',', array_map( 'intval', $group_ids ) ) . ' )';
		}
		$order    = apply_filters( 'action_scheduler_claim_actions_order_by', 'ORDER BY priority ASC, attempts ASC, scheduled_date_gmt ASC, action_id ASC', $claim_id, $hooks );
		$skip     = $this->db_supports_skip_locked() ? ' SKIP LOCKED' : '';
		$params[] = $limit;
		$pick     = $wpdb->prepare( "SELECT action_id FROM {$wpdb->actionscheduler_actions} {$where} {$order} LIMIT %d FOR UPDATE{$skip}", $params ); // phpcs:ignore WordPress.DB.PreparedSQL
		$claimed  = $wpdb->query(
			$wpdb->prepare(
				"UPDATE {$wpdb->actionscheduler_actions} t JOIN ( {$pick} ) picked ON t.action_id = picked.action_id SET t.claim_id = %d, t.last_attempt_gmt = %s, t.last_attempt_local = %s", // phpcs:ignore WordPress.DB.PreparedSQL
				$claim_id,
				$now->format( 'Y-m-d H:i:s' ),
				current_time( 'mysql' )
			)
		);
		if ( false === $claimed ) {
			/* translators: %s database error. */
			throw new RuntimeException( sprintf( __( 'Unable to claim actions. Database error: %s.', 'action-scheduler' ), $wpdb->last_error ? $wpdb->last_error : 'unknown' ) );
		}
		return (int) $claimed;
	}

	/** MariaDB >= 10.6 and MySQL >= 8.0.1 support SKIP LOCKED. */
	private function db_supports_skip_locked() {
		global $wpdb;
		$info    = $wpdb->db_server_info();
		$mariadb = false !== strpos( $info, 'MariaDB' );
		$version = $wpdb->db_version();
		if ( $mariadb && '5.5.5' === $version ) {
			$version = preg_replace( '/[^0-9.].*/', '', preg_replace( '/^5\.5\.5-/', '', $info ) );
		}
		$supported = $mariadb ? version_compare( $version, '10.6.0', '>=' ) : version_compare( $version, '8.0.1', '>=' );
		return apply_filters( 'action_scheduler_db_supports_skip_locked', $supported );
	}

	/** Claims that still hold pending or in-progress actions. */
	public function get_claim_count() {
		global $wpdb;
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(DISTINCT claim_id) FROM {$wpdb->actionscheduler_actions} WHERE claim_id != 0 AND status IN ( %s, %s )", self::STATUS_PENDING, self::STATUS_RUNNING ) );
	}

	public function get_claim_id( $action_id ) {
		global $wpdb;
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT claim_id FROM {$wpdb->actionscheduler_actions} WHERE action_id = %d", $action_id ) );
	}

	/** Ids held by the claim and due at the claim's cut-off, in claim order. */
	public function find_actions_by_claim_id( $claim_id ) {
		global $wpdb;
		$cutoff = ( $this->claim_before_date ?? as_get_datetime_object() )->format( 'Y-m-d H:i:s' );
		$rows   = $wpdb->get_results( $wpdb->prepare( "SELECT action_id, scheduled_date_gmt FROM {$wpdb->actionscheduler_actions} WHERE claim_id = %d ORDER BY priority ASC, attempts ASC, scheduled_date_gmt ASC, action_id ASC", $claim_id ) );
		$ids    = array();
		foreach ( $rows as $row ) {
			if ( $row->scheduled_date_gmt <= $cutoff ) {
				$ids[] = absint( $row->action_id );
			}
		}
		return $ids;
	}

	/** Unclaims the claim's still-pending actions and deletes the claim row. */
	public function release_claim( ActionScheduler_ActionClaim $claim ) {
		global $wpdb;
		if ( 0 === (int) $claim->get_id() ) {
			return;
		}
		$ids     = array_map( 'absint', $wpdb->get_col( $wpdb->prepare( "SELECT action_id FROM {$wpdb->actionscheduler_actions} WHERE claim_id = %d AND status = %s", $claim->get_id(), self::STATUS_PENDING ) ) );
		$updated = $ids ? (int) $wpdb->query( "UPDATE {$wpdb->actionscheduler_actions} SET claim_id = 0 WHERE action_id IN (" . implode( ',', $ids ) . ')' ) : 0; // phpcs:ignore WordPress.DB
		$wpdb->delete( $wpdb->actionscheduler_claims, array( 'claim_id' => $claim->get_id() ), array( '%d' ) );
		if ( $updated < count( $ids ) ) {
			/* translators: %d: claim ID */
			throw new RuntimeException( sprintf( __( 'Unable to release actions from claim id %d.', 'action-scheduler' ), $claim->get_id() ) );
		}
	}

	public function unclaim_action( $action_id ) {
		global $wpdb;
		$wpdb->update( $wpdb->actionscheduler_actions, array( 'claim_id' => 0 ), array( 'action_id' => $action_id ), array( '%s' ), array( '%d' ) );
	}

	public function mark_failure( $action_id ) {
		global $wpdb;
		if ( ! $wpdb->update( $wpdb->actionscheduler_actions, array( 'status' => self::STATUS_FAILED ), array( 'action_id' => $action_id ), array( '%s' ), array( '%d' ) ) ) {
			/* translators: %s is the action ID */
			throw new InvalidArgumentException( sprintf( __( 'Unidentified action %s: we were unable to mark this action as having failed. It may may have been deleted by another process.', 'action-scheduler' ), $action_id ) );
		}
	}

	/** in-progress, attempts + 1, last attempt now. */
	public function log_execution( $action_id ) {
		global $wpdb;
		$sql = $wpdb->prepare(
			"UPDATE {$wpdb->actionscheduler_actions} SET attempts = attempts + 1, status = %s, last_attempt_gmt = %s, last_attempt_local = %s WHERE action_id = %d",
			self::STATUS_RUNNING,
			current_time( 'mysql', true ),
			current_time( 'mysql' ),
			$action_id
		);
		if ( ! $wpdb->query( $sql ) ) { // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
			/* translators: 1: action ID. 2: status slug. */
			throw new Exception( sprintf( __( 'Unable to update the status of action %1$d to %2$s.', 'action-scheduler' ), $action_id, self::STATUS_RUNNING ) );
		}
	}

	public function mark_complete( $action_id ) {
		global $wpdb;
		$updated = $wpdb->update(
			$wpdb->actionscheduler_actions,
			array(
				'status'             => self::STATUS_COMPLETE,
				'last_attempt_gmt'   => current_time( 'mysql', true ),
				'last_attempt_local' => current_time( 'mysql' ),
			),
			array( 'action_id' => $action_id ),
			array( '%s' ),
			array( '%d' )
		);
		if ( ! $updated ) {
			/* translators: %s is the action ID */
			throw new InvalidArgumentException( sprintf( __( 'Unidentified action %s: we were unable to mark this action as having completed. It may may have been deleted by another process.', 'action-scheduler' ), $action_id ) );
		}
		do_action( 'action_scheduler_completed_action', $action_id );
	}

	/**
	 * @throws InvalidArgumentException For a missing id. @throws RuntimeException For an empty status.
	 */
	public function get_status( $action_id ) {
		global $wpdb;
		$status = $wpdb->get_var( $wpdb->prepare( "SELECT status FROM {$wpdb->actionscheduler_actions} WHERE action_id = %d", $action_id ) );
		if ( null === $status ) {
			throw new InvalidArgumentException( __( 'Invalid action ID. No status found.', 'action-scheduler' ) );
		}
		if ( '' === $status ) {
			throw new RuntimeException( __( 'Unknown status found for action.', 'action-scheduler' ) );
		}
		return $status;
	}
}
