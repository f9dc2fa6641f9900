<?php
/**
 * Plugin Name: Sluice tests: Action Scheduler loader
 * Description: TEST-ONLY. Loads the Action Scheduler the test site runs: (1) the one Composer installed into
 *              php-tests/wp/vendor, else (2) the folder named by SLUICE_ACTION_SCHEDULER_DIR (a constant from
 *              wp-config.php, else the environment variable), else (3) the test-only stand-in in
 *              php-tests/wp/action-scheduler-standin/ (TEST-ONLY stand-in for Action Scheduler; never shipped).
 *              sluice_test_action_scheduler_which() says which one runs; every test run, demo and benchmark
 *              prints it. Never part of the Sluice plugin.
 *
 * It leaves Action Scheduler's store to Action Scheduler: a fresh site serves through the hybrid store until its
 * migration action has run, and again after any plugin is deactivated. The suites choose the state they run in
 * (support/WordPress/ActionSchedulerState.php, env SLUICE_ACTION_SCHEDULER_STATE = migrated | hybrid).
 */

if ( ! defined( 'ABSPATH' ) || defined( 'SLUICE_TEST_ACTION_SCHEDULER_LOADER' ) ) {
	return;
}
define( 'SLUICE_TEST_ACTION_SCHEDULER_LOADER', __FILE__ );

/**
 * Where the loaded Action Scheduler came from, decided at load time.
 *
 * @return array{kind: string, file: string, note: string} kind: composer | dir | standin
 */
function sluice_test_action_scheduler_source(): array {
	static $source = null;
	if ( null !== $source ) {
		return $source;
	}
	$base     = dirname( __DIR__ );
	$composer = $base . '/vendor/woocommerce/action-scheduler/action-scheduler.php';
	if ( is_file( $composer ) ) {
		return $source = array( 'kind' => 'composer', 'file' => $composer, 'note' => '' ); // phpcs:ignore Squiz.PHP.DisallowMultipleAssignments
	}
	$dir = defined( 'SLUICE_ACTION_SCHEDULER_DIR' ) ? (string) SLUICE_ACTION_SCHEDULER_DIR : (string) getenv( 'SLUICE_ACTION_SCHEDULER_DIR' );
	$dir = rtrim( $dir, '/' );
	if ( '' !== $dir ) {
		if ( is_file( $dir . '/action-scheduler.php' ) ) {
			return $source = array( 'kind' => 'dir', 'file' => $dir . '/action-scheduler.php', 'note' => $dir ); // phpcs:ignore Squiz.PHP.DisallowMultipleAssignments
		}
		trigger_error( "SLUICE_ACTION_SCHEDULER_DIR={$dir} has no action-scheduler.php; using the test-only stand-in", E_USER_WARNING ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions, WordPress.Security.EscapeOutput
		$note = "; SLUICE_ACTION_SCHEDULER_DIR={$dir} has no action-scheduler.php";
	}
	return $source = array( 'kind' => 'standin', 'file' => $base . '/action-scheduler-standin/action-scheduler.php', 'note' => $note ?? '' ); // phpcs:ignore Squiz.PHP.DisallowMultipleAssignments
}

/** The version in a plugin file's header ("Version: 3.9.3"), or "?". */
function sluice_test_action_scheduler_header_version( string $file ): string {
	$head = (string) file_get_contents( $file, false, null, 0, 8192 ); // phpcs:ignore WordPress.WP.AlternativeFunctions
	return preg_match( '/^[\s*#@]*Version:\s*(\S+)/mi', $head, $m ) ? $m[1] : '?';
}

/**
 * Which Action Scheduler runs, e.g. "real 3.9.3 (composer)", "real 3.9.3 (SLUICE_ACTION_SCHEDULER_DIR=/opt/...)",
 * "stand-in (test-only, reproduces 3.9.3)". Once Action Scheduler has started, the answer comes from the class
 * actually loaded (a plugin bundling a newer copy would win the version registry).
 */
function sluice_test_action_scheduler_which(): string {
	$source = sluice_test_action_scheduler_source();
	$file   = $source['file'];
	if ( class_exists( 'ActionScheduler', false ) ) {
		$file = dirname( ( new ReflectionClass( 'ActionScheduler' ) )->getFileName(), 3 ) . '/action-scheduler.php';
		if ( defined( 'SLUICE_TEST_ACTION_SCHEDULER_STANDIN_FILE' ) && dirname( SLUICE_TEST_ACTION_SCHEDULER_STANDIN_FILE ) === dirname( ( new ReflectionClass( 'ActionScheduler' ) )->getFileName(), 2 ) ) {
			return 'stand-in (test-only, reproduces ' . SLUICE_TEST_ACTION_SCHEDULER_STANDIN_REPRODUCES . $source['note'] . ')';
		}
		$version = class_exists( 'ActionScheduler_Versions', false ) ? (string) ActionScheduler_Versions::instance()->latest_version() : '';
		$version = '' !== $version ? $version : sluice_test_action_scheduler_header_version( $file );
		if ( realpath( $file ) !== realpath( $source['file'] ) || 'standin' === $source['kind'] ) {
			return "real {$version} (bundled by another plugin: " . dirname( $file ) . ')';
		}
	} elseif ( 'standin' === $source['kind'] ) {
		return 'stand-in (test-only, reproduces 3.9.3' . $source['note'] . ', not started yet)';
	} else {
		$version = sluice_test_action_scheduler_header_version( $file );
	}
	return 'composer' === $source['kind'] ? "real {$version} (composer)" : "real {$version} (SLUICE_ACTION_SCHEDULER_DIR={$source['note']})";
}

( static function () {
	// tools/wordpress install loads plugins before WordPress has its tables: Action Scheduler's own tables
	// would then exist without wp_options, and WordPress would take the site for a broken one.
	if ( function_exists( 'wp_installing' ) && wp_installing() ) {
		return;
	}
	require_once sluice_test_action_scheduler_source()['file'];
} )();
