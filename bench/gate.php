<?php
/**
 * bench/gate.sh's driver (on the burn-in's test bed, with bench/gate-probe.php
 * as a must-use plugin): the same fixture pipeline run three ways, each from a
 * clean site, then the gate's figures and their ratios from the probe's samples.
 *
 *   sluice  Sluice on (limit 1), its waiting line on (Sluice's default delays); Data Machine's limiter
 *           neutralised, as Sluice does it
 *   timer   the same with the waiting line off: deferrals wait on their timer alone (1 s, at most 2 s)
 *   both    Sluice on (limit 1) and Data Machine's limiter active too (its default limit 3; the probe
 *           removes Sluice's neutraliser), so each AI step pays both limiters
 *   dm      Sluice off; Data Machine's limiter alone at limit 1 (1 s throttle delay): it parks and resumes
 *   database  as sluice, on the database backend (setting backend = database); then idle queue runs (nothing
 *           due, nothing to sweep) count what a queue run's sweep costs there
 *   pass    another plugin's work: OTHER_ACTIONS actions of a hook that is not AI work, run by one queue
 *           runner at Action Scheduler's default batch size (25), Sluice on
 *
 * Sluice's own queries (bench/gate-probe.php: any query with a Sluice file on the call stack) end the output:
 *   gate-queries pass=<per non-AI action> admit_native=<per admitted AI step> admit_database=<...>
 *                defer_native=<per deferral> sweep_database=<per queue run with nothing to sweep>
 * (an admitted step counts from before_execute to its release and hand-off; the per-minute chart sample,
 * WP-Cron's once a minute, is not a step's).
 *
 * Options: --flows=3 --items=8 (per flow) --runners=4 --latency-ms=500 --modes=sluice,timer,both,dm,database,pass
 */

declare(strict_types=1);

require dirname(__DIR__) . '/support/WordPress/bootstrap.php';
require dirname(__DIR__) . '/demo/burn-in-lib.php';

use Sluice\Demo\BurnIn;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

const OTHER_ACTIONS = 100;
const IDLE_QUEUE_RUNS = 10;

/** @return list<array<string, mixed>> one line per queue run's sweep */
function sweeps(string $dir): array
{
    $rows = [];
    foreach (glob($dir . '/sweeps-*.jsonl') ?: [] as $file) {
        foreach (file($file, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [] as $line) {
            $rows[] = (array) json_decode($line, true);
        }
    }
    return $rows;
}

/** Queue runs with nothing due, one after another: each sweeps once. */
function idleQueueRuns(string $dir): array
{
    update_option('sluice_bench_probe_dir', $dir, true);
    for ($i = 0; $i < IDLE_QUEUE_RUNS; $i++) {
        Runner::cli()->wait(60);
    }
    update_option('sluice_bench_probe_dir', '', true);
    return sweeps($dir);
}

/** Another plugin's actions through the gate (they pass), at Action Scheduler's default batch size. */
function otherPluginPhase(string $dir): array
{
    Site::reset();
    Site::configure(['queue_tuning' => ['batch_size' => 25, 'concurrent_batches' => 2]], [], ['enabled' => true, 'site_limit' => 1]);
    update_option('sluice_bench_probe_dir', $dir, true);
    for ($i = 0; $i < OTHER_ACTIONS; $i++) {
        as_schedule_single_action(time() - 1, 'bench_other_plugin_action', ['n' => $i], 'other-plugin');
    }
    $pending = static fn (): int => count(as_get_scheduled_actions(['hook' => 'bench_other_plugin_action', 'status' => 'pending', 'per_page' => -1], 'ids'));
    Runner::until(static fn (): bool => $pending() === 0, 1, 120, 'WP CLI', false);
    update_option('sluice_bench_probe_dir', '', true);
    return BurnIn::samples($dir);
}

$opt = getopt('', ['flows:', 'items:', 'runners:', 'latency-ms:', 'modes:']);
$base = [
    'flows' => (int) ($opt['flows'] ?? 3),
    'items' => (int) ($opt['items'] ?? 8),
    'runners' => (int) ($opt['runners'] ?? 4),
    'latency_ms' => (int) ($opt['latency-ms'] ?? 500),
    'limit' => 1,
    'wp_cron' => false,
    'live' => false,
    'timeout' => 120,
];
$which = sluice_test_action_scheduler_which();
printf("bench-gate: %d flows x %d items, %d CLI queue runners, provider %d ms, limit 1; Action Scheduler: %s\n",
    $base['flows'], $base['items'], $base['runners'], $base['latency_ms'], $which);

$phases = [
    'sluice' => ['sluice' => true],
    'timer' => ['sluice' => true, 'waiting_line' => false, 'throttle_delay' => 1, 'throttle_delay_max' => 2],
    'both' => ['sluice' => true, 'keep_dm_limiter' => true],
    'dm' => ['sluice' => false, 'dm_limit' => 1, 'dm_throttle_delay' => 1],
    'database' => ['sluice' => true, 'backend' => 'database'],
];
$wanted = explode(',', (string) ($opt['modes'] ?? 'sluice,timer,both,dm,database,pass'));
$m = [];
$idleSweeps = [];
$otherPlugin = [];
foreach (array_intersect_key($phases, array_flip($wanted)) as $name => $config) {
    $dir = BurnIn::probeDir($name);
    $r = BurnIn::run($name, $config + $base + ['probe_dir' => $dir]);
    $samples = BurnIn::samples($dir);
    $ai = array_values(array_filter($samples, [BurnIn::class, 'isAi']));
    $of = static fn (callable $f) => array_values(array_filter($ai, $f));
    $admitted = $of(static fn ($s) => $s['decision'] === 'admit');
    $deferred = $of(static fn ($s) => $s['decision'] === 'defer');
    $ran = $of(static fn ($s) => $s['end'] !== 'ignored' && !$s['parked']);       // AI actions that ran the step
    $parked = $of(static fn ($s) => $s['parked']);
    $passed = array_values(array_filter($samples, static fn ($s) => $s['decision'] === 'pass'));
    $m[$name] = [
        'r' => $r,
        'admitted' => $admitted,
        'deferred' => $deferred,
        'samples' => count($samples),
        'admit_us' => BurnIn::median(array_column($admitted, 'gate_us')),
        'admit_us_mean' => BurnIn::mean(array_column($admitted, 'gate_us')),
        'defer_us' => BurnIn::median(array_column($deferred, 'gate_us')),
        'defer_us_mean' => BurnIn::mean(array_column($deferred, 'gate_us')),
        'pass_us' => BurnIn::median(array_column($passed, 'gate_us')),
        'off_us' => BurnIn::median(array_column($samples, 'gate_us')),
        'release_us' => BurnIn::median(array_filter(array_column($admitted, 'release_us'), 'is_numeric')),
        'action_ms' => ($x = BurnIn::median(array_column($ran, 'action_us'))) === null ? null : $x / 1000,
        'n_admit' => count($admitted),
        'n_defer' => count($deferred),
        'n_ran' => count($ran),
        'n_parked' => count($parked),
        'q_ai' => BurnIn::mean(array_column($ran, 'queries')),
        'q_deferral' => BurnIn::mean(array_column($deferred, 'queries')),
        'q_park' => BurnIn::mean(array_column($parked, 'queries')),
        'q_pass' => BurnIn::mean(array_column($passed, 'queries')),
        'q_item' => $r['processed'] > 0 ? array_sum(array_column($ai, 'queries')) / $r['processed'] : null,
        'ratio' => $r['makespan'] / $r['ideal'],
        'sq_admit' => BurnIn::mean(array_column($admitted, 'sluice_queries')),
        'sq_defer' => BurnIn::mean(array_column($deferred, 'sluice_queries')),
        'sq_pass' => BurnIn::mean(array_column($passed, 'sluice_queries')),
        'sq_sweep' => BurnIn::mean(array_column(sweeps($dir), 'sluice_queries')),
    ];
    if ($name === 'database') {
        $idleSweeps = idleQueueRuns(BurnIn::probeDir('database-idle'));
    }
}
if (in_array('pass', $wanted, true)) {
    $otherPlugin = array_values(array_filter(otherPluginPhase(BurnIn::probeDir('pass')), static fn ($s) => $s['hook'] === 'bench_other_plugin_action'));
}

$f = static fn (?float $x, string $fmt = '%.1f') => $x === null ? '-' : sprintf($fmt, $x);
$rows = [
    ['AI items processed', static fn ($x) => "{$x['r']['processed']}/{$x['r']['items']}" . ($x['r']['stranded'] ? " ({$x['r']['stranded']} stranded)" : '')],
    ['jobs failed', static fn ($x) => (string) $x['r']['failed']],
    ['provider max in flight', static fn ($x) => (string) $x['r']['max_in_flight']],
    ['makespan / ideal', static fn ($x) => sprintf('%.2f (%.1f / %.1f s)', $x['ratio'], $x['r']['makespan'], $x['r']['ideal'])],
    ['gate, admit: us (median; mean)', static fn ($x) => $x['n_admit'] ? $f($x['admit_us']) . '; ' . $f($x['admit_us_mean']) . " n={$x['n_admit']}" : '-'],
    ['gate, defer: us (median; mean)', static fn ($x) => $x['n_defer'] ? $f($x['defer_us']) . '; ' . $f($x['defer_us_mean']) . " n={$x['n_defer']}" : '-'],
    ['gate, admit: SQL queries in the gate', static fn ($x) => $x['n_admit'] ? $f(BurnIn::mean(array_column($x['admitted'], 'gate_queries'))) : '-'],
    ['gate, defer: SQL queries in the gate', static fn ($x) => $x['n_defer'] ? $f(BurnIn::mean(array_column($x['deferred'], 'gate_queries'))) : '-'],
    ['gate, pass (not AI work): us (median)', static fn ($x) => $f($x['pass_us'])],
    ['gate listener with Sluice off: us (median)', static fn ($x) => $x['r']['sluice'] ? '-' : $f($x['off_us'])],
    ['release (after_execute): us (median)', static fn ($x) => $f($x['release_us'])],
    ['AI action that ran its step: ms (median)', static fn ($x) => $f($x['action_ms'])],
    ['SQL queries per AI action that ran', static fn ($x) => $f($x['q_ai']) . " n={$x['n_ran']}"],
    ['SQL queries per deferral (Sluice)', static fn ($x) => $x['n_defer'] ? $f($x['q_deferral']) . " n={$x['n_defer']}" : '-'],
    ['SQL queries per park (Data Machine)', static fn ($x) => $x['n_parked'] ? $f($x['q_park']) . " n={$x['n_parked']}" : '-'],
    ['SQL queries per non-AI step', static fn ($x) => $f($x['q_pass'])],
    ['SQL queries per AI item, all its actions', static fn ($x) => $f($x['q_item'])],
    ['deferrals (Sluice + Data Machine)', static fn ($x) => (string) BurnIn::deferrals($x['r'])],
    ['Sluice\'s queries per admitted AI step', static fn ($x) => $x['r']['sluice'] && $x['n_admit'] ? $f($x['sq_admit'], '%.2f') : '-'],
    ['Sluice\'s queries per deferral', static fn ($x) => $x['r']['sluice'] && $x['n_defer'] ? $f($x['sq_defer'], '%.2f') : '-'],
    ['Sluice\'s queries per non-AI Data Machine step', static fn ($x) => $x['r']['sluice'] ? $f($x['sq_pass'], '%.2f') : '-'],
    ['Sluice\'s queries per queue run\'s sweep', static fn ($x) => $x['r']['sluice'] ? $f($x['sq_sweep'], '%.2f') : '-'],
];
echo "\n";
BurnIn::printTable('', $m, $rows);

$ratio = static fn (?float $a, ?float $b) => $a === null || $b === null || $b == 0 ? null : $a / $b;
$s = $m['sluice'] ?? null;
echo "\nratios (same run):\n";
if ($s !== null) {
    printf("  gate defer / admit time                       %s\n", $f($ratio($s['defer_us'], $s['admit_us']), '%.2f'));
    printf("  gate admit / AI action wall time              %s\n", $f($ratio($s['admit_us'], $s['action_ms'] === null ? null : $s['action_ms'] * 1000), '%.5f'));
    printf("  queries per deferral / per AI action          %s\n", $f($ratio($s['q_deferral'], $s['q_ai']), '%.2f'));
}
foreach (['timer' => 'Sluice, line off', 'both' => 'Sluice + Data Machine', 'dm' => 'Data Machine alone'] as $other => $what) {
    if ($s !== null && isset($m[$other])) {
        printf("  queries per AI action, %-22s / Sluice alone  %s\n", $what, $f($ratio($m[$other]['q_ai'], $s['q_ai']), '%.2f'));
        printf("  queries per AI item,   %-22s / Sluice alone  %s\n", $what, $f($ratio($m[$other]['q_item'], $s['q_item']), '%.2f'));
        printf("  makespan / ideal,      %-22s / Sluice alone  %s\n", $what, $f($ratio($m[$other]['ratio'], $s['ratio']), '%.2f'));
        printf("  deferrals,             %-22s / Sluice alone  %s\n", $what, $f($ratio((float) BurnIn::deferrals($m[$other]['r']), (float) BurnIn::deferrals($s['r'])), '%.2f'));
    }
}
printf("\ngate_admit_us=%s gate_defer_us=%s queries_per_ai_action=%s queries_per_ai_action_with_dm_limiter=%s queries_per_deferral=%s makespan_ratio=%s makespan_ratio_line_off=%s deferrals_per_item=%s deferrals_per_item_line_off=%s action_scheduler=%s\n",
    $f($s['admit_us'] ?? null), $f($s['defer_us'] ?? null), $f($s['q_ai'] ?? null), $f($m['both']['q_ai'] ?? null),
    $f($s['q_deferral'] ?? null), $f($s['ratio'] ?? null, '%.2f'), $f($m['timer']['ratio'] ?? null, '%.2f'),
    $f(isset($s) ? BurnIn::deferrals($s['r']) / $s['r']['items'] : null, '%.2f'),
    $f(isset($m['timer']) ? BurnIn::deferrals($m['timer']['r']) / $m['timer']['r']['items'] : null, '%.2f'), $which);

$g = static fn (?float $x) => $x === null ? '-' : sprintf('%.2f', $x);
if ($otherPlugin !== []) {
    printf("\nanother plugin's actions: %d passed, Sluice's queries per action %s (batches of 25, one runner)\n",
        count($otherPlugin), $g(BurnIn::mean(array_column($otherPlugin, 'sluice_queries'))));
}
if ($idleSweeps !== []) {
    printf("database backend, %d idle queue runs: Sluice's queries per sweep %s\n", count($idleSweeps), $g(BurnIn::mean(array_column($idleSweeps, 'sluice_queries'))));
}
printf("gate-queries pass=%s admit_native=%s admit_database=%s defer_native=%s sweep_database=%s\n",
    $g($otherPlugin !== [] ? BurnIn::mean(array_column($otherPlugin, 'sluice_queries')) : null),
    $g($m['sluice']['sq_admit'] ?? null), $g($m['database']['sq_admit'] ?? null), $g($m['sluice']['sq_defer'] ?? null),
    $g($idleSweeps !== [] ? BurnIn::mean(array_column($idleSweeps, 'sluice_queries')) : null));
