<?php
// The CLI demo: N PHP processes contend for L slots on one key. Prints a live
// line from Sluice\status(), SIGKILLs a worker that holds a slot half-way, shows
// the slot coming back, and ends with a summary.
//
// Run: make demo-cli   (or php -d extension=ext-build/modules/sluice.so demo/contention.php [workers] [limit] [seconds])
declare(strict_types=1);

use Sluice\Support\Process;

require dirname(__DIR__) . '/support/autoload.php';

$workers = (int) ($argv[1] ?? 8);
$limit = (int) ($argv[2] ?? 3);
$seconds = (float) ($argv[3] ?? 6);
$key = 'demo:provider';
$ext = getenv('SLUICE_EXT') ?: dirname(__DIR__) . '/ext-build/modules/sluice.so';
$segment = ini_get('sluice.segment');

printf("Sluice demo: %d PHP processes, limit %d on key '%s', %.0f s, segment %s\n\n",
    $workers, $limit, $key, $seconds, Sluice\segment_info()['name']);
Sluice\reset($key);

/** @var array<int, Process> $procs */
$procs = [];
for ($i = 1; $i <= $workers; $i++) {
    $procs[$i] = Process::launch(array_merge(Process::php($ext, ['sluice.segment' => $segment]),
        [__DIR__ . '/contention-worker.php', (string) $i, $key, (string) $limit, (string) $seconds]));
}

$start = hrtime(true);
$killed = null;
$killedAt = null;
$reclaimMs = null;
$maxActive = 0;
while (($elapsed = (hrtime(true) - $start) / 1e9) < $seconds + 0.5) {
    $s = Sluice\status()[$key] ?? null;
    if ($s) {
        $maxActive = max($maxActive, $s['active']);
        printf("t=%4.1fs  active %d/%d  acquired %4d  throttled %4d  reclaimed %d\n",
            $elapsed, $s['active'], $limit, $s['acquired'], $s['throttled'], $s['reclaimed_dead']);
        if (!$killed && $elapsed >= $seconds / 2) {
            foreach ($s['holders'] as $h) {
                if (!$h['waiting']) {
                    $killed = $h['pid'];
                    posix_kill($killed, SIGKILL);
                    $killedAt = hrtime(true);
                    printf("         SIGKILL -> pid %d while it holds a slot (%s)\n", $killed, $h['label']);
                    $reclaimMs = waitUntilReclaimed($key, $killed, $killedAt, $procs);
                    printf("         its slot was reclaimed by the next acquire of another worker, %.1f ms after the kill\n", $reclaimMs);
                    break;
                }
            }
        }
    }
    foreach ($procs as $p) {
        $p->running();  // reaps an exited worker, so it stops existing
    }
    usleep(250000);
}

/**
 * Reaps the killed worker as its parent would (FPM's master does the same),
 * then watches, every 5 ms, for its slot to leave the table.
 */
function waitUntilReclaimed(string $key, int $pid, int $killedAt, array $procs): ?float
{
    $deadline = $killedAt + 3e9;
    while (hrtime(true) < $deadline) {
        foreach ($procs as $p) {
            $p->running();
        }
        $holders = array_column(Sluice\status()[$key]['holders'] ?? [], 'pid');
        if (!in_array($pid, $holders, true)) {
            return (hrtime(true) - $killedAt) / 1e6;
        }
        usleep(5000);
    }
    return null;
}

$grants = $throttles = 0;
foreach ($procs as $p) {
    $result = $p->wait(10.0);
    fwrite(STDERR, $result->stderr);
    $out = json_decode(trim($result->stdout) ?: 'null', true);
    $grants += $out['grants'] ?? 0;
    $throttles += $out['throttles'] ?? 0;
}
$s = Sluice\status()[$key];
echo "\nSummary\n";
printf("  %-34s %d\n", 'workers', $workers);
printf("  %-34s %d\n", 'limit', $limit);
printf("  %-34s %d (never above the limit: %s)\n", 'peak holders (segment)', $s['peak'], $s['peak'] <= $limit ? 'yes' : 'NO');
printf("  %-34s %d\n", 'grants (segment)', $s['acquired']);
printf("  %-34s %d\n", 'throttled attempts (segment)', $s['throttled']);
printf("  %-34s %d grants, %d throttles\n", 'reported by surviving workers', $grants, $throttles);
printf("  %-34s %d\n", 'slots reclaimed from dead holders', $s['reclaimed_dead']);
printf("  %-34s %s\n", 'kill -> slot free', $reclaimMs === null ? 'n/a' : sprintf('%.1f ms', $reclaimMs));
printf("  %-34s %d\n", 'leases left held', $s['active']);
exit($s['peak'] <= $limit && $s['active'] === 0 ? 0 : 1);
