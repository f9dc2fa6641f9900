<?php
/**
 * Puts the test site's Action Scheduler in a state the way a site gets there (ActionSchedulerState.php beside it):
 *   php action-scheduler-state.php migrated   runs the migration action (action_scheduler/migration_hook, hooked
 *                                            by Action Scheduler while the migration is not complete): with
 *                                            nothing to migrate it marks the migration complete
 *   php action-scheduler-state.php hybrid     deactivates a plugin (Akismet, activated first if need be):
 *                                            Action Scheduler's DataController deletes the migration status
 * Prints the state it left. Env SLUICE_WP_DIR.
 */

declare(strict_types=1);

require __DIR__ . '/load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

$wanted = $argv[1] ?? '';
$complete = ActionScheduler_DataController::is_migration_complete();
if ($wanted === 'migrated' && !$complete) {
    if (!has_action('action_scheduler/migration_hook')) {
        fwrite(STDERR, "Action Scheduler does not offer its migration action in this process\n");
        exit(1);
    }
    do_action('action_scheduler/migration_hook');
} elseif ($wanted === 'hybrid' && $complete) {
    $plugin = 'akismet/akismet.php';
    if (!is_plugin_active($plugin)) {
        $error = activate_plugin($plugin, '', false, true);
        if (is_wp_error($error)) {
            fwrite(STDERR, "could not activate $plugin: " . $error->get_error_message() . "\n");
            exit(1);
        }
    }
    deactivate_plugins($plugin); // not silent: deactivate_plugin fires
} elseif (!in_array($wanted, ['migrated', 'hybrid'], true)) {
    fwrite(STDERR, "usage: php action-scheduler-state.php migrated|hybrid\n");
    exit(2);
}
wp_cache_delete('action_scheduler_migration_status', 'options');
wp_cache_delete('alloptions', 'options');
$complete = ActionScheduler_DataController::is_migration_complete();
if ($complete !== ($wanted === 'migrated')) {
    fwrite(STDERR, "Action Scheduler did not reach the state '$wanted'\n");
    exit(1);
}
echo 'Action Scheduler: migration ', $complete ? 'complete' : 'not complete', "\n";
