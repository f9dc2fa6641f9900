<?php
declare(strict_types=1);

namespace Sluice\FpmTests;

/**
 * The two ways FPM ends a request that runs too long, while it holds a lease:
 * request_terminate_timeout SIGTERMs the worker (no RSHUTDOWN: the next
 * acquire reclaims the dead owner's slot), max_execution_time raises a fatal
 * error (RSHUTDOWN runs: the lease is released at request end).
 */
final class WorkerDeathTest extends FpmTestCase
{
    public function testRequestTerminateTimeoutKillsTheHolderAndTheNextAcquireReclaimsAtOnce(): void
    {
        Stack::ensure(['terminate_timeout' => 2]);
        $key = self::key('terminate');
        $label = 'victim-' . bin2hex(random_bytes(3));
        $fpmLog = Stack::logFile('php-fpm.log');
        clearstatcache();
        $logOffset = filesize($fpmLog);

        // The watcher (root CLI) finds the victim's pid in status(), watches it
        // every 1 ms and, once it is gone, tries the key every 10 ms.
        $watcher = Cli::start(['watch-free', $key, '1', $label, '20000']);
        $http = new Http();
        $http->add("hold.php?key=$key&limit=1&ms=20000&label=$label", null, 30);
        $response = null;
        $deadline = microtime(true) + 25;
        while ($response === null && microtime(true) < $deadline) {
            $response = $http->poll(0.002)[0] ?? null;
        }
        self::assertNotNull($response, 'the victim request did not end');
        self::assertSame(0, $watcher->wait(15)->exitCode, $watcher->stderr());
        $holder = $watcher->lines()[0];
        $freed = $watcher->last();
        self::assertSame('holder', $holder['result'], json_encode($watcher->lines()));
        self::assertSame('freed', $freed['result'], json_encode($watcher->lines()));
        $pid = $holder['holder_pid'];

        // The client saw the worker die under it (nginx: 502), about 2 s in.
        self::assertSame(502, $response['status'], $response['raw']);
        $requestMs = ($response['t1'] - $response['t0']) / 1e6;
        self::assertGreaterThanOrEqual(1900, $requestMs);
        self::assertLessThan(6000, $requestMs);

        // FPM says why: the timeout, then SIGTERM.
        usleep(100000);
        $log = (string) file_get_contents($fpmLog, false, null, $logOffset);
        self::assertMatchesRegularExpression("/child $pid, script '[^']*hold\\.php' \\(request: \"GET [^\"]*\"\\) "
            . 'execution timed out \([0-9.]+ sec\), terminating/', $log);
        self::assertStringContainsString("child $pid exited on signal 15 (SIGTERM)", $log);

        // Kill-to-free: from the first sign of death (pid gone, or the 502)
        // to the first granted tryAcquire on the key.
        $killedAt = min($freed['dead'], $response['t1']);
        $killToFreeMs = ($freed['free'] - $killedAt) / 1e6;
        self::note(sprintf('request_terminate_timeout: worker %d killed %.0f ms into the request; kill-to-free '
            . '%.1f ms (pid gone -> free %.1f ms, 502 -> free %.1f ms, %d tryAcquire)', $pid, $requestMs,
            $killToFreeMs, ($freed['free'] - $freed['dead']) / 1e6, ($freed['free'] - $response['t1']) / 1e6,
            $freed['attempts']));
        self::assertLessThanOrEqual(1000.0, $killToFreeMs, 'kill-to-free must be at most 1 s');

        // No RSHUTDOWN ran: the victim's lease was reclaimed as dead, not released.
        $s = self::keyStatus($key);
        self::assertSame(1, $s['reclaimed_dead'], json_encode($s));
        self::assertSame(0, $s['reclaimed_expired']);
        self::assertSame(2, $s['acquired'], 'the victim + the watcher');
        self::assertSame(1, $s['released'], 'only the watcher released');
        self::assertSame(0, $s['active']);
        self::assertConsistent(self::status(), self::info());

        // The pool carries on.
        $r = Http::get("hold.php?key=$key&limit=1&ms=10");
        self::assertSame(200, $r['status'], $r['raw']);
    }

    public function testMaxExecutionTimeFatalWhileHoldingReleasesAtRequestEnd(): void
    {
        Stack::ensure();
        $key = self::key('maxexec');
        $errLog = Stack::logFile('php-error.log');
        clearstatcache();
        $offset = filesize($errLog);

        $r = Http::get("busy.php?key=$key&limit=1&secs=1&label=spinner", 30);
        // A fatal error before any output: FPM answers 500 with no body.
        self::assertSame(500, $r['status'], $r['raw']);
        usleep(100000);
        $log = (string) file_get_contents($errLog, false, null, $offset);
        self::assertStringContainsString('Maximum execution time of 1 second exceeded', $log);
        self::assertStringContainsString('busy.php', $log);

        // Released by the extension at request end, not left for a reclaim:
        // status() is read before anyone acquires the key again.
        $s = self::keyStatus($key);
        self::assertSame(0, $s['active'], json_encode($s));
        self::assertSame([], $s['holders']);
        self::assertSame(1, $s['acquired']);
        self::assertSame(1, $s['released']);
        self::assertSame(0, $s['reclaimed_dead']);
        self::assertSame(0, $s['reclaimed_expired']);
        self::assertSame(0, self::info()['leases_in_use']);
        self::note(sprintf('max_execution_time fatal while holding: HTTP %d, released=%d reclaimed=%d',
            $r['status'], $s['released'], $s['reclaimed_dead'] + $s['reclaimed_expired']));

        // And the key is usable at once (limit 1).
        $again = Http::get("hold.php?key=$key&limit=1&ms=0");
        self::assertSame(200, $again['status'], $again['raw']);
    }
}
