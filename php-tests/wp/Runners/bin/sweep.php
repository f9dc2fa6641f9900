<?php
/**
 * One sweep of the gate (what a queue run starts with), in a process of its own, for StrandedWorkTest. Test-only.
 * Variables set by the caller (Runner::php):
 *   $race        '' | 'complete' | 'cleaner': just before the first UPDATE that marks action $raceAction failed
 *                runs, that action completes (ActionScheduler_Store::mark_complete, as its runner's end would)
 *                or Action Scheduler's cleaner fails it (ActionScheduler_Store::mark_failure): a hook between
 *                the sweep's read and its write
 *   $raceAction  the action id the race is about
 *   $throwForArg the sluice_requeue_stranded filter throws for the counted task whose argument is this (0: never)
 *   $fatalForArg ... or dies of a fatal error there (max_execution_time), as a sweep killed half-way
 *   $fatalAfterCopyForArg ... or dies of a fatal error just after the copy of that task was stored (before the
 *                original is marked failed), as a sweep killed between its two writes
 *   $fatalAfterFailing ... or dies of a fatal error at the first query after its UPDATE that marks this action id
 *                failed (before the copy is pulled forward), as a sweep killed after both writes
 *   $barrier     when set: print "ready", then sweep once this file exists (several processes start at one instant)
 * Prints "intervened" when the race ran, then "swept".
 */

declare(strict_types=1);

require dirname(__DIR__, 4) . '/support/WordPress/load.php';

$race ??= '';
$raceAction ??= 0;
$throwForArg ??= 0;
$fatalForArg ??= 0;
$fatalAfterCopyForArg ??= 0;
$fatalAfterFailing ??= 0;
$barrier ??= '';

add_filter('sluice_requeue_stranded', static function (bool $requeue, string $hook, array $args) use ($throwForArg, $fatalForArg): bool {
    if ($hook !== 'sluice_test_counted_task') {
        return $requeue;
    }
    if ($throwForArg > 0 && (int) ($args[0] ?? 0) === $throwForArg) {
        throw new RuntimeException("sluice test: the requeue filter threw for task $throwForArg");
    }
    if ($fatalForArg > 0 && (int) ($args[0] ?? 0) === $fatalForArg) {
        sluice_test_die();
    }
    return true;
}, 10, 3);

add_action('action_scheduler_stored_action', static function (int $id) use ($fatalAfterCopyForArg): void {
    $action = ActionScheduler::store()->fetch_action((string) $id);
    if ($fatalAfterCopyForArg > 0 && $action->get_hook() === 'sluice_test_counted_task'
        && (int) ($action->get_args()[0] ?? 0) === $fatalAfterCopyForArg) {
        sluice_test_die();
    }
});

function sluice_test_die(): never
{
    echo "dying\n";
    set_time_limit(1);
    for ($i = 0; ; $i++) {
        // Burns CPU until "Maximum execution time of 1 second exceeded" (E_ERROR, not catchable).
    }
}

$failingSent = false;
add_filter('query', static function (string $sql) use ($fatalAfterFailing, &$failingSent): string {
    global $wpdb;
    if ($fatalAfterFailing <= 0) {
        return $sql;
    }
    if ($failingSent) {
        $failingSent = false; // once: the fatal error's shutdown queries come here too
        sluice_test_die(); // the UPDATE ran: this is the next query
    }
    $table = preg_quote($wpdb->prefix . 'actionscheduler_actions', '/');
    $failingSent = preg_match("/^\\s*UPDATE\\s+`?{$table}`?\\s+SET\\s+`?status`?\\s*=\\s*'failed'.*\\baction_id`?\\s*=\\s*'?{$fatalAfterFailing}\\b/is", $sql) === 1;
    return $sql;
});

$intervened = false;
add_filter('query', static function (string $sql) use ($race, $raceAction, &$intervened): string {
    global $wpdb;
    if ($intervened || $race === '') {
        return $sql;
    }
    $table = preg_quote($wpdb->prefix . 'actionscheduler_actions', '/');
    if (!preg_match("/^\\s*UPDATE\\s+`?{$table}`?\\s+SET\\s+`?status`?\\s*=\\s*'failed'.*\\baction_id`?\\s*=\\s*'?{$raceAction}\\b/is", $sql)) {
        return $sql;
    }
    $intervened = true;
    if ($race === 'complete') {
        ActionScheduler::store()->mark_complete($raceAction);
    } else {
        ActionScheduler::store()->mark_failure($raceAction);
    }
    echo "intervened\n";
    return $sql;
});

if ($barrier !== '') {
    echo "ready\n";
    while (!file_exists($barrier)) {
        usleep(500);
    }
}
SluiceWP\Plugin::instance()->gate()?->sweep();
echo "swept\n";
