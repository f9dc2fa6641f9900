<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * ActionScheduler_HybridStore: the store Action Scheduler 3.9.3 serves through until its post-store migration is
 * complete (option action_scheduler_migration_status = complete): on a fresh site until the migration action
 * has run, and again after any plugin is deactivated (ActionScheduler_DataController deletes the option on
 * deactivate_plugin). As in 3.9.3 it is not an ActionScheduler_DBStore: it wraps the migration's destination
 * (ActionScheduler_DBStoreMigrator, a DB store on the same tables: every new action is saved there) and its
 * source (ActionScheduler_wpPostStore). Claims migrate due source actions first and then claim in the
 * destination; an id is looked up in the source only when it is below the demarkation id (the first id of the
 * actions table, set one above the highest post id when the table was created); get_status() of a missing id
 * returns null instead of throwing, and mark_failure(), cancel_action() and friends do nothing for it.
 */

class ActionScheduler_HybridStore extends ActionScheduler_Store {

	const DEMARKATION_OPTION = 'action_scheduler_hybrid_store_demarkation';

	/** @var ActionScheduler_Store */
	private $primary_store;

	/** @var ActionScheduler_Store */
	private $secondary_store;

	/** @var Action_Scheduler\Migration\Runner */
	private $migration_runner;

	/** @var int */
	private $demarkation_id = 0;

	public function __construct( ?Action_Scheduler\Migration\Config $config = null ) {
		$this->demarkation_id = (int) get_option( self::DEMARKATION_OPTION, 0 );
		if ( empty( $config ) ) {
			$config = Action_Scheduler\Migration\Controller::instance()->get_migration_config_object();
		}
		$this->primary_store    = $config->get_destination_store();
		$this->secondary_store  = $config->get_source_store();
		$this->migration_runner = new Action_Scheduler\Migration\Runner( $config );
	}

	public function init() {
		add_action( 'action_scheduler/created_table', array( $this, 'set_autoincrement' ), 10, 2 );
		$this->primary_store->init();
		$this->secondary_store->init();
		remove_action( 'action_scheduler/created_table', array( $this, 'set_autoincrement' ), 10 );
	}

	/** When the actions table is created: its ids start one above the highest post id (no collision with 2.x ids). */
	public function set_autoincrement( $table_name, $table_suffix ) {
		global $wpdb;
		if ( ActionScheduler_StoreSchema::ACTIONS_TABLE !== $table_suffix ) {
			return;
		}
		if ( empty( $this->demarkation_id ) ) {
			$this->demarkation_id = (int) $wpdb->get_var( "SELECT MAX(ID) FROM $wpdb->posts" ) + 1;
			update_option( self::DEMARKATION_OPTION, $this->demarkation_id );
		}
		$tomorrow   = new DateTime( 'tomorrow' );
		$null       = new ActionScheduler_NullAction();
		$date_gmt   = $this->get_scheduled_date_string( $null, $tomorrow );
		$date_local = $this->get_scheduled_date_string_local( $null, $tomorrow );
		$inserted   = $wpdb->insert( $wpdb->{ActionScheduler_StoreSchema::ACTIONS_TABLE}, array( 'action_id' => $this->demarkation_id, 'hook' => '', 'status' => '', 'scheduled_date_gmt' => $date_gmt, 'scheduled_date_local' => $date_local, 'last_attempt_gmt' => $date_gmt, 'last_attempt_local' => $date_local ) );
		if ( $inserted > 0 ) {
			$wpdb->delete( $wpdb->{ActionScheduler_StoreSchema::ACTIONS_TABLE}, array( 'action_id' => $this->demarkation_id ) );
		}
	}

	public function find_action( $hook, $params = array() ) {
		$unmigrated = $this->secondary_store->find_action( $hook, $params );
		if ( ! empty( $unmigrated ) ) {
			$this->migrate( array( $unmigrated ) );
		}
		return $this->primary_store->find_action( $hook, $params );
	}

	public function query_actions( $query = array(), $query_type = 'select' ) {
		$unmigrated = $this->secondary_store->query_actions( $query, 'select' );
		if ( ! empty( $unmigrated ) ) {
			$this->migrate( $unmigrated );
		}
		return $this->primary_store->query_actions( $query, $query_type );
	}

	public function action_counts() {
		$secondary = $this->secondary_store->action_counts();
		$primary   = $this->primary_store->action_counts();
		$counts    = array();
		foreach ( array_keys( $this->get_status_labels() ) as $status ) {
			$counts[ $status ] = ( $secondary[ $status ] ?? 0 ) + ( $primary[ $status ] ?? 0 );
		}
		return array_filter( $counts );
	}

	/** Due source actions are migrated first (claimed there, moved, released), then the destination is claimed. */
	public function stake_claim( $max_actions = 10, ?DateTime $before_date = null, $hooks = array(), $group = '' ) {
		$claim   = $this->secondary_store->stake_claim( $max_actions, $before_date, $hooks, $group );
		$claimed = $claim->get_actions();
		if ( ! empty( $claimed ) ) {
			$this->migrate( $claimed );
		}
		$this->secondary_store->release_claim( $claim );
		return $this->primary_store->stake_claim( $max_actions, $before_date, $hooks, $group );
	}

	private function migrate( $action_ids ) {
		$this->migration_runner->migrate_actions( $action_ids );
	}

	public function save_action( ActionScheduler_Action $action, ?DateTime $date = null ) {
		return $this->primary_store->save_action( $action, $date );
	}

	public function fetch_action( $action_id ) {
		$store = $this->get_store_from_action_id( $action_id, true );
		return $store ? $store->fetch_action( $action_id ) : new ActionScheduler_NullAction();
	}

	public function cancel_action( $action_id ) {
		$store = $this->get_store_from_action_id( $action_id );
		if ( $store ) {
			$store->cancel_action( $action_id );
		}
	}

	public function delete_action( $action_id ) {
		$store = $this->get_store_from_action_id( $action_id );
		if ( $store ) {
			$store->delete_action( $action_id );
		}
	}

	public function get_date( $action_id ) {
		$store = $this->get_store_from_action_id( $action_id );
		return $store ? $store->get_date( $action_id ) : null;
	}

	public function mark_failure( $action_id ) {
		$store = $this->get_store_from_action_id( $action_id );
		if ( $store ) {
			$store->mark_failure( $action_id );
		}
	}

	public function log_execution( $action_id ) {
		$store = $this->get_store_from_action_id( $action_id );
		if ( $store ) {
			$store->log_execution( $action_id );
		}
	}

	public function mark_complete( $action_id ) {
		$store = $this->get_store_from_action_id( $action_id );
		if ( $store ) {
			$store->mark_complete( $action_id );
		}
	}

	public function get_status( $action_id ) {
		$store = $this->get_store_from_action_id( $action_id );
		return $store ? $store->get_status( $action_id ) : null;
	}

	/** The store that holds the id: the destination, or (primary first, or below the demarkation id) the source. */
	protected function get_store_from_action_id( $action_id, $primary_first = false ) {
		if ( $primary_first ) {
			$stores = array( $this->primary_store, $this->secondary_store );
		} elseif ( $action_id < $this->demarkation_id ) {
			$stores = array( $this->secondary_store, $this->primary_store );
		} else {
			$stores = array( $this->primary_store );
		}
		foreach ( $stores as $store ) {
			if ( ! is_a( $store->fetch_action( $action_id ), 'ActionScheduler_NullAction' ) ) {
				return $store;
			}
		}
		return null;
	}

	// Claims live in the destination only.

	public function get_claim_count() {
		return $this->primary_store->get_claim_count();
	}

	public function get_claim_id( $action_id ) {
		return $this->primary_store->get_claim_id( $action_id );
	}

	public function release_claim( ActionScheduler_ActionClaim $claim ) {
		$this->primary_store->release_claim( $claim );
	}

	public function unclaim_action( $action_id ) {
		$this->primary_store->unclaim_action( $action_id );
	}

	public function find_actions_by_claim_id( $claim_id ) {
		return $this->primary_store->find_actions_by_claim_id( $claim_id );
	}
}

/** The migration's destination: a DB store whose save_action() can also set the last attempt of a moved action. */
class ActionScheduler_DBStoreMigrator extends ActionScheduler_DBStore {

	public function save_action( ActionScheduler_Action $action, ?DateTime $scheduled_date = null, ?DateTime $last_attempt_date = null ) {
		try {
			global $wpdb;
			$action_id = parent::save_action( $action, $scheduled_date );
			if ( null !== $last_attempt_date ) {
				$wpdb->update(
					$wpdb->actionscheduler_actions,
					array(
						'last_attempt_gmt'   => $this->get_scheduled_date_string( $action, $last_attempt_date ),
						'last_attempt_local' => $this->get_scheduled_date_string_local( $action, $last_attempt_date ),
					),
					array( 'action_id' => $action_id ),
					array( '%s', '%s' ),
					array( '%d' )
				);
			}
			return $action_id;
		} catch ( Exception $e ) {
			/* translators: %s is an error message. */
			throw new RuntimeException( sprintf( __( 'Error saving action: %s', 'action-scheduler' ), $e->getMessage() ), 0 );
		}
	}
}
