<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * The store of Action Scheduler 2.x, kept in 3.9.3 as the hybrid store's secondary (the source of the post-store
 * migration): actions are posts of type scheduled-action (hook in post_title, JSON args in post_content, the
 * claim id in post_password, attempts in menu_order, the group as an action-group term, the schedule in post
 * meta), statuses mapped as the real store maps them (complete = publish, canceled = trash), and its logs are
 * comments of type action_log. Reproduced: what the hybrid store and the migration call (save, fetch, query,
 * counts, claim and release, status writes, delete); the SQL is the real store's. Not reproduced: the admin
 * columns and comment filters of the real wpCommentLogger.
 */

class ActionScheduler_wpPostStore extends ActionScheduler_Store {

	const POST_TYPE         = 'scheduled-action';
	const GROUP_TAXONOMY    = 'action-group';
	const SCHEDULE_META_KEY = '_action_manager_schedule';

	/** @var DateTime|null */
	private $claim_before_date = null;

	public function init() {
		register_post_type( self::POST_TYPE, apply_filters( 'action_scheduler_post_type_args', array( 'label' => __( 'Scheduled Actions', 'action-scheduler' ), 'public' => false, 'map_meta_cap' => true, 'hierarchical' => false, 'supports' => array( 'title', 'editor', 'comments' ), 'rewrite' => false, 'query_var' => false, 'can_export' => true, 'ep_mask' => EP_NONE ) ) );
		foreach ( array( self::STATUS_RUNNING, self::STATUS_FAILED ) as $status ) {
			register_post_status( $status, apply_filters( 'action_scheduler_post_status_args', array( 'public' => false, 'exclude_from_search' => false, 'show_in_admin_all_list' => true, 'show_in_admin_status_list' => true ) ) );
		}
		register_taxonomy( self::GROUP_TAXONOMY, self::POST_TYPE, apply_filters( 'action_scheduler_taxonomy_args', array( 'label' => __( 'Action Group', 'action-scheduler' ), 'public' => false, 'hierarchical' => false, 'show_admin_column' => true, 'query_var' => false, 'rewrite' => false ) ) );
	}

	public function save_action( ActionScheduler_Action $action, ?DateTime $scheduled_date = null ) {
		$post = array(
			'post_type'     => self::POST_TYPE,
			'post_title'    => $action->get_hook(),
			'post_content'  => wp_json_encode( $action->get_args() ),
			'post_status'   => ( $action->is_finished() ? 'publish' : 'pending' ),
			'post_date_gmt' => $this->get_scheduled_date_string( $action, $scheduled_date ),
			'post_date'     => $this->get_scheduled_date_string_local( $action, $scheduled_date ),
		);
		$keep_author = static function ( $data ) {
			if ( self::POST_TYPE === $data['post_type'] ) {
				$data['post_author'] = 0;
				if ( 'future' === $data['post_status'] ) {
					$data['post_status'] = 'publish';
				}
			}
			return $data;
		};
		add_filter( 'wp_insert_post_data', $keep_author );
		$has_kses = false !== has_filter( 'content_save_pre', 'wp_filter_post_kses' );
		if ( $has_kses ) {
			kses_remove_filters(); // KSES would corrupt the JSON in post_content.
		}
		$post_id = wp_insert_post( $post );
		if ( $has_kses ) {
			kses_init_filters();
		}
		remove_filter( 'wp_insert_post_data', $keep_author );
		if ( is_wp_error( $post_id ) || empty( $post_id ) ) {
			throw new RuntimeException( __( 'Error saving action: Unable to save action.', 'action-scheduler' ) );
		}
		update_post_meta( $post_id, self::SCHEDULE_META_KEY, $action->get_schedule() );
		if ( $action->get_group() ) {
			wp_set_object_terms( $post_id, array( $action->get_group() ), self::GROUP_TAXONOMY, false );
		}
		do_action( 'action_scheduler_stored_action', $post_id );
		return $post_id;
	}

	public function fetch_action( $action_id ) {
		$post = empty( $action_id ) ? null : get_post( $action_id );
		if ( empty( $post ) || self::POST_TYPE !== $post->post_type ) {
			return new ActionScheduler_NullAction();
		}
		try {
			$args = json_decode( $post->post_content, true );
			$this->validate_args( $args, $post->ID );
			$schedule = get_post_meta( $post->ID, self::SCHEDULE_META_KEY, true );
			$this->validate_schedule( $schedule, $post->ID );
			$group = wp_get_object_terms( $post->ID, self::GROUP_TAXONOMY, array( 'fields' => 'names' ) );
			$group = empty( $group ) || is_wp_error( $group ) ? '' : reset( $group );
			return ActionScheduler::factory()->get_stored_action( $this->action_status( $post->post_status ), $post->post_title, $args, $schedule, $group );
		} catch ( ActionScheduler_InvalidActionException $exception ) {
			do_action( 'action_scheduler_failed_fetch_action', $post->ID, $exception );
			return new ActionScheduler_NullAction();
		}
	}

	/** @throws InvalidArgumentException For a post status that is no action status. */
	protected function action_status( $post_status ) {
		$map = array( 'publish' => self::STATUS_COMPLETE, 'trash' => self::STATUS_CANCELED );
		if ( isset( $map[ $post_status ] ) ) {
			return $map[ $post_status ];
		}
		if ( ! array_key_exists( $post_status, $this->get_status_labels() ) ) {
			throw new InvalidArgumentException( sprintf( 'Invalid post status: "%s". No matching action status available.', $post_status ) );
		}
		return $post_status;
	}

	protected function post_status( $action_status ) {
		$map = array( self::STATUS_COMPLETE => 'publish', self::STATUS_CANCELED => 'trash' );
		return $map[ $action_status ] ?? $action_status;
	}

	/** The real store's query: hook, args, status, date, modified, group, claimed, per_page, offset, orderby, order. */
	public function query_actions( $query = array(), $query_type = 'select' ) {
		global $wpdb;
		$q      = wp_parse_args( $query, array( 'hook' => '', 'args' => null, 'date' => null, 'date_compare' => '<=', 'modified' => null, 'modified_compare' => '<=', 'group' => '', 'status' => '', 'claimed' => null, 'per_page' => 5, 'offset' => 0, 'orderby' => 'date', 'order' => 'ASC' ) );
		$sql    = ( 'count' === $query_type ? 'SELECT count(p.ID)' : 'SELECT p.ID' ) . " FROM {$wpdb->posts} p";
		$params = array();
		if ( ! empty( $q['group'] ) ) {
			$sql     .= " INNER JOIN {$wpdb->term_relationships} tr ON tr.object_id=p.ID INNER JOIN {$wpdb->term_taxonomy} tt ON tr.term_taxonomy_id=tt.term_taxonomy_id INNER JOIN {$wpdb->terms} t ON tt.term_id=t.term_id AND t.slug=%s";
			$params[] = $q['group'];
		}
		$sql     .= ' WHERE post_type=%s';
		$params[] = self::POST_TYPE;
		if ( $q['hook'] ) {
			$sql     .= ' AND p.post_title=%s';
			$params[] = $q['hook'];
		}
		if ( null !== $q['args'] ) {
			$sql     .= ' AND p.post_content=%s';
			$params[] = wp_json_encode( $q['args'] );
		}
		if ( $q['status'] ) {
			$statuses = array_map( array( $this, 'post_status' ), (array) $q['status'] );
			$sql     .= ' AND p.post_status IN (' . implode( ', ', array_fill( 0, count( $statuses ), '%s' ) ) . ')';
			$params   = array_merge( $params, array_values( $statuses ) );
		}
		foreach ( array( 'date' => 'post_date_gmt', 'modified' => 'post_modified_gmt' ) as $key => $column ) {
			if ( $q[ $key ] instanceof DateTime ) {
				$when = clone $q[ $key ];
				$when->setTimezone( new DateTimeZone( 'UTC' ) );
				$sql     .= " AND p.{$column} " . $this->validate_sql_comparator( $q[ "{$key}_compare" ] ) . ' %s';
				$params[] = $when->format( 'Y-m-d H:i:s' );
			}
		}
		if ( true === $q['claimed'] ) {
			$sql .= " AND p.post_password != ''";
		} elseif ( false === $q['claimed'] ) {
			$sql .= " AND p.post_password = ''";
		} elseif ( null !== $q['claimed'] ) {
			$sql     .= ' AND p.post_password = %s';
			$params[] = $q['claimed'];
		}
		if ( 'select' === $query_type ) {
			$orders = array( 'hook' => 'p.post_title', 'status' => 'p.post_status', 'modified' => 'p.post_modified', 'claim_id' => 'p.post_password' );
			$sql   .= ' ORDER BY ' . ( $orders[ $q['orderby'] ] ?? 'p.post_date_gmt' ) . ( 'ASC' === strtoupper( $q['order'] ) ? ' ASC' : ' DESC' );
			if ( $q['per_page'] > 0 ) {
				$sql     .= ' LIMIT %d, %d';
				$params[] = $q['offset'];
				$params[] = $q['per_page'];
			}
		}
		$sql = $wpdb->prepare( $sql, $params ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		return ( 'count' === $query_type ) ? $wpdb->get_var( $sql ) : $wpdb->get_col( $sql ); // phpcs:ignore WordPress.DB
	}

	public function action_counts() {
		$counts = array();
		foreach ( (array) wp_count_posts( self::POST_TYPE, 'readable' ) as $post_status => $count ) {
			try {
				$status = $this->action_status( $post_status );
			} catch ( Exception $e ) {
				continue;
			}
			$counts[ $status ] = $count;
		}
		return $counts;
	}

	private function post_or_throw( $action_id, $what ) {
		$post = get_post( $action_id );
		if ( empty( $post ) || self::POST_TYPE !== $post->post_type ) {
			/* translators: 1: action ID 2: what could not be done */
			throw new InvalidArgumentException( sprintf( __( 'Unidentified action %1$s: we were unable to %2$s. It may may have been deleted by another process.', 'action-scheduler' ), $action_id, $what ) );
		}
		return $post;
	}

	public function cancel_action( $action_id ) {
		$this->post_or_throw( $action_id, 'cancel this action' );
		do_action( 'action_scheduler_canceled_action', $action_id );
		wp_trash_post( $action_id );
	}

	public function delete_action( $action_id ) {
		$this->post_or_throw( $action_id, 'delete this action' );
		do_action( 'action_scheduler_deleted_action', $action_id );
		wp_delete_post( $action_id, true );
	}

	public function get_date( $action_id ) {
		$post = $this->post_or_throw( $action_id, 'determine the date of this action' );
		return ActionScheduler_TimezoneHelper::set_local_timezone( as_get_datetime_object( 'publish' === $post->post_status ? $post->post_modified_gmt : $post->post_date_gmt ) );
	}

	/** Stamps up to $max due pending unclaimed posts with a random 20-character claim id in post_password. */
	public function stake_claim( $max_actions = 10, ?DateTime $before_date = null, $hooks = array(), $group = '' ) {
		global $wpdb;
		$this->claim_before_date = $before_date;
		$claim_id                = substr( md5( microtime( true ) . wp_rand( 0, 1000 ) ), 0, 20 );
		$date                    = null === $before_date ? as_get_datetime_object() : clone $before_date;
		$params                  = array( $claim_id, current_time( 'mysql', true ), current_time( 'mysql' ), self::POST_TYPE, self::STATUS_PENDING );
		$where                   = "WHERE post_type = %s AND post_status = %s AND post_password = ''";
		if ( ! empty( $hooks ) ) {
			$where .= ' AND post_title IN (' . implode( ', ', array_fill( 0, count( $hooks ), '%s' ) ) . ')';
			$params = array_merge( $params, array_values( (array) $hooks ) );
		}
		if ( ! empty( $group ) ) {
			if ( ! term_exists( $group, self::GROUP_TAXONOMY ) ) {
				/* translators: %s is the group name */
				throw new InvalidArgumentException( sprintf( __( 'The group "%s" does not exist.', 'action-scheduler' ), $group ) );
			}
			$ids = get_posts( array( 'fields' => 'ids', 'post_type' => self::POST_TYPE, 'post_status' => self::STATUS_PENDING, 'has_password' => false, 'posts_per_page' => $max_actions * 3, 'suppress_filters' => true, 'tax_query' => array( array( 'taxonomy' => self::GROUP_TAXONOMY, 'field' => 'slug', 'terms' => $group, 'include_children' => false ) ) ) ); // phpcs:ignore WordPress.DB.SlowDBQuery
			if ( ! $ids ) {
				$this->claim_before_date = null;
				return new ActionScheduler_ActionClaim( $claim_id, array() );
			}
			$where .= ' AND ID IN (' . implode( ',', array_map( 'intval', $ids ) ) . ')';
		} else {
			$where   .= ' AND post_date_gmt <= %s';
			$params[] = $date->format( 'Y-m-d H:i:s' );
		}
		$params[] = $max_actions;
		if ( false === $wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->posts} SET post_password = %s, post_modified_gmt = %s, post_modified = %s {$where} ORDER BY menu_order ASC, post_date_gmt ASC, ID ASC LIMIT %d", $params ) ) ) { // phpcs:ignore WordPress.DB
			throw new RuntimeException( __( 'Unable to claim actions. Database error.', 'action-scheduler' ) );
		}
		$ids                     = $this->find_actions_by_claim_id( $claim_id );
		$this->claim_before_date = null;
		return new ActionScheduler_ActionClaim( $claim_id, $ids );
	}

	public function get_claim_count() {
		global $wpdb;
		return $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(DISTINCT post_password) FROM {$wpdb->posts} WHERE post_password != '' AND post_type = %s AND post_status IN ('in-progress','pending')", self::POST_TYPE ) );
	}

	public function find_actions_by_claim_id( $claim_id ) {
		global $wpdb;
		$cutoff = ( $this->claim_before_date ?? as_get_datetime_object() )->format( 'Y-m-d H:i:s' );
		$ids    = array();
		foreach ( $wpdb->get_results( $wpdb->prepare( "SELECT ID, post_date_gmt FROM {$wpdb->posts} WHERE post_type = %s AND post_password = %s", self::POST_TYPE, $claim_id ) ) as $row ) {
			if ( $row->post_date_gmt <= $cutoff ) {
				$ids[] = absint( $row->ID );
			}
		}
		return $ids;
	}

	public function release_claim( ActionScheduler_ActionClaim $claim ) {
		global $wpdb;
		if ( '' === trim( (string) $claim->get_id() ) ) {
			return;
		}
		$ids = $wpdb->get_col( $wpdb->prepare( "SELECT ID FROM {$wpdb->posts} WHERE post_type = %s AND post_password = %s AND post_status = %s", self::POST_TYPE, $claim->get_id(), self::STATUS_PENDING ) );
		if ( $ids && false === $wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->posts} SET post_password = '' WHERE ID IN (" . implode( ',', array_map( 'intval', $ids ) ) . ') AND post_password = %s', $claim->get_id() ) ) ) { // phpcs:ignore WordPress.DB
			/* translators: %s: claim ID */
			throw new RuntimeException( sprintf( __( 'Unable to unlock claim %s. Database error.', 'action-scheduler' ), $claim->get_id() ) );
		}
	}

	public function unclaim_action( $action_id ) {
		global $wpdb;
		$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->posts} SET post_password = '' WHERE ID = %d AND post_type = %s", $action_id, self::POST_TYPE ) );
	}

	public function mark_failure( $action_id ) {
		global $wpdb;
		$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->posts} SET post_status = %s WHERE ID = %d AND post_type = %s", self::STATUS_FAILED, $action_id, self::POST_TYPE ) );
	}

	public function log_execution( $action_id ) {
		global $wpdb;
		if ( ! $wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->posts} SET menu_order = menu_order+1, post_status=%s, post_modified_gmt = %s, post_modified = %s WHERE ID = %d AND post_type = %s", self::STATUS_RUNNING, current_time( 'mysql', true ), current_time( 'mysql' ), $action_id, self::POST_TYPE ) ) ) {
			/* translators: 1: action ID. 2: status slug. */
			throw new Exception( sprintf( __( 'Unable to update the status of action %1$d to %2$s.', 'action-scheduler' ), $action_id, self::STATUS_RUNNING ) );
		}
	}

	public function mark_complete( $action_id ) {
		$this->post_or_throw( $action_id, 'mark this action as having completed' );
		$result = wp_update_post( array( 'ID' => $action_id, 'post_status' => 'publish' ), true );
		if ( is_wp_error( $result ) ) {
			throw new RuntimeException( $result->get_error_message() );
		}
		do_action( 'action_scheduler_completed_action', $action_id );
	}

	public function mark_migrated( $action_id ) {
		wp_update_post( array( 'ID' => $action_id, 'post_status' => 'migrated' ) );
	}

	public function get_claim_id( $action_id ) {
		return $this->post_column( $action_id, 'post_password' );
	}

	/** @throws InvalidArgumentException For a missing id. */
	public function get_status( $action_id ) {
		$status = $this->post_column( $action_id, 'post_status' );
		if ( null === $status ) {
			throw new InvalidArgumentException( __( 'Invalid action ID. No status found.', 'action-scheduler' ) );
		}
		return $this->action_status( $status );
	}

	private function post_column( $action_id, $column ) {
		global $wpdb;
		return $wpdb->get_var( $wpdb->prepare( "SELECT {$column} FROM {$wpdb->posts} WHERE ID=%d AND post_type=%s", $action_id, self::POST_TYPE ) ); // phpcs:ignore WordPress.DB
	}
}

/** Action Scheduler 2.x's log: comments of type action_log on the action's post. */
class ActionScheduler_wpCommentLogger extends ActionScheduler_Logger {

	const AGENT = 'ActionScheduler';
	const TYPE  = 'action_log';

	public function log( $action_id, $message, ?DateTime $date = null ) {
		$date = empty( $date ) ? as_get_datetime_object() : as_get_datetime_object( clone $date );
		$gmt  = $date->format( 'Y-m-d H:i:s' );
		ActionScheduler_TimezoneHelper::set_local_timezone( $date );
		return wp_insert_comment( array( 'comment_post_ID' => $action_id, 'comment_date' => $date->format( 'Y-m-d H:i:s' ), 'comment_date_gmt' => $gmt, 'comment_author' => self::AGENT, 'comment_content' => $message, 'comment_agent' => self::AGENT, 'comment_type' => self::TYPE ) );
	}

	public function get_entry( $entry_id ) {
		$comment = get_comment( $entry_id );
		if ( empty( $comment ) || self::TYPE !== get_comment_type( $comment ) ) {
			return new ActionScheduler_NullLogEntry();
		}
		return new ActionScheduler_LogEntry( $comment->comment_post_ID, $comment->comment_content, new ActionScheduler_DateTime( $comment->comment_date_gmt, new DateTimeZone( 'UTC' ) ) );
	}

	public function get_logs( $action_id ) {
		$logs = array();
		foreach ( get_comments( array( 'post_id' => $action_id, 'orderby' => 'comment_date_gmt', 'order' => 'ASC', 'type' => self::TYPE, 'status' => 'trash' === get_post_status( $action_id ) ? 'post-trashed' : 'all' ) ) as $comment ) {
			$logs[] = $this->get_entry( $comment );
		}
		return $logs;
	}
}
