<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * Tools > Scheduled Actions as 3.9.3 processes it: the page tools.php?page=action-scheduler (manage_options),
 * whose load hook builds the list table and processes a row action: a "Run" or "Cancel" link carries
 * row_action, row_id and a nonce for "<action>::<id>"; Run calls the runner's process_action( $id, 'Admin List
 * Table' ) directly, with no claim, and stores the outcome in the transient action_scheduler_admin_notice
 * (success 1 unless process_action threw); the request then redirects to the page, which shows that notice
 * ("Successfully executed action: <hook>", through the filter action_scheduler_admin_notice_html) and the
 * queue notices (maximum concurrent batches, or a due action: when the next async queue starts). Run and
 * Cancel links are offered on pending actions only. Reproduced as a plain table of pending actions; not
 * reproduced: WP_List_Table's sorting, paging, search, status views, bulk actions, the past-due notice and
 * the help tabs.
 */

class ActionScheduler_AdminView {

	/** @var ActionScheduler_AdminView|null */
	private static $admin_view = null;

	/** @var ActionScheduler_ListTable|null */
	protected $list_table = null;

	public static function instance() {
		if ( empty( self::$admin_view ) ) {
			$class            = apply_filters( 'action_scheduler_admin_view_class', 'ActionScheduler_AdminView' );
			self::$admin_view = new $class();
		}
		return self::$admin_view;
	}

	public function init() {
		if ( is_admin() && ( ! defined( 'DOING_AJAX' ) || ! DOING_AJAX ) ) {
			add_action( 'admin_menu', array( $this, 'register_menu' ) );
		}
	}

	public function register_menu() {
		$hook_suffix = add_submenu_page( 'tools.php', __( 'Scheduled Actions', 'action-scheduler' ), __( 'Scheduled Actions', 'action-scheduler' ), 'manage_options', 'action-scheduler', array( $this, 'render_admin_ui' ) );
		add_action( 'load-' . $hook_suffix, array( $this, 'process_admin_ui' ) );
	}

	public function process_admin_ui() {
		$this->get_list_table();
	}

	public function render_admin_ui() {
		$this->get_list_table()->display_page();
	}

	protected function get_list_table() {
		if ( null === $this->list_table ) {
			$this->list_table = new ActionScheduler_ListTable( ActionScheduler::store(), ActionScheduler::logger(), ActionScheduler::runner() );
			$this->list_table->process_actions();
		}
		return $this->list_table;
	}
}

class ActionScheduler_ListTable {

	/** @var ActionScheduler_Store */
	protected $store;

	/** @var ActionScheduler_Logger */
	protected $logger;

	/** @var ActionScheduler_QueueRunner */
	protected $runner;

	/** @var list<array{class: string, message: string}> */
	protected $admin_notices = array();

	public function __construct( ActionScheduler_Store $store, ActionScheduler_Logger $logger, ActionScheduler_QueueRunner $runner ) {
		$this->store  = $store;
		$this->logger = $logger;
		$this->runner = $runner;
	}

	/** A row action (row_action, row_id, nonce) is done when its nonce checks, then the page reloads without it. */
	public function process_actions() {
		foreach ( array( 'row_action', 'row_id', 'nonce' ) as $parameter ) {
			if ( empty( $_REQUEST[ $parameter ] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended
				return;
			}
		}
		$action = sanitize_text_field( wp_unslash( $_REQUEST['row_action'] ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended, WordPress.Security.ValidatedSanitizedInput.InputNotValidated
		$row_id = sanitize_text_field( wp_unslash( $_REQUEST['row_id'] ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended, WordPress.Security.ValidatedSanitizedInput.InputNotValidated
		$nonce  = sanitize_text_field( wp_unslash( $_REQUEST['nonce'] ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended, WordPress.Security.ValidatedSanitizedInput.InputNotValidated
		$method = 'row_action_' . $action;
		if ( wp_verify_nonce( $nonce, $action . '::' . $row_id ) && method_exists( $this, $method ) ) {
			$this->$method( $row_id );
		}
		if ( isset( $_SERVER['REQUEST_URI'] ) ) {
			wp_safe_redirect( remove_query_arg( array( 'row_id', 'row_action', 'nonce' ), esc_url_raw( wp_unslash( $_SERVER['REQUEST_URI'] ) ) ) );
			exit;
		}
	}

	protected function row_action_run( $action_id ) {
		$this->process_row_action( $action_id, 'run' );
	}

	protected function row_action_cancel( $action_id ) {
		$this->process_row_action( $action_id, 'cancel' );
	}

	protected function process_row_action( $action_id, $row_action_type ) {
		try {
			switch ( $row_action_type ) {
				case 'run':
					$this->runner->process_action( $action_id, 'Admin List Table' );
					break;
				case 'cancel':
					$this->store->cancel_action( $action_id );
					break;
			}
			$success       = 1;
			$error_message = '';
		} catch ( Exception $e ) {
			$success       = 0;
			$error_message = $e->getMessage();
		}
		set_transient( 'action_scheduler_admin_notice', compact( 'action_id', 'success', 'error_message', 'row_action_type' ), 30 );
	}

	public function display_page() {
		echo '<div class="wrap"><h1 class="wp-heading-inline">' . esc_html__( 'Scheduled Actions', 'action-scheduler' ) . '</h1><hr class="wp-header-end">';
		$this->display_admin_notices();
		$this->display_table();
		echo '</div>';
	}

	protected function display_admin_notices() {
		if ( $this->runner->has_maximum_concurrent_batches() ) {
			$claims                = $this->store->get_claim_count();
			$this->admin_notices[] = array(
				'class'   => 'updated',
				/* translators: %s: amount of claims */
				'message' => sprintf( _n( 'Maximum simultaneous queues already in progress (%s queue). No additional queues will begin processing until the current queues are complete.', 'Maximum simultaneous queues already in progress (%s queues). No additional queues will begin processing until the current queues are complete.', $claims, 'action-scheduler' ), $claims ),
			);
		} elseif ( $this->store->has_pending_actions_due() ) {
			$expiration = ActionScheduler::lock()->get_expiration( 'async-request-runner' );
			if ( false === $expiration || $expiration < time() ) {
				/* translators: %s: process URL */
				$message = sprintf( __( 'A new queue has begun processing. <a href="%s">View actions in-progress &raquo;</a>', 'action-scheduler' ), esc_url( add_query_arg( 'status', 'in-progress', remove_query_arg( 'status' ) ) ) );
			} else {
				/* translators: %d: seconds */
				$message = sprintf( __( 'The next queue will begin processing in approximately %d seconds.', 'action-scheduler' ), $expiration - time() );
			}
			$this->admin_notices[] = array(
				'class'   => 'notice notice-info',
				'message' => $message,
			);
		}

		$notification = get_transient( 'action_scheduler_admin_notice' );
		if ( is_array( $notification ) ) {
			delete_transient( 'action_scheduler_admin_notice' );
			$action = $this->store->fetch_action( $notification['action_id'] );
			$hook   = '<strong><code>' . $action->get_hook() . '</code></strong>';
			if ( 1 === absint( $notification['success'] ) ) {
				$class    = 'updated';
				$messages = array(
					/* translators: %s: action HTML */
					'run'    => __( 'Successfully executed action: %s', 'action-scheduler' ),
					/* translators: %s: action HTML */
					'cancel' => __( 'Successfully canceled action: %s', 'action-scheduler' ),
				);
				/* translators: %s: action HTML */
				$html = sprintf( $messages[ $notification['row_action_type'] ] ?? __( 'Successfully processed change for action: %s', 'action-scheduler' ), $hook );
			} else {
				$class = 'error';
				/* translators: 1: action HTML 2: action ID 3: error message */
				$html = sprintf( __( 'Could not process change for action: "%1$s" (ID: %2$d). Error: %3$s', 'action-scheduler' ), $hook, esc_html( $notification['action_id'] ), esc_html( $notification['error_message'] ) );
			}
			$this->admin_notices[] = array(
				'class'   => $class,
				'message' => apply_filters( 'action_scheduler_admin_notice_html', $html, $action, $notification ),
			);
		}

		foreach ( $this->admin_notices as $notice ) {
			echo '<div id="message" class="' . esc_attr( $notice['class'] ) . '"><p>' . wp_kses_post( $notice['message'] ) . '</p></div>';
		}
	}

	/** Pending actions with their Run and Cancel links (the real table lists every status, sorted and paged). */
	protected function display_table() {
		echo '<table class="wp-list-table widefat striped"><thead><tr><th>' . esc_html__( 'Hook', 'action-scheduler' ) . '</th><th>' . esc_html__( 'Status', 'action-scheduler' ) . '</th><th>' . esc_html__( 'Group', 'action-scheduler' ) . '</th><th>' . esc_html__( 'Scheduled Date', 'action-scheduler' ) . '</th></tr></thead><tbody>';
		foreach ( $this->store->query_actions( array( 'status' => ActionScheduler_Store::STATUS_PENDING, 'per_page' => 50, 'orderby' => 'date', 'order' => 'ASC' ) ) as $action_id ) {
			$action = $this->store->fetch_action( $action_id );
			$links  = array();
			foreach ( array( 'run' => __( 'Run', 'action-scheduler' ), 'cancel' => __( 'Cancel', 'action-scheduler' ) ) as $key => $name ) {
				$url     = add_query_arg( array( 'row_action' => $key, 'row_id' => $action_id, 'nonce' => wp_create_nonce( $key . '::' . $action_id ) ) );
				$links[] = sprintf( '<span class="%1$s"><a href="%2$s">%3$s</a></span>', esc_attr( $key ), esc_url( $url ), esc_html( $name ) );
			}
			$date = $action->get_schedule() ? $action->get_schedule()->get_date() : null;
			printf(
				'<tr id="action-%1$d"><td>%2$s<div class="row-actions">%3$s</div></td><td>%4$s</td><td>%5$s</td><td>%6$s</td></tr>',
				(int) $action_id,
				esc_html( $action->get_hook() ),
				implode( ' | ', $links ), // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped
				esc_html( ActionScheduler_Store::STATUS_PENDING ),
				esc_html( $action->get_group() ),
				esc_html( $date ? $date->format( 'Y-m-d H:i:s O' ) : '' )
			);
		}
		echo '</tbody></table>';
	}
}
