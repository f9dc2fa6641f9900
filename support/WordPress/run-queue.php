<?php
// One queue runner process: loads the test site's WordPress, then runs the
// queue once as WP-Cron's queue run does (ActionScheduler_QueueRunner::run():
// action_scheduler_before_process_queue, the cleaner, then batches while the
// last one processed anything), in the context "WP CLI" by default. It is not
// `wp action-scheduler run`, whose ActionScheduler_WPCLI_QueueRunner claims
// before that hook and fires it not at all when its claim is empty: the
// plugin's Runners suite runs the real `wp` binary for that runner.
// Usage: php run-queue.php [context] (default "WP CLI"); env SLUICE_WP_DIR.
declare(strict_types=1);

require __DIR__ . '/load.php';
do_action('action_scheduler_run_queue', $argv[1] ?? 'WP CLI');
