<?php
// One queue runner process, as production runs one from the command line
// (`wp action-scheduler run` does the same): loads the test site's WordPress,
// then runs the queue once with Action Scheduler's batch loop.
// Usage: php run-queue.php [context] (default "WP CLI"); env SLUICE_WP_DIR.
declare(strict_types=1);

require __DIR__ . '/load.php';
do_action('action_scheduler_run_queue', $argv[1] ?? 'WP CLI');
