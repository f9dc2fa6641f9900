<?php
/**
 * Plugin Name: Sluice capacity bench probe (BENCH ONLY)
 * Description: Must-use plugin that bench/capacity.sh adds to its test site (never shipped, never in the test suites). It times the AI steps of the Data Machine fixture by the bench's own clock, around Sluice's gate rather than from its counters, appending lines "<event> <job id> <unix time with microseconds>" to <dir>/probe-<pid>.log (dir from the option sluice_bench_capacity_dir; nothing is written while it is unset): `seen` each time Action Scheduler starts the step or a copy of it (action_scheduler_before_execute, priority 0: before Sluice's gate at 1); `start` when the step itself starts (the fixture's datamachine_fixture_step_started), stamped with the time the gate let the action through (before_execute, priority 2: its slots just taken); `end` when the action ended (action_scheduler_after_execute, priority 2: Sluice gave the slots back at 1). The bench takes a job's first `seen` as its arrival, `start` as the end of its wait and `start`..`end` as its slots' busy time.
 */

declare(strict_types=1);

defined('ABSPATH') || exit;

/** The AI step this process runs now: [action id, job id, gate passed at, step started] (action id 0: none). */
function sluice_bench_capacity_current(?array $set = null): array
{
    static $current = [0, 0, 0.0, false];
    if ($set !== null) {
        $current = $set;
    }
    return $current;
}

function sluice_bench_capacity_write(string $event, int $job, float $at): void
{
    $dir = (string) get_option('sluice_bench_capacity_dir', '');
    if ($dir !== '' && is_dir($dir)) {
        file_put_contents($dir . '/probe-' . getmypid() . '.log', sprintf("%s %d %.6F\n", $event, $job, $at), FILE_APPEND | LOCK_EX);
    }
}

add_action('action_scheduler_before_execute', static function ($actionId): void {
    $at = microtime(true);
    sluice_bench_capacity_current([0, 0, 0.0, false]);
    if ((string) get_option('sluice_bench_capacity_dir', '') === '') {
        return;
    }
    $action = \ActionScheduler::store()->fetch_action((string) $actionId);
    $args = $action->get_args();
    if ($action->get_hook() !== 'datamachine_execute_step' || !str_contains((string) ($args['flow_step_id'] ?? ''), '-ai_')) {
        return;
    }
    sluice_bench_capacity_current([(int) $actionId, (int) ($args['job_id'] ?? 0), 0.0, false]);
    sluice_bench_capacity_write('seen', (int) ($args['job_id'] ?? 0), $at);
}, 0);

add_action('action_scheduler_before_execute', static function ($actionId): void {
    [$action, $job] = sluice_bench_capacity_current();
    if ($action === (int) $actionId) {
        sluice_bench_capacity_current([$action, $job, microtime(true), false]);
    }
}, 2);

add_action('datamachine_fixture_step_started', static function ($jobId, $flowStepId, $type): void {
    [$action, $job, $passedAt] = sluice_bench_capacity_current();
    if ($type === 'ai' && $action > 0 && $job === (int) $jobId && $passedAt > 0.0) {
        sluice_bench_capacity_write('start', $job, $passedAt);
        sluice_bench_capacity_current([$action, $job, $passedAt, true]);
    }
}, 10, 3);

add_action('action_scheduler_after_execute', static function ($actionId): void {
    [$action, $job, , $started] = sluice_bench_capacity_current();
    if ($action === (int) $actionId && $started) {
        sluice_bench_capacity_write('end', $job, microtime(true)); // a deferred run never started its step
    }
    sluice_bench_capacity_current([0, 0, 0.0, false]);
}, 2);
