<?php
// The Apache suite's endpoint (Support/Apache.php copies it into the test
// site's docroot): ?key=K&limit=L&ms=N[&wait_ms=W][&request_open=S][&label=..]
// takes a slot on K (limit L; acquire() waiting up to W ms when W > 0, else
// tryAcquire()), marks a provider request open for S seconds when S > 0, holds
// the slot N ms and releases it. Answers one JSON line: result granted or
// throttled (429) or error (503), who answered (pid, user, SAPI, the segment it
// uses), and hrtime()
// stamps (ns, the host's monotonic clock) just after the grant and just before
// the release.
declare(strict_types=1);

header('Content-Type: application/json');
header('Cache-Control: no-store');
$who = ['pid' => getmypid(), 'user' => (posix_getpwuid(posix_geteuid()) ?: ['name' => '?'])['name'], 'sapi' => PHP_SAPI];
try {
    $who['segment'] = Sluice\segment_info()['name'];
    $key = (string) ($_GET['key'] ?? '');
    $ms = (int) ($_GET['ms'] ?? 0);
    $waitMs = (int) ($_GET['wait_ms'] ?? 0);
    $requestOpen = (int) ($_GET['request_open'] ?? 0);
    $label = (string) ($_GET['label'] ?? 'apache');
    $limiter = new Sluice\Limiter([$key => (int) ($_GET['limit'] ?? 1)], 60);
    $lease = $waitMs > 0 ? $limiter->acquire($waitMs, $label) : $limiter->tryAcquire($label);
    $started = hrtime(true);
    if ($lease === null) {
        http_response_code(429);
        echo json_encode(['result' => 'throttled'] + $who), "\n";
        return;
    }
    if ($requestOpen > 0) {
        $lease->requestStarted($requestOpen);
    }
    usleep($ms * 1000);
    $ended = hrtime(true);
    $lease->release();
    echo json_encode(['result' => 'granted', 'started' => $started, 'ended' => $ended] + $who), "\n";
} catch (Throwable $e) {
    http_response_code(503);
    echo json_encode(['result' => 'error', 'class' => get_class($e), 'message' => $e->getMessage()] + $who), "\n";
}
