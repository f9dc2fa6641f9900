<?php
// The report of bench/fpm-gate.sh, which runs it with the extension loaded on
// the pool's segment:
//
//   php -d extension=... -d sluice.segment=... bench/fpm-gate-report.php COST_JSON NCPU CONCURRENCY < rounds
//
// stdin: one line a round and variant, "round variant rps mean_us p50_us p99_us non2xx errors".
// COST_JSON: what bench/fpm-www/gate-cost.php answered. Prints the table, the
// medians, the gate's cost per request three ways and the server-side counters
// of the key bench:gate; exits 1 on errors, non-2xx answers or unreleased leases.
declare(strict_types=1);

[, $costJson, $ncpu, $conc] = $argv + [null, '{}', '1', '1'];
$ncpu = (int) $ncpu;
$conc = (int) $conc;
$cost = json_decode($costJson, true);
$s = Sluice\status()['bench:gate'];
[$acq, $rel, $thr, $peak, $act] = [$s['acquired'], $s['released'], $s['throttled'], $s['peak'], $s['active']];

$rows = array_map(fn($l) => sscanf($l, "%d %s %f %f %d %d %d %d"), file('php://stdin', FILE_IGNORE_NEW_LINES));
$median = function (array $v) {
    sort($v);
    $n = count($v);
    return $n % 2 ? $v[intdiv($n, 2)] : ($v[$n / 2 - 1] + $v[$n / 2]) / 2;
};
$by = [];
printf("\n  %-6s  %-7s  %10s  %9s  %8s  %8s  %7s  %6s\n", 'round', 'variant', 'req/s', 'mean µs', 'p50 µs', 'p99 µs', 'non-2xx', 'errors');
$bad = 0;
foreach ($rows as [$r, $v, $rps, $mean, $p50, $p99, $non, $err]) {
    printf("  %-6d  %-7s  %10.0f  %9.1f  %8d  %8d  %7d  %6d\n", $r, $v, $rps, $mean, $p50, $p99, $non, $err);
    $by[$v]['rps'][] = $rps;
    $by[$v]['mean'][] = $mean;
    $bad += $non + $err;
}
foreach (['mean' => fn($a) => array_sum($a) / count($a), 'median' => $median] as $name => $f) {
    foreach (['plain', 'gated'] as $v) {
        printf("  %-6s  %-7s  %10.0f  %9.1f\n", $name, $v, $f($by[$v]['rps']), $f($by[$v]['mean']));
    }
}
$ra = $median($by['plain']['rps']);
$rb = $median($by['gated']['rps']);
$la = $median($by['plain']['mean']);
$lb = $median($by['gated']['mean']);
echo "\n  (from the medians of the rounds)\n";
printf("  throughput gated/plain:                 %.3f (%+.1f%%)\n", $rb / $ra, ($rb / $ra - 1) * 100);
printf("  gate cost, difference of mean latency:  %+.1f µs per request at concurrency %d\n", $lb - $la, $conc);
printf("  gate cost, CPU time from throughput:    %+.1f µs per request (%d CPUs x (1/rps gated - 1/rps plain))\n",
    $ncpu * (1e6 / $rb - 1e6 / $ra), $ncpu);
printf("  gate cost timed inside an FPM worker:   %.2f µs (new Limiter + tryAcquire + release), %.2f µs (tryAcquire + release), n=%d\n",
    $cost['full_gate_ns'] / 1000, $cost['pair_ns'] / 1000, $cost['n']);
printf("  server side, key bench:gate:            acquired %d, released %d, throttled %d, peak %d, active %d\n",
    $acq, $rel, $thr, $peak, $act);
if ($bad > 0 || $acq !== $rel || $act !== 0) {
    echo "  FAILED: errors, non-2xx answers or unreleased leases (see above)\n";
    exit(1);
}
