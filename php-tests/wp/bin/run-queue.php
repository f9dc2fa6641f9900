<?php
// One queue runner process, as production runs one from the command line
// (`wp action-scheduler run` does the same): loads the test site's WordPress,
// then runs the queue once with Action Scheduler's batch loop.
// Usage: php run-queue.php [context] (default "WP CLI"); env SLUICE_WP_DIR.
declare(strict_types=1);

$wpDir = getenv('SLUICE_WP_DIR');
if ($wpDir === false || !is_file($wpDir . '/wp-load.php')) {
    fwrite(STDERR, "run-queue.php: SLUICE_WP_DIR must name the test site's WordPress root\n");
    exit(2);
}
$_SERVER['HTTP_HOST'] = '127.0.0.1';
require $wpDir . '/wp-load.php';
do_action('action_scheduler_run_queue', $argv[1] ?? 'WP CLI');
