<?php
// The FPM demo's driver (run by demo/fpm-demo.sh, as root, with the extension
// loaded on the same segment as the FPM pool). CLIENTS concurrent HTTP clients
// (curl_multi) contend through nginx + PHP-FPM for LIMIT slots on one key:
// granted requests hold 300-700 ms, throttled ones (429) come back 100-250 ms
// later. A live line every 250 ms comes from Sluice\status() (server side).
// Half-way, an FPM worker that holds a slot is SIGKILLed; the next acquire
// reclaims its slot. Ends with a summary of what the clients saw and what the
// server counted.
declare(strict_types=1);

// The support library: the max-overlap witness the tests use (Overlap).
require dirname(__DIR__) . '/support/autoload.php';

use Sluice\Support\Overlap;

$url = rtrim(getenv('DEMO_URL') ?: 'http://127.0.0.1:8093', '/');
$limit = (int) (getenv('DEMO_LIMIT') ?: 3);
$clients = (int) (getenv('DEMO_CLIENTS') ?: 12);
$seconds = (float) (getenv('DEMO_SECONDS') ?: 8);
$workers = (int) (getenv('DEMO_WORKERS') ?: 8);
$key = 'demo:provider';

$multi = curl_multi_init();
$due = [];          // client => [request number, when (ns)]
$seq = array_fill(0, $clients, 0);
$seen = [];         // http status => count
$intervals = [];    // [started, ended] of granted holds, as the workers reported them
$killed = null;     // ['pid', 'token', 'label', 'at']
$backMs = null;
$start = hrtime(true);
$elapsed = fn() => (hrtime(true) - $start) / 1e9;

$send = function (int $c) use ($multi, $url, $key, $limit, &$seq): void {
    $n = ++$seq[$c];
    $ms = random_int(300, 700);
    $h = curl_init("$url/hold.php?key=" . urlencode($key) . "&limit=$limit&ms=$ms&label=client-$c%23$n");
    curl_setopt_array($h, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 30, CURLOPT_PRIVATE => (string) $c]);
    curl_multi_add_handle($multi, $h);
};
$stamp = function (array $s) use ($limit, &$killed, &$backMs): string {
    $pids = array_map(fn($h) => $killed && $backMs === null && $h['pid'] === $killed['pid'] ? $h['pid'] . '(dead)' : $h['pid'],
        array_filter($s['holders'], fn($h) => !$h['waiting']));
    return sprintf('in flight %d/%d %-24s granted %4d  throttled %4d  reclaimed %d',
        $s['active'], $limit, '[' . implode(' ', $pids) . ']', $s['acquired'], $s['throttled'],
        $s['reclaimed_dead'] + $s['reclaimed_expired']);
};

printf("Sluice FPM demo: %d HTTP clients -> nginx -> PHP-FPM (%d workers, www-data), limit %d on '%s', %.0f s\n",
    $clients, $workers, $limit, $key, $seconds);
printf("segment %s; every client holds 300-700 ms when granted and retries 100-250 ms after a 429\n\n",
    Sluice\segment_info()['name']);

for ($c = 0; $c < $clients; $c++) {
    $due[$c] = hrtime(true) + random_int(0, 200) * 1000000;
}
$nextLine = 0.25;
$peakSeen = 0;
while ($elapsed() < $seconds || $due !== [] || curl_multi_info_read($multi) !== false || count_running($multi) > 0) {
    $now = hrtime(true);
    if ($elapsed() >= $seconds) {
        $due = [];  // time is up: let the requests in flight finish
    }
    foreach ($due as $c => $at) {
        if ($at <= $now) {
            unset($due[$c]);
            $send($c);
        }
    }
    curl_multi_exec($multi, $running);
    curl_multi_select($multi, 0.005);
    curl_multi_exec($multi, $running);
    while ($info = curl_multi_info_read($multi)) {
        $h = $info['handle'];
        $c = (int) curl_getinfo($h, CURLINFO_PRIVATE);
        $code = (int) curl_getinfo($h, CURLINFO_RESPONSE_CODE);
        $body = json_decode((string) curl_multi_getcontent($h), true);
        $seen[$code] = ($seen[$code] ?? 0) + 1;
        if ($code === 200 && isset($body['started'])) {
            $intervals[] = [$body['started'], $body['ended']];
        }
        curl_multi_remove_handle($multi, $h);
        curl_close($h);
        if ($elapsed() < $seconds) {
            $due[$c] = hrtime(true) + ($code === 429 ? random_int(100, 250) : random_int(0, 50)) * 1000000;
        }
    }
    $s = Sluice\status()[$key] ?? null;
    if ($s === null) {
        continue;
    }
    $peakSeen = max($peakSeen, $s['active']);
    // The killed worker's slot: back when its lease left the table.
    if ($killed !== null && $backMs === null && !in_array($killed['token'], array_column($s['holders'], 'token'), true)) {
        $backMs = (hrtime(true) - $killed['at']) / 1e6;
        printf("  <<< slot back %.1f ms after the kill: the next tryAcquire found pid %d dead and reclaimed it "
            . "(reclaimed_dead %d)\n", $backMs, $killed['pid'], $s['reclaimed_dead']);
    }
    if ($killed === null && $elapsed() >= $seconds / 2) {
        foreach ($s['holders'] as $hd) {
            if (!$hd['waiting']) {
                $killed = ['pid' => $hd['pid'], 'token' => $hd['token'], 'label' => $hd['label'], 'at' => hrtime(true)];
                posix_kill($hd['pid'], SIGKILL);
                printf("  >>> kill -9 %d: an FPM worker holding a slot (%s, %d ms into its hold)\n",
                    $hd['pid'], $hd['label'], $hd['age_ms']);
                break;
            }
        }
    }
    if ($elapsed() >= $nextLine) {
        printf("  t=%5.2fs  %s  | clients: 200=%d 429=%d 5xx=%d\n", $elapsed(), $stamp($s),
            $seen[200] ?? 0, $seen[429] ?? 0, array_sum(array_filter($seen, fn($k) => $k >= 500, ARRAY_FILTER_USE_KEY)));
        $nextLine += 0.25;
    }
}

function count_running(CurlMultiHandle $m): int
{
    curl_multi_exec($m, $running);
    return $running;
}

// ---- summary ----
$s = Sluice\status()[$key];
$overlap = Overlap::max($intervals);
$errors = array_sum(array_filter($seen, fn($k) => $k >= 500, ARRAY_FILTER_USE_KEY));
$other = array_sum(array_filter($seen, fn($k) => !in_array($k, [200, 429], true) && $k < 500, ARRAY_FILTER_USE_KEY));
$ok = $overlap <= $limit && $s['peak'] <= $limit && $s['active'] === 0
    && $s['acquired'] === $s['released'] + $s['reclaimed_dead'] + $s['reclaimed_expired']
    && ($seen[429] ?? 0) === $s['throttled'] && $errors === ($killed ? 1 : 0) && $other === 0;

echo "\nSummary\n";
printf("  %-34s %-24s %s\n", '', 'clients saw', 'server (Sluice\status)');
printf("  %-34s %-24s %s\n", 'granted, held, released', ($seen[200] ?? 0) . ' x HTTP 200', 'released ' . $s['released']);
printf("  %-34s %-24s %s\n", 'throttled (deferred, not failed)', ($seen[429] ?? 0) . ' x HTTP 429', 'throttled ' . $s['throttled']);
printf("  %-34s %-24s %s\n", 'killed while holding (kill -9)', $errors . ' x HTTP 502', 'reclaimed_dead ' . $s['reclaimed_dead']);
printf("  %-34s %-24s %s\n", 'slots taken', '', 'acquired ' . $s['acquired'] . ' = released + reclaimed');
printf("  %-34s %-24s %s\n", "most holding at once (limit $limit)", "$overlap (overlap of holds)", 'peak ' . $s['peak']);
printf("  %-34s %-24s %s\n", 'holding now', '', 'active ' . $s['active']);
printf("  %-34s %s\n", 'slot back after the kill', $backMs === null ? 'n/a' : sprintf('%.1f ms', $backMs));
printf("\n%s\n", $ok ? 'OK: never more than the limit, every throttle reported as a throttle, the killed slot came back'
    : 'MISMATCH: see the table above');
exit($ok ? 0 : 1);
