<?php
// The demo's endpoint: hold.php?key=K&limit=L&ms=N&label=..
// Takes a slot on K (limit L) with tryAcquire(), "calls the AI provider" for
// N ms, releases. 200 {"result":"granted",..} with the hold's hrtime stamps,
// or 429 {"result":"throttled",..} when K is full: the caller defers the job.
declare(strict_types=1);
header('Content-Type: application/json');
header('Cache-Control: no-store');
try {
    $key = (string) ($_GET['key'] ?? 'demo');
    $limiter = new Sluice\Limiter([$key => (int) ($_GET['limit'] ?? 3)]);
    $lease = $limiter->tryAcquire((string) ($_GET['label'] ?? ''));
    if ($lease === null) {
        http_response_code(429);
        echo json_encode(['result' => 'throttled', 'refusal' => $limiter->lastRefusal(), 'pid' => getmypid()]), "\n";
        return;
    }
    $started = hrtime(true);
    $deadline = $started + (int) ($_GET['ms'] ?? 500) * 1000000;
    while (($now = hrtime(true)) < $deadline) {
        usleep(max(1, (int) min(50000, intdiv($deadline - $now, 1000))));
    }
    $ended = hrtime(true);
    $lease->release();
    echo json_encode(['result' => 'granted', 'started' => $started, 'ended' => $ended, 'pid' => getmypid()]), "\n";
} catch (Throwable $e) {
    http_response_code(503);
    echo json_encode(['result' => 'error', 'class' => get_class($e), 'message' => $e->getMessage()]), "\n";
}
