<?php
// gate-cost.php?n=N: the gate's cost measured inside an FPM worker, N times:
// the full gate (new Limiter + tryAcquire + release) and the acquire/release
// pair alone on a kept Limiter. Answers JSON with ns per operation.
$n = max(1, min(1000000, (int) ($_GET['n'] ?? 20000)));
$limiter = new Sluice\Limiter(['bench:gate-cost' => 64]);
$t0 = hrtime(true);
for ($i = 0; $i < $n; $i++) {
    $l = new Sluice\Limiter(['bench:gate-cost' => 64]);
    $l->tryAcquire('cost')->release();
}
$t1 = hrtime(true);
for ($i = 0; $i < $n; $i++) {
    $limiter->tryAcquire('cost')->release();
}
$t2 = hrtime(true);
header('Content-Type: application/json');
echo json_encode(['n' => $n, 'full_gate_ns' => ($t1 - $t0) / $n, 'pair_ns' => ($t2 - $t1) / $n, 'pid' => getmypid()]), "\n";
