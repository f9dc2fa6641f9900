<?php
// The CLI side of the FPM suite: a PHP process outside FPM (root, or the
// unprivileged user a test creates) attached to the same segment. The test
// runs it with the extension and the sluice.* settings of the case at hand.
// Every command prints JSON lines on stdout; a throwable prints
// {"result":"error","class":..,"message":..} and exits 3.
//
//   info                        segment_info(), status(), the segment file's owner/mode
//   status                      status() and segment_info()
//   try KEY LIMIT               one tryAcquire (released at once)
//   hold KEY LIMIT MS LABEL     tryAcquire, print a line, hold MS, release, print a line
//   sweep                       Sluice\sweep()
//   watch-free KEY LIMIT LABEL TIMEOUT_MS
//        waits for a holder of KEY labelled LABEL, then watches its pid every
//        1 ms; from the moment it is gone, tries tryAcquire every 10 ms until
//        granted. Prints pid, hrtime stamps (ns) and kill-to-free in ms.
declare(strict_types=1);

function out(array $line): void
{
    echo json_encode($line, JSON_UNESCAPED_SLASHES), "\n";
    flush();
}

function me(): array
{
    $pw = posix_getpwuid(posix_geteuid());
    return ['pid' => getmypid(), 'user' => $pw ? $pw['name'] : (string) posix_geteuid()];
}

/** True while $pid runs (a zombie, exited but not reaped yet, does not count). */
function alive(int $pid): bool
{
    $stat = @file_get_contents("/proc/$pid/stat");
    if ($stat === false) {
        return false;
    }
    $state = substr($stat, strrpos($stat, ')') + 2, 1);
    return $state !== 'Z' && $state !== 'X';
}

function file_owner(): ?array
{
    clearstatcache();
    $st = @stat(Sluice\segment_path());
    return $st === false ? null : ['uid' => $st['uid'], 'gid' => $st['gid'],
        'mode' => sprintf('0%o', $st['mode'] & 0777), 'path' => Sluice\segment_path()];
}

function command(array $argv): void
{
    $cmd = $argv[1] ?? 'info';
    switch ($cmd) {
        case 'info':
            $info = Sluice\segment_info();
            out(['result' => 'ok', 'info' => $info, 'status' => Sluice\status(), 'file' => file_owner()] + me());
            return;
        case 'status':
            out(['result' => 'ok', 'status' => Sluice\status(), 'info' => Sluice\segment_info()] + me());
            return;
        case 'sweep':
            out(['result' => 'ok', 'sweep' => Sluice\sweep()] + me());
            return;
        case 'try':
            $limiter = new Sluice\Limiter([$argv[2] => (int) $argv[3]]);
            $lease = $limiter->tryAcquire('cli-try');
            if ($lease === null) {
                out(['result' => 'throttled', 'refusal' => $limiter->lastRefusal()] + me());
            } else {
                $lease->release();
                out(['result' => 'granted'] + me());
            }
            return;
        case 'hold':
            $limiter = new Sluice\Limiter([$argv[2] => (int) $argv[3]]);
            $lease = $limiter->tryAcquire($argv[5] ?? 'cli-hold');
            $started = hrtime(true);
            if ($lease === null) {
                out(['result' => 'throttled', 'refusal' => $limiter->lastRefusal()] + me());
                return;
            }
            out(['result' => 'granted', 'started' => $started, 'token' => $lease->token()] + me());
            $deadline = $started + (int) $argv[4] * 1000000;
            while (($now = hrtime(true)) < $deadline) {
                usleep(max(1, (int) min(50000, intdiv($deadline - $now, 1000))));
            }
            $ended = hrtime(true);
            out(['result' => 'released', 'started' => $started, 'ended' => $ended,
                'released' => $lease->release()] + me());
            return;
        case 'watch-free':
            watch_free($argv[2], (int) $argv[3], $argv[4], (int) $argv[5]);
            return;
        default:
            throw new InvalidArgumentException("unknown command '$cmd'");
    }
}

function watch_free(string $key, int $limit, string $label, int $timeoutMs): void
{
    $deadline = hrtime(true) + $timeoutMs * 1000000;
    $limiter = new Sluice\Limiter([$key => $limit]);
    $pid = null;
    while ($pid === null) {
        foreach (Sluice\status()[$key]['holders'] ?? [] as $h) {
            if ($h['label'] === $label && !$h['waiting']) {
                $pid = $h['pid'];
            }
        }
        if ($pid === null) {
            if (hrtime(true) > $deadline) {
                out(['result' => 'timeout', 'phase' => 'no holder labelled ' . $label] + me());
                return;
            }
            usleep(5000);
        }
    }
    out(['result' => 'holder', 'holder_pid' => $pid, 'seen' => hrtime(true)] + me());
    while (alive($pid)) {
        if (hrtime(true) > $deadline) {
            out(['result' => 'timeout', 'phase' => "pid $pid still alive"] + me());
            return;
        }
        usleep(1000);
    }
    $dead = hrtime(true);
    $attempts = 0;
    for (;;) {
        $attempts++;
        $lease = $limiter->tryAcquire('watch-free');
        if ($lease !== null) {
            $free = hrtime(true);
            $lease->release();
            break;
        }
        if (hrtime(true) > $deadline) {
            out(['result' => 'timeout', 'phase' => 'slot not freed', 'attempts' => $attempts] + me());
            return;
        }
        usleep(10000);
    }
    out(['result' => 'freed', 'holder_pid' => $pid, 'dead' => $dead, 'free' => $free, 'attempts' => $attempts,
        'kill_to_free_ms' => ($free - $dead) / 1e6, 'status' => Sluice\status()[$key]] + me());
}

try {
    if (!extension_loaded('sluice')) {
        throw new RuntimeException('the sluice extension is not loaded');
    }
    command($argv);
} catch (Throwable $e) {
    out(['result' => 'error', 'class' => get_class($e), 'message' => $e->getMessage()] + me());
    exit(3);
}
