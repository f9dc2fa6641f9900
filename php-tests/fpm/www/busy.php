<?php
// busy.php?key=K&limit=L&secs=S[&label=..]
// Takes a slot, then spins on the CPU with max_execution_time = S until PHP
// stops the script with "Maximum execution time exceeded" (a fatal error:
// shutdown functions and the extension's RSHUTDOWN still run).
declare(strict_types=1);
require __DIR__ . '/common.php';

respond(function (): array {
    $limiter = new Sluice\Limiter([param('key') => (int) param('limit', '1')]);
    set_time_limit((int) param('secs', '1'));
    $lease = $limiter->tryAcquire(param('label', 'busy'));
    if ($lease === null) {
        return [429, ['result' => 'throttled', 'refusal' => $limiter->lastRefusal()]];
    }
    $x = 0;
    for (;;) {
        $x = crc32((string) $x);
    }
});
