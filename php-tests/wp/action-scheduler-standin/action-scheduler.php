<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * A compact, independent implementation of the public API of Action Scheduler 3.9.3 (class and function names,
 * hooks, DB tables and columns) reproducing the behaviours a gate depends on (listed in the plugin's ActionSchedulerAdapter.php and pinned by the conformance suite), for CI hosts where the
 * real Action Scheduler cannot be installed. It is loaded only by
 * php-tests/wp/mu-plugins/sluice-test-action-scheduler.php and never by the Sluice plugin. Any difference from
 * the real Action Scheduler is a bug in this stand-in: the Action Scheduler conformance suite
 * (php-tests/wp/Conformance/SchedulerConformanceTest.php) runs against both.
 *
 * Loading follows the real library: the version registers on plugins_loaded (priority 0), the registry
 * initialises the newest registered version (priority 1), and the classes are only defined then, so a real
 * Action Scheduler bundled by a plugin with a newer version would win.
 */

if ( ! function_exists( 'add_action' ) || defined( 'SLUICE_TEST_ACTION_SCHEDULER_STANDIN_FILE' ) ) {
	return;
}

define( 'SLUICE_TEST_ACTION_SCHEDULER_STANDIN_FILE', __FILE__ );

/** The Action Scheduler release whose behaviour this stand-in reproduces. */
define( 'SLUICE_TEST_ACTION_SCHEDULER_STANDIN_REPRODUCES', '3.9.3' );

if ( ! class_exists( 'ActionScheduler_Versions', false ) ) {
	require_once __DIR__ . '/classes/ActionScheduler_Versions.php';
	add_action( 'plugins_loaded', array( 'ActionScheduler_Versions', 'initialize_latest_version' ), 1, 0 );
}

add_action(
	'plugins_loaded',
	static function () {
		ActionScheduler_Versions::instance()->register( SLUICE_TEST_ACTION_SCHEDULER_STANDIN_REPRODUCES, 'sluice_test_action_scheduler_standin_initialize' );
	},
	0,
	0
);

/**
 * Defines the stand-in's classes and starts it (the registry calls this when it is the newest version).
 */
function sluice_test_action_scheduler_standin_initialize() {
	if ( class_exists( 'ActionScheduler', false ) ) {
		return;
	}
	foreach ( array( 'schedules', 'actions', 'support', 'store', 'logger', 'post-store', 'hybrid-store', 'migration', 'async-request', 'runner', 'admin', 'ActionScheduler' ) as $part ) {
		require_once __DIR__ . "/classes/{$part}.php";
	}
	if ( ! defined( 'SLUICE_TEST_ACTION_SCHEDULER_STANDIN' ) ) {
		define( 'SLUICE_TEST_ACTION_SCHEDULER_STANDIN', SLUICE_TEST_ACTION_SCHEDULER_STANDIN_REPRODUCES );
	}
	ActionScheduler::init( __FILE__ );
}

// Loaded after plugins_loaded (like the real file's own late-load branch): start at once.
if ( did_action( 'plugins_loaded' ) && ! doing_action( 'plugins_loaded' ) && ! class_exists( 'ActionScheduler', false ) ) {
	ActionScheduler_Versions::instance()->register( SLUICE_TEST_ACTION_SCHEDULER_STANDIN_REPRODUCES, 'sluice_test_action_scheduler_standin_initialize' );
	do_action( 'action_scheduler_pre_theme_init' );
	ActionScheduler_Versions::initialize_latest_version();
}
