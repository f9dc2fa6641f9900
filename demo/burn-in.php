<?php
/**
 * The burn-in's driver (run by demo/burn-in.sh on a test bed that is up):
 * each mode is one run of demo/burn-in-lib.php's BurnIn from a clean site,
 * with a live line every 0.5 s (Sluice's: slots held, tickets waiting,
 * reservations, hand-offs), then a comparison table of the three.
 *
 *   off    Sluice off: Data Machine's own option-lease limiter at its defaults (limit 3)
 *   timer  Sluice with a fixed delay: its waiting line off, deferrals wait on their timer alone (1-2 s)
 *   on     Sluice with its waiting line (limit --limit): each freed slot is handed to the next deferred step
 *   (timer and on: the provider's limit is --limit too, so its protection is on; the table shows its limit in
 *   force, last congestion signal and circuit at the end)
 *
 * Options: --modes=off,timer,on --flows=3 --items=4 (per flow) --runners=4 --latency-ms=1000
 *   --limit=1 (Sluice's limit and what the provider takes) --request-timeout=3 --timeout=100
 *   --no-wp-cron (CLI runners only) --throttle-delay=N --throttle-delay-max=N (Sluice's deferral delays:
 *   its defaults for on, 1 and 2 s for timer)
 *   --live-every=0.5 --quiet (no live lines)
 *   --summary   last line: makespan_ratio=... failed=... handoff_ms_median=... (make bench-burn-in's contract)
 *   --probe     count SQL queries per AI action (bench/gate-probe.php must be a must-use plugin)
 *   --load-report  last line: the load run's report (make bench-load): items lost, jobs failed, provider max in flight
 */

declare(strict_types=1);

require dirname(__DIR__) . '/support/WordPress/bootstrap.php';
require __DIR__ . '/burn-in-lib.php';

use Sluice\Demo\BurnIn;

$opt = getopt('', ['modes:', 'flows:', 'items:', 'runners:', 'latency-ms:', 'limit:', 'request-timeout:', 'timeout:', 'no-wp-cron', 'throttle-delay:', 'throttle-delay-max:', 'live-every:', 'quiet', 'summary', 'probe', 'load-report']);
$modes = explode(',', (string) ($opt['modes'] ?? 'off,timer,on'));
$phase = [
    'flows' => (int) ($opt['flows'] ?? 3),
    'items' => (int) ($opt['items'] ?? 4),
    'runners' => (int) ($opt['runners'] ?? 4),
    'latency_ms' => (int) ($opt['latency-ms'] ?? 1000),
    'limit' => (int) ($opt['limit'] ?? 1),
    'request_timeout' => (float) ($opt['request-timeout'] ?? 3),
    'timeout' => (float) ($opt['timeout'] ?? 100),
    'wp_cron' => !isset($opt['no-wp-cron']),
    'live' => !isset($opt['quiet']),
    'live_every' => (float) ($opt['live-every'] ?? 0.5),
];
// Sluice's deferral delays: its defaults (10 s, at most 300 s) while the waiting line wakes deferred work; a
// short timer (1 s, at most 2 s) when deferrals wait on their timer alone.
$delays = static fn (int $delay, int $max) => [
    'throttle_delay' => isset($opt['throttle-delay']) ? (int) $opt['throttle-delay'] : $delay,
    'throttle_delay_max' => isset($opt['throttle-delay-max']) ? (int) $opt['throttle-delay-max'] : $max,
];
$which = sluice_test_action_scheduler_which();
$total = $phase['flows'] * $phase['items'];
printf("burn-in: %d flows x %d items = %d jobs (fetch -> ai -> publish), %d concurrent queue runners (CLI%s)\n",
    $phase['flows'], $phase['items'], $total, $phase['runners'], $phase['wp_cron'] ? '; WP-Cron through PHP-FPM joins every second' : '');
printf("burn-in: fake provider: %d ms per answer, takes %d at once (more stall into cURL 28 after the fixture's %ss request timeout)\n",
    $phase['latency_ms'], $phase['limit'], $phase['request_timeout']);
printf("burn-in: Action Scheduler: %s; extension sluice %s\n\n", $which, phpversion('sluice') ?: 'not loaded');

// The provider's limit is Sluice's too, so its protection is on (the adaptive limit under that ceiling, the circuit
// breaker): the table says what it did.
$protected = ['provider_limits' => ['fake' => $phase['limit']]];
$results = [];
foreach ($modes as $mode) {
    $config = match ($mode) {
        'off' => ['sluice' => false, 'dm_limit' => null],
        'on' => ['sluice' => true, 'sluice_settings' => $protected] + array_filter($delays(0, 0)),
        'timer' => ['sluice' => true, 'waiting_line' => false, 'sluice_settings' => $protected] + $delays(1, 2),
        default => throw new InvalidArgumentException("unknown mode $mode (off, on, timer)"),
    };
    $label = ['off' => 'Sluice off', 'on' => 'line', 'timer' => 'fixed dly'][$mode];
    printf("== %s\n", match ($mode) {
        'off' => "Sluice off: Data Machine's own limiter at its defaults (limit 3, 10 s throttle delay)",
        'on' => "Sluice, waiting line: limit {$phase['limit']}, each freed slot handed to the next deferred step; Data Machine's limiter neutralised",
        'timer' => "Sluice, fixed delay: limit {$phase['limit']}, waiting line off (deferrals wait on a 1-2 s timer)",
    });
    $probeDir = isset($opt['probe']) ? BurnIn::probeDir($mode) : null;
    $r = BurnIn::run($label, $config + $phase + ['probe_dir' => $probeDir]);
    if ($probeDir !== null) {
        $ai = array_filter(BurnIn::samples($probeDir), [BurnIn::class, 'isAi']);
        $r['queries_per_ai_action'] = BurnIn::mean(array_column(array_filter($ai, static fn ($s) => $s['end'] !== 'ignored' && !$s['parked']), 'queries'));
    }
    $r['provider_state'] = $mode === 'off' ? null : BurnIn::providerState();
    if ($r['timed_out'] !== null) {
        printf("   (stopped: %s)\n", $r['timed_out']);
    }
    echo "\n";
    if ($mode === 'on' && !isset($opt['summary'])) {
        BurnIn::printCapacity();
        echo "\n";
        BurnIn::printItemStory((float) $r['started_at']);
        echo "\n";
    }
    $results[$mode] = $r;
}

$rows = [
    ['makespan (s, until no job could move)', static fn ($r) => sprintf('%.1f', $r['makespan'])],
    ['ideal: items x service time / limit (s)', static fn ($r) => sprintf('%.1f', $r['ideal'])],
    ['makespan / ideal', static fn ($r) => sprintf('%.2f', $r['makespan'] / $r['ideal'])],
    ['jobs completed', static fn ($r) => "{$r['completed']}/{$r['items']}"],
    ['jobs failed', static fn ($r) => (string) $r['failed']],
    ['jobs stranded (processing, nothing queued)', static fn ($r) => (string) $r['stranded']],
    ['AI request failures (cURL 28 -> retry)', static fn ($r) => (string) $r['ai_request_failures']],
    ['items processed', static fn ($r) => "{$r['processed']}/{$r['items']}"],
    ['provider max in flight (served)', static fn ($r) => "{$r['max_in_flight']} (takes {$r['provider_limit']})"],
    ['provider requests stalled', static fn ($r) => (string) $r['provider']['stalled']],
    ['deferrals', static fn ($r) => (string) BurnIn::deferrals($r) . ($r['sluice'] ? ' (Sluice)' : " (Data Machine)")],
    ['hand-offs (wakes sent)', static fn ($r) => $r['sluice'] ? (string) $r['wakes_sent'] : '-'],
    ['hand-off delay, end -> next start (ms, median)', static fn ($r) => ($x = BurnIn::median($r['handoffs_ms'])) === null ? '-' : sprintf('%.0f', $x)],
    ['provider limit in force at the end (adaptive)', static fn ($r) => $r['provider_state'] === null ? '-' : (string) ($r['provider_state']->limit ?: $r['limit']) . ' of ' . $r['limit']],
    ['provider last congestion signal', static fn ($r) => $r['provider_state']?->signal?->value ?? '-'],
    ['provider circuit (times opened)', static fn ($r) => $r['provider_state'] === null ? '-' : ($r['provider_state']->isOpen() ? 'open' : 'closed') . " ({$r['provider_state']->opens})"],
];
if (isset($opt['probe'])) {
    $rows[] = ['SQL queries per AI action', static fn ($r) => $r['queries_per_ai_action'] === null ? '-' : sprintf('%.1f', $r['queries_per_ai_action'])];
}
$columns = [];
foreach ($results as $mode => $r) {
    $columns[match ($mode) {
        'off' => "Sluice off (DM limit {$r['limit']})",
        'on' => "waiting line (limit {$r['limit']})",
        'timer' => "fixed delay (limit {$r['limit']})",
    }] = $r;
}
BurnIn::printTable('burn-in (' . $total . ' items)', $columns, $rows);
echo "\nAction Scheduler: $which\n";

if (isset($opt['load-report'])) {
    $r = end($results);
    // Lost: a job neither completed nor failed, or an item that was never processed.
    $lostJobs = $r['unfinished'];
    $lostItems = $r['items'] - $r['processed'];
    printf("load: items=%d runners=%d jobs_completed=%d jobs_failed=%d jobs_unfinished=%d items_processed=%d items_lost=%d provider_max_in_flight=%d limit=%d deferrals=%d makespan=%.1fs ideal=%.1fs step_actions=%s\n",
        $r['items'], $r['runners'], $r['completed'], $r['failed'], $lostJobs, $r['processed'], max($lostJobs, $lostItems),
        $r['max_in_flight'], $r['limit'], BurnIn::deferrals($r), $r['makespan'], $r['ideal'], json_encode($r['actions']));
}
if (isset($opt['summary'])) {
    $r = $results['on'] ?? end($results);
    $handoff = BurnIn::median($r['handoffs_ms']);
    printf("makespan_ratio=%.2f failed=%d processed=%d/%d max_in_flight=%d limit=%d deferrals=%d queries_per_ai_action=%s handoff_ms_median=%s action_scheduler=%s\n",
        $r['makespan'] / $r['ideal'], $r['failed'], $r['processed'], $r['items'], $r['max_in_flight'], $r['limit'], BurnIn::deferrals($r),
        isset($r['queries_per_ai_action']) ? sprintf('%.1f', $r['queries_per_ai_action']) : 'n/a',
        $handoff === null ? 'n/a' : sprintf('%.0f', $handoff), $which);
}
$bad = array_filter($results, static fn ($r) => $r['sluice'] && ($r['failed'] > 0 || $r['processed'] < $r['items'] || $r['max_in_flight'] > $r['limit']));
exit($bad === [] ? 0 : 1);
