<?php
/**
 * Plugin Name: Sluice bench probe (BENCH ONLY)
 * Description: Must-use plugin that bench/gate.sh, bench/line.sh and `make bench-burn-in` add to the test site (never shipped, never in the test suites). Per scheduled action it measures the time spent in the action_scheduler_before_execute listeners around Sluice's (Sluice listens at priority 1; this probe at 0 and 2), the time of Sluice's release listener (after_execute, priority 1) the same way, the SQL queries ($wpdb->num_queries) from before_execute to the action's end (after_execute, execution_ignored or failed_execution), and the queries of the release and the hand-off it makes (Handoffs::wake(), run inside Sluice's release listener right after the release: from after_execute priority 0 to the first listener of sluice_lease_released, which Sluice fires once the wake is done), with the number of wakes among them (each wake pulls its ticket's copy forward with one UPDATE of the copy's scheduled date). One JSON line per action goes to <dir>/samples-<pid>.jsonl, dir from the option sluice_bench_probe_dir (nothing is written while it is unset).
 *
 * Sluice's own queries are counted apart: every $wpdb query (the `query` filter) made while a file of the Sluice plugin is on the call stack, whatever table it reads (Action Scheduler's and Data Machine's included when Sluice calls them). Each action's sample carries them as sluice_queries; each queue run's sweep (Sluice's listener of action_scheduler_before_process_queue) writes one line {sluice_queries} to <dir>/sweeps-<pid>.jsonl.
 *
 * The option sluice_bench_keep_dm_limiter (true) removes Sluice's neutraliser of Data Machine's limiter, so both limiters act at once.
 * The hook bench_other_plugin_action does nothing: bench/gate.php schedules it as another plugin's work.
 */

declare(strict_types=1);

defined('ABSPATH') || exit;

/** @return array<string, mixed> the action in flight: what the probe learned about it so far */
function sluice_bench_probe(?array $set = null): array
{
    static $current = [];
    if ($set !== null) {
        $current = $set;
    }
    return $current;
}

/** Queries made so far in this process with a file of the Sluice plugin on the call stack ($count: one more). */
function sluice_bench_probe_sluice_queries(bool $count = false): int
{
    static $n = 0;
    return $count ? ++$n : $n;
}
add_filter('query', static function ($query) {
    static $plugin = null;
    $plugin ??= (string) realpath(WP_PLUGIN_DIR . '/sluice') . '/';
    foreach (debug_backtrace(DEBUG_BACKTRACE_IGNORE_ARGS) as $frame) {
        if (isset($frame['file']) && str_starts_with($frame['file'], $plugin)) {
            sluice_bench_probe_sluice_queries(true);
            break;
        }
    }
    return $query;
}, PHP_INT_MAX);
add_action('bench_other_plugin_action', '__return_null');

// Each queue run's sweep: Sluice's listener sits between these two.
add_action('action_scheduler_before_process_queue', static function (): void {
    $GLOBALS['sluice_bench_probe_sweep_q0'] = sluice_bench_probe_sluice_queries();
}, PHP_INT_MIN, 0);
add_action('action_scheduler_before_process_queue', static function (): void {
    $dir = get_option('sluice_bench_probe_dir');
    if (is_string($dir) && $dir !== '' && is_dir($dir) && isset($GLOBALS['sluice_bench_probe_sweep_q0'])) {
        $row = ['sluice_queries' => sluice_bench_probe_sluice_queries() - $GLOBALS['sluice_bench_probe_sweep_q0']];
        file_put_contents($dir . '/sweeps-' . getmypid() . '.jsonl', json_encode($row) . "\n", FILE_APPEND | LOCK_EX);
    }
}, PHP_INT_MAX, 0);

add_action('action_scheduler_before_execute', static function ($actionId): void {
    global $wpdb;
    sluice_bench_probe(['id' => (int) $actionId, 'q0' => $wpdb->num_queries, 'sq0' => sluice_bench_probe_sluice_queries(), 't0' => hrtime(true), 'decision' => null, 'step' => null, 'parked' => false]);
}, 0, 1);
add_action('action_scheduler_before_execute', static function ($actionId): void {
    $t = hrtime(true);
    $p = sluice_bench_probe();
    if (($p['id'] ?? 0) === (int) $actionId) {
        global $wpdb;
        $p['gate_us'] = ($t - $p['t0']) / 1000;
        $p['gate_queries'] = $wpdb->num_queries - $p['q0'];
        sluice_bench_probe($p);
    }
}, 2, 1);

add_action('sluice_gate_decision', static function (string $decision, int $actionId): void {
    $p = sluice_bench_probe();
    if (($p['id'] ?? 0) === $actionId) {
        $p['decision'] = $decision;
        sluice_bench_probe($p);
    }
}, 10, 2);
add_action('datamachine_fixture_step_started', static function ($jobId, $flowStepId, $type): void {
    $p = sluice_bench_probe();
    if ($p !== []) {
        $p['step'] = (string) $type;
        sluice_bench_probe($p);
    }
}, 10, 3);
add_action('datamachine_log', static function ($level, $message): void {
    $p = sluice_bench_probe();
    if ($p !== [] && $message === 'Pipeline AI step deferred by concurrency limit') {
        $p['parked'] = true; // Data Machine's own limiter parked the step
        sluice_bench_probe($p);
    }
}, 10, 2);

// Sluice's release listener (priority 1 on each end hook) timed like the gate; the queries of the release
// and its hand-off counted from here to the first listener of sluice_lease_released (after the wake).
add_action('action_scheduler_after_execute', static function (): void {
    global $wpdb;
    $p = sluice_bench_probe();
    if ($p !== []) {
        $p['r0'] = hrtime(true);
        $p['rq0'] = $wpdb->num_queries;
        sluice_bench_probe($p);
        sluice_bench_probe_wakes('open');
    }
}, 0, 0);
add_action('sluice_lease_released', static function (): void {
    global $wpdb;
    $p = sluice_bench_probe();
    if (isset($p['rq0']) && !isset($p['release_queries'])) {
        $p['release_queries'] = $wpdb->num_queries - $p['rq0'];
        $p['wakes'] = sluice_bench_probe_wakes();
        sluice_bench_probe($p);
    }
}, PHP_INT_MIN, 0);
add_action('action_scheduler_after_execute', static function (): void {
    $t = hrtime(true);
    $p = sluice_bench_probe();
    if (isset($p['r0'])) {
        $p['release_us'] = ($t - $p['r0']) / 1000;
        sluice_bench_probe($p);
    }
    sluice_bench_probe_wakes('close');
}, 2, 0);

/**
 * The wakes (pull-forward UPDATEs of Action Scheduler's copies) counted while Sluice's release listener
 * runs: 'open' starts the count at 0, 'close' stops it, 'seen' adds one while open, 'read' returns it.
 */
function sluice_bench_probe_wakes(string $op = 'read'): int
{
    static $count = null;
    match ($op) {
        'open' => $count = 0,
        'close' => $count = null,
        'seen' => $count !== null && $count++,
        default => null,
    };
    return (int) $count;
}
add_filter('query', static function ($query) {
    if (is_string($query) && preg_match('/^\s*UPDATE\s+\S*actionscheduler_actions\s+SET\s+scheduled_date_gmt\b/i', $query)) {
        sluice_bench_probe_wakes('seen');
    }
    return $query;
}, PHP_INT_MAX);

foreach (['action_scheduler_after_execute' => 'complete', 'action_scheduler_execution_ignored' => 'ignored', 'action_scheduler_failed_execution' => 'failed'] as $hook => $end) {
    add_action($hook, static function ($actionId) use ($end): void {
        global $wpdb;
        $queries = $wpdb->num_queries;
        $sluiceQueries = sluice_bench_probe_sluice_queries();
        $t = hrtime(true);
        $p = sluice_bench_probe();
        if (($p['id'] ?? 0) !== (int) $actionId) {
            return;
        }
        sluice_bench_probe([]);
        $dir = get_option('sluice_bench_probe_dir');
        if (!is_string($dir) || $dir === '' || !is_dir($dir)) {
            return;
        }
        $action = ActionScheduler::store()->fetch_action((string) $actionId);
        $row = [
            'id' => (int) $actionId,
            'hook' => $action->get_hook(),
            'end' => $end,
            'decision' => $p['decision'],
            'step' => $p['step'],
            'parked' => $p['parked'],
            'queries' => $queries - $p['q0'],
            'sluice_queries' => $sluiceQueries - $p['sq0'],
            'gate_us' => $p['gate_us'] ?? null,
            'gate_queries' => $p['gate_queries'] ?? null,
            'release_us' => $p['release_us'] ?? null,
            'release_queries' => $p['release_queries'] ?? null,
            'wakes' => $p['wakes'] ?? null,
            'action_us' => ($t - $p['t0']) / 1000,
        ];
        file_put_contents($dir . '/samples-' . getmypid() . '.jsonl', json_encode($row) . "\n", FILE_APPEND | LOCK_EX);
    }, 1000, 1);
}

// Both limiters at once: Sluice's neutraliser of Data Machine's limiter (priority PHP_INT_MAX) goes.
add_action('plugins_loaded', static function (): void {
    if (get_option('sluice_bench_keep_dm_limiter')) {
        foreach (['datamachine_pipeline_ai_concurrency_limit', 'datamachine_pipeline_ai_provider_concurrency_limit', 'datamachine_pipeline_ai_concurrency_lease_ttl'] as $filter) {
            remove_all_filters($filter, PHP_INT_MAX);
        }
    }
}, 21);
