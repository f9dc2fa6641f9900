<?php
/**
 * One queue runner process for the Action Scheduler conformance suite: like support/WordPress/run-queue.php (loads the
 * test site's WordPress, then `do_action('action_scheduler_run_queue', $context)`), with the suite's callbacks
 * and knobs (runner-fixtures.php) added before the queue runs. Prints which Action Scheduler it loaded.
 * Usage: php queue-runner.php [context] (default "WP CLI"); env SLUICE_WP_DIR and runner-fixtures.php's.
 */

declare(strict_types=1);

require dirname(__DIR__, 4) . '/support/WordPress/load.php';
require dirname(__DIR__) . '/runner-fixtures.php';

echo 'Action Scheduler: ', function_exists('sluice_test_action_scheduler_which') ? sluice_test_action_scheduler_which() : 'not loaded', "\n";
do_action('action_scheduler_run_queue', $argv[1] ?? 'WP CLI');
echo "queue run finished\n";
