<?php
/**
 * Plugin Name: Sluice capacity bench probe (BENCH ONLY)
 * Description: Must-use plugin that bench/capacity.sh adds to its test site (never shipped, never in the test suites). Each time Action Scheduler starts an AI step of the Data Machine fixture (datamachine_execute_step on an "-ai_" flow step: the step itself, or a deferred copy of it), it appends "<job id> <unix time with microseconds>" to <dir>/seen-<pid>.log, before Sluice's gate (priority 1) sees the action; dir from the option sluice_bench_capacity_dir (nothing is written while it is unset). The bench takes each job's first line as the step's arrival, by its own clock rather than Sluice's counters.
 */

declare(strict_types=1);

defined('ABSPATH') || exit;

add_action('action_scheduler_before_execute', static function ($actionId): void {
    $dir = (string) get_option('sluice_bench_capacity_dir', '');
    if ($dir === '' || !is_dir($dir)) {
        return;
    }
    $at = microtime(true);
    $action = \ActionScheduler::store()->fetch_action((string) $actionId);
    if ($action->get_hook() !== 'datamachine_execute_step') {
        return;
    }
    $args = $action->get_args();
    if (!str_contains((string) ($args['flow_step_id'] ?? ''), '-ai_')) {
        return;
    }
    file_put_contents($dir . '/seen-' . getmypid() . '.log', sprintf("%d %.6F\n", (int) ($args['job_id'] ?? 0), $at), FILE_APPEND | LOCK_EX);
}, 0);
