<?php
// hold.php?key=K&limit=L&ms=N[&label=..][&wait_ms=W][&ttl=S]
// Takes a slot on K (limit L), holds it N ms, releases it. Answers 200
// {"result":"granted","started":..,"ended":..} with hrtime() stamps (ns, the
// host's monotonic clock) taken just after the grant and just before the
// release, or 429 {"result":"throttled","refusal":{..}} when K is full.
declare(strict_types=1);
require __DIR__ . '/common.php';

respond(function (): array {
    $key = param('key');
    $limit = (int) param('limit', '1');
    $ms = (int) param('ms', '200');
    $label = param('label', '');
    $waitMs = (int) param('wait_ms', '0');
    $limiter = new Sluice\Limiter([$key => $limit], (int) param('ttl', '0'));
    $asked = hrtime(true);
    $lease = $waitMs > 0 ? $limiter->acquire($waitMs, $label) : $limiter->tryAcquire($label);
    $started = hrtime(true);
    if ($lease === null) {
        return [429, ['result' => 'throttled', 'key' => $key, 'refusal' => $limiter->lastRefusal(),
            'asked' => $asked, 'answered' => $started]];
    }
    sleep_until($started + $ms * 1000000);
    $ended = hrtime(true);
    $released = $lease->release();
    return [200, ['result' => 'granted', 'key' => $key, 'token' => $lease->token(), 'asked' => $asked,
        'started' => $started, 'ended' => $ended, 'released' => $released]];
});
