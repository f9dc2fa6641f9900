<?php
/**
 * What a conformance runner process (bin/queue-runner.php) adds to the test site, driven by environment
 * variables set by SchedulerConformanceTest. Test-only; loaded after WordPress, before the queue runs.
 *
 *   SLUICE_CONFORMANCE_EVENTS              file to append "<pid> <event> <action id or tag>" lines to
 *   SLUICE_CONFORMANCE_BATCH_SIZE          action_scheduler_queue_runner_batch_size
 *   SLUICE_CONFORMANCE_CONCURRENT_BATCHES  action_scheduler_queue_runner_concurrent_batches
 *   SLUICE_CONFORMANCE_SLEEP_US            how long the counting callback works
 *   SLUICE_CONFORMANCE_BARRIER             wait (up to 20 s) until this file exists, after creating
 *                                          "<barrier>.ready.<pid>", so several runners claim at the same time
 *   SLUICE_CONFORMANCE_MEET                with the barrier: the counting callback's first run in this process
 *                                          creates "<barrier>.working.<pid>" and waits (up to 20 s) until this
 *                                          many runners have, so that each of them holds a claim while the
 *                                          others claim (however late the machine's scheduler starts one)
 *
 * Hooks of the queue run: "before_process_queue claimed=<pending actions under a claim at that moment>",
 * "after_process_queue -".
 *
 * Callbacks (hooks the tests schedule):
 *   sluice_conformance_count( $n )  records "ran <n>", then sleeps SLUICE_CONFORMANCE_SLEEP_US
 *   sluice_conformance_exit( $n )   records "ran <n>", then exit (no error)
 *   sluice_conformance_fatal( $n )  records "ran <n>", then runs past a 1 s max_execution_time (E_ERROR)
 */

declare(strict_types=1);

function sluice_conformance_record(string $event, $what): void
{
    $file = getenv('SLUICE_CONFORMANCE_EVENTS');
    if ($file) {
        file_put_contents($file, getmypid() . " {$event} {$what}\n", FILE_APPEND | LOCK_EX);
    }
}

foreach (['action_scheduler_before_execute' => 'before_execute', 'action_scheduler_begin_execute' => 'begin_execute',
          'action_scheduler_after_execute' => 'after_execute', 'action_scheduler_execution_ignored' => 'execution_ignored',
          'action_scheduler_failed_execution' => 'failed_execution', 'action_scheduler_failed_validation' => 'failed_validation',
          'action_scheduler_unexpected_shutdown' => 'unexpected_shutdown', 'action_scheduler_failed_action' => 'failed_action',
          'action_scheduler_completed_action' => 'completed_action'] as $hook => $event) {
    add_action($hook, static function ($actionId) use ($event): void {
        sluice_conformance_record($event, $actionId);
    }, 1, 1);
}
// With how many actions this process has claimed at that moment (0 for a runner that claims after the hook).
add_action('action_scheduler_before_process_queue', static function (): void {
    global $wpdb;
    $claimed = (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}actionscheduler_actions WHERE claim_id <> 0 AND status = 'pending'");
    sluice_conformance_record('before_process_queue', "claimed={$claimed}");
});
add_action('action_scheduler_after_process_queue', static function (): void {
    sluice_conformance_record('after_process_queue', '-');
});

foreach (['BATCH_SIZE' => 'action_scheduler_queue_runner_batch_size',
          'CONCURRENT_BATCHES' => 'action_scheduler_queue_runner_concurrent_batches'] as $env => $filter) {
    $value = getenv("SLUICE_CONFORMANCE_{$env}");
    if ($value !== false && $value !== '') {
        add_filter($filter, static fn () => (int) $value, PHP_INT_MAX);
    }
}

add_action('sluice_conformance_count', static function ($n): void {
    sluice_conformance_record('ran', $n);
    static $met = false;
    $meet = (int) getenv('SLUICE_CONFORMANCE_MEET');
    $barrier = (string) getenv('SLUICE_CONFORMANCE_BARRIER');
    if (!$met && $meet > 1 && $barrier !== '') {
        $met = true;
        touch($barrier . '.working.' . getmypid());
        $deadline = microtime(true) + 20;
        while (count((array) glob($barrier . '.working.*')) < $meet && microtime(true) < $deadline) {
            usleep(2000);
        }
    }
    usleep((int) getenv('SLUICE_CONFORMANCE_SLEEP_US'));
});
add_action('sluice_conformance_exit', static function ($n): void {
    sluice_conformance_record('ran', $n);
    exit(0);
});
add_action('sluice_conformance_fatal', static function ($n): void {
    sluice_conformance_record('ran', $n);
    set_time_limit(1);
    for ($i = 0; ; $i++) {
        // Burns CPU until "Maximum execution time of 1 second exceeded" (E_ERROR, not catchable).
    }
});

$barrier = getenv('SLUICE_CONFORMANCE_BARRIER');
if ($barrier) {
    touch($barrier . '.ready.' . getmypid());
    $deadline = microtime(true) + 20;
    while (!file_exists($barrier) && microtime(true) < $deadline) {
        usleep(2000);
    }
}
