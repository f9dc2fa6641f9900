<?php
/**
 * Served by the PHP-FPM pools of FpmPools (copied into the test site's web
 * root while they run): loads WordPress, takes one slot of
 * ?key= (limit ?limit=) from the backend the plugin chose for this request
 * (the setting `backend`), holds it ?hold= ms, releases it, and answers
 * with the interval it held on the host's monotonic clock and the IPC
 * namespace it ran in.
 */

declare(strict_types=1);

require __DIR__ . '/wp-load.php';

header('Content-Type: application/json');
$backend = SluiceWP\Plugin::instance()->backends->backend();
$answer = [
    'backend' => $backend?->name(),
    'ipc' => (string) @readlink('/proc/self/ns/ipc'),
    'pid' => getmypid(),
    'granted' => false,
];
if ($backend !== null) {
    $lease = $backend->tryAcquire([(string) $_GET['key'] => (int) $_GET['limit']], 60, 'two hosts probe');
    if ($lease instanceof SluiceWP\Backend\Lease) {
        $from = hrtime(true);
        usleep((int) $_GET['hold'] * 1000);
        $to = hrtime(true);
        $backend->release($lease);
        $answer += ['from' => $from, 'to' => $to];
        $answer['granted'] = true;
    }
}
echo json_encode($answer);
