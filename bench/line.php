<?php
/**
 * bench/line.sh's driver (on the burn-in's test bed, with bench/gate-probe.php
 * as a must-use plugin): the waiting line against the fixed delay, in one run,
 * each phase a burn-in (demo/burn-in-lib.php's BurnIn) from a clean site.
 *
 *   a  3 flows x 4 items, limit 1, 2 s provider calls
 *   b  3 flows x 10 items, limit 2, 2 s provider calls
 *
 * each with Sluice's waiting line (its default delays: the timer is only the fallback for a lost wake) and
 * with a fixed delay (waiting_line off: deferrals wait on a 1 s timer, at most 2 s). Reports makespan /
 * ideal, the hand-off delay (the end that freed a slot to the next AI step's start, Site::aiRuns()), SQL
 * queries per deferral (the gate's defer path) and per wake (the pull-forward in Sluice's release
 * listener), and Action Scheduler rows (actions, logs) written per deferred item. Last line: the summary.
 *
 * Options: --phases=a,b --modes=line,fixed --latency-ms=2000 --runners=4 --request-timeout=5 --no-wp-cron
 */

declare(strict_types=1);

require dirname(__DIR__) . '/support/WordPress/bootstrap.php';
require dirname(__DIR__) . '/demo/burn-in-lib.php';

use Sluice\Demo\BurnIn;
use Sluice\Support\WordPress\Site;

$opt = getopt('', ['phases:', 'modes:', 'latency-ms:', 'runners:', 'request-timeout:', 'no-wp-cron']);
$latency = (int) ($opt['latency-ms'] ?? 2000);
$base = [
    'runners' => (int) ($opt['runners'] ?? 4),
    'latency_ms' => $latency,
    'request_timeout' => (float) ($opt['request-timeout'] ?? 5),
    'wp_cron' => !isset($opt['no-wp-cron']),
    'live' => false,
    'timeout' => 300,
    'sluice' => true,
];
$shapes = [
    'a' => ['flows' => 3, 'items' => 4, 'limit' => 1],
    'b' => ['flows' => 3, 'items' => 10, 'limit' => 2],
];
$modes = [
    'line' => ['waiting_line' => true],
    'fixed' => ['waiting_line' => false, 'throttle_delay' => 1, 'throttle_delay_max' => 2],
];
$which = sluice_test_action_scheduler_which();
printf("bench-line: the waiting line vs a fixed delay (1-2 s timer), provider %d ms per call, %d CLI queue runners%s; Action Scheduler: %s\n",
    $latency, $base['runners'], $base['wp_cron'] ? ' + WP-Cron through PHP-FPM every second' : '', $which);

/**
 * Action Scheduler's rows for the AI steps of the run that just ended: identical copies (same args) are
 * one item; an item with more than one action row was deferred.
 *
 * @return array{items: int, deferred_items: int, actions: int, logs: int, deferred_actions: int, deferred_logs: int}
 */
$asRows = static function (): array {
    global $wpdb;
    $logs = [];
    foreach ($wpdb->get_results("SELECT action_id, COUNT(*) AS n FROM {$wpdb->prefix}actionscheduler_logs GROUP BY action_id", ARRAY_A) as $row) {
        $logs[(int) $row['action_id']] = (int) $row['n'];
    }
    $items = [];
    foreach (Site::aiActions() as $action) {
        $item = &$items[(string) $action['args']];
        $item['actions'] = ($item['actions'] ?? 0) + 1;
        $item['logs'] = ($item['logs'] ?? 0) + ($logs[(int) $action['action_id']] ?? 0);
        unset($item);
    }
    $deferred = array_filter($items, static fn (array $i) => $i['actions'] > 1);
    return [
        'items' => count($items),
        'deferred_items' => count($deferred),
        'actions' => array_sum(array_column($items, 'actions')),
        'logs' => array_sum(array_column($items, 'logs')),
        'deferred_actions' => array_sum(array_column($deferred, 'actions')),
        'deferred_logs' => array_sum(array_column($deferred, 'logs')),
    ];
};

$m = [];
foreach (explode(',', (string) ($opt['phases'] ?? 'a,b')) as $shape) {
    foreach (explode(',', (string) ($opt['modes'] ?? 'line,fixed')) as $mode) {
        $name = "$shape-$mode";
        $dir = BurnIn::probeDir($name);
        $r = BurnIn::run($name, $shapes[$shape] + $modes[$mode] + $base + ['probe_dir' => $dir]);
        $rows = $asRows();
        $ai = array_values(array_filter(BurnIn::samples($dir), [BurnIn::class, 'isAi']));
        $deferred = array_values(array_filter($ai, static fn ($s) => $s['decision'] === 'defer'));
        $released = array_values(array_filter($ai, static fn ($s) => $s['release_queries'] !== null));
        $woke = array_values(array_filter($released, static fn ($s) => $s['wakes'] > 0));
        $quiet = array_values(array_filter($released, static fn ($s) => $s['wakes'] === 0));
        $wakes = array_sum(array_column($woke, 'wakes'));
        $m[$name] = [
            'shape' => $shape,
            'mode' => $mode,
            'r' => $r,
            'rows' => $rows,
            'ratio' => $r['makespan'] / $r['ideal'],
            'handoff_median' => BurnIn::median($r['handoffs_ms']),
            'handoff_p90' => BurnIn::percentile($r['handoffs_ms'], 90),
            'n_defer' => count($deferred),
            'q_defer_gate' => BurnIn::mean(array_column($deferred, 'gate_queries')),
            'q_defer_action' => BurnIn::mean(array_column($deferred, 'queries')),
            'wakes' => $wakes,
            // The release listener's queries with a wake, beyond those of a release with none, per wake.
            'q_release' => BurnIn::mean(array_column($quiet, 'release_queries')),
            'q_wake' => $wakes > 0 ? (array_sum(array_column($woke, 'release_queries')) - count($woke) * (BurnIn::mean(array_column($quiet, 'release_queries')) ?? 0.0)) / $wakes : null,
        ];
        printf("  %-8s makespan %.1f s (ideal %.1f s)  processed %d/%d  failed %d  provider max %d (limit %d)  deferrals %d  wakes %d%s\n",
            $name, $r['makespan'], $r['ideal'], $r['processed'], $r['items'], $r['failed'], $r['max_in_flight'], $r['limit'],
            BurnIn::deferrals($r), $wakes, $r['timed_out'] !== null ? "  (stopped: {$r['timed_out']})" : '');
    }
}

$f = static fn (?float $x, string $fmt = '%.1f') => $x === null ? '-' : sprintf($fmt, $x);
$per = static fn (int $a, int $b) => $b > 0 ? $a / $b : null;
$rows = [
    ['flows x items, limit', static fn ($x) => sprintf('%d x %d, limit %d', $shapes[$x['shape']]['flows'], $shapes[$x['shape']]['items'], $x['r']['limit'])],
    ['makespan / ideal', static fn ($x) => sprintf('%.2f (%.1f / %.1f s)', $x['ratio'], $x['r']['makespan'], $x['r']['ideal'])],
    ['items processed', static fn ($x) => "{$x['r']['processed']}/{$x['r']['items']}"],
    ['jobs failed', static fn ($x) => (string) $x['r']['failed']],
    ['provider max in flight', static fn ($x) => (string) $x['r']['max_in_flight']],
    ['deferrals', static fn ($x) => (string) BurnIn::deferrals($x['r'])],
    ['hand-off delay ms (median; p90)', static fn ($x) => $f($x['handoff_median'], '%.0f') . '; ' . $f($x['handoff_p90'], '%.0f') . ' n=' . count($x['r']['handoffs_ms'])],
    ['wakes (pull-forwards)', static fn ($x) => (string) $x['wakes']],
    ['SQL queries per deferral, gate', static fn ($x) => $x['n_defer'] ? $f($x['q_defer_gate']) . " n={$x['n_defer']}" : '-'],
    ['SQL queries per deferral, whole action', static fn ($x) => $x['n_defer'] ? $f($x['q_defer_action']) : '-'],
    ['SQL queries per release, no wake', static fn ($x) => $f($x['q_release'])],
    ['SQL queries per wake', static fn ($x) => $f($x['q_wake'])],
    ['AS action rows per item', static fn ($x) => $f($per($x['rows']['actions'], $x['rows']['items']), '%.2f')],
    ['AS log rows per item', static fn ($x) => $f($per($x['rows']['logs'], $x['rows']['items']), '%.2f')],
    ['deferred items', static fn ($x) => "{$x['rows']['deferred_items']}/{$x['rows']['items']}"],
    ['AS action rows per deferred item', static fn ($x) => $f($per($x['rows']['deferred_actions'], $x['rows']['deferred_items']), '%.2f')],
    ['AS log rows per deferred item', static fn ($x) => $f($per($x['rows']['deferred_logs'], $x['rows']['deferred_items']), '%.2f')],
];
echo "\n";
BurnIn::printTable('', $m, $rows, 24);

$ratio = static fn (?float $a, ?float $b) => $a === null || $b === null || $b == 0 ? null : $a / $b;
echo "\nratios (same run), fixed delay / waiting line:\n";
foreach (array_keys($shapes) as $shape) {
    [$l, $x] = [$m["$shape-line"] ?? null, $m["$shape-fixed"] ?? null];
    if ($l === null || $x === null) {
        continue;
    }
    printf("  (%s) makespan %s, deferrals %s, hand-off median %s, AS action rows per item %s, AS log rows per item %s\n", $shape,
        $f($ratio($x['ratio'], $l['ratio']), '%.2f'),
        $f($ratio((float) BurnIn::deferrals($x['r']), (float) BurnIn::deferrals($l['r'])), '%.2f'),
        $f($ratio($x['handoff_median'], $l['handoff_median']), '%.1f'),
        $f($ratio($per($x['rows']['actions'], $x['rows']['items']), $per($l['rows']['actions'], $l['rows']['items'])), '%.2f'),
        $f($ratio($per($x['rows']['logs'], $x['rows']['items']), $per($l['rows']['logs'], $l['rows']['items'])), '%.2f'));
}
echo "\nAction Scheduler: $which\n";

$summary = [];
foreach ($m as $name => $x) {
    $k = str_replace('-', '_', $name);
    $summary[] = "ratio_$k=" . $f($x['ratio'], '%.2f');
}
foreach ($m as $name => $x) {
    $k = str_replace('-', '_', $name);
    $summary[] = "handoff_ms_{$k}=" . $f($x['handoff_median'], '%.0f') . '/' . $f($x['handoff_p90'], '%.0f');
}
$lines = array_values(array_filter($m, static fn ($x) => $x['mode'] === 'line'));
$fixed = array_values(array_filter($m, static fn ($x) => $x['mode'] === 'fixed'));
$pooled = static function (array $xs, string $n, string $q): ?float {
    $count = array_sum(array_column($xs, $n));
    return $count > 0 ? array_sum(array_map(static fn ($x) => ($x[$q] ?? 0) * $x[$n], $xs)) / $count : null;
};
$summary[] = 'queries_per_deferral=' . $f($pooled($lines, 'n_defer', 'q_defer_gate'));
$summary[] = 'queries_per_deferral_fixed=' . $f($pooled($fixed, 'n_defer', 'q_defer_gate'));
$summary[] = 'queries_per_wake=' . $f($pooled($lines, 'wakes', 'q_wake'));
$rowsOf = static fn (array $xs, string $what) => $per(array_sum(array_map(static fn ($x) => $x['rows']["deferred_$what"], $xs)), array_sum(array_map(static fn ($x) => $x['rows']['deferred_items'], $xs)));
$summary[] = 'as_rows_per_deferred_item_line=' . $f($rowsOf($lines, 'actions'), '%.2f') . '+' . $f($rowsOf($lines, 'logs'), '%.2f');
$summary[] = 'as_rows_per_deferred_item_fixed=' . $f($rowsOf($fixed, 'actions'), '%.2f') . '+' . $f($rowsOf($fixed, 'logs'), '%.2f');
$summary[] = 'action_scheduler=' . $which;
echo implode(' ', $summary), "\n";
$bad = array_filter($m, static fn ($x) => $x['r']['failed'] > 0 || $x['r']['processed'] < $x['r']['items'] || $x['r']['max_in_flight'] > $x['r']['limit']);
exit($bad === [] ? 0 : 1);
