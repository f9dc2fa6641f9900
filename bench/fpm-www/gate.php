<?php
// The same tiny endpoint with the Sluice gate around it (round B): what a
// request that guards some work pays: a Limiter, tryAcquire(), release().
// The limit (64) is above the benchmark's concurrency, so nothing is throttled.
$limiter = new Sluice\Limiter(['bench:gate' => 64]);
$lease = $limiter->tryAcquire('fpm-gate');
if ($lease === null) {
    http_response_code(429);
    echo "throttled\n";
    return;
}
header('Content-Type: text/plain');
echo "ok\n";
$lease->release();
