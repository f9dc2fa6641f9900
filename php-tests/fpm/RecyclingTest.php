<?php
declare(strict_types=1);

namespace Sluice\FpmTests;

/**
 * Workers come and go while leases are held: pm.max_requests recycling, a
 * graceful FPM reload (SIGUSR2: workers finish their request, then exit) and
 * a reload that outlasts process_control_timeout (workers SIGTERMed while
 * holding). Afterwards no lease is leaked: released, or reclaimable by sweep().
 */
final class RecyclingTest extends FpmTestCase
{
    public function testWorkersRecycledByMaxRequestsLeakNothing(): void
    {
        Stack::ensure(['workers' => 4, 'max_requests' => 3]);
        $key = self::key('recycle');
        $fpmLog = Stack::logFile('php-fpm.log');
        clearstatcache();
        $offset = filesize($fpmLog);

        // 8 clients x 6 sequential requests = 48 requests on 4 workers that
        // each serve 3: at least 16 worker processes come and go.
        $results = [];
        $http = new Http();
        $sent = array_fill(0, 8, 0);
        foreach (array_keys($sent) as $c) {
            $http->add("hold.php?key=$key&limit=2&ms=40&label=c$c", $c);
            $sent[$c]++;
        }
        $deadline = microtime(true) + 60;
        while ($http->pending() > 0 && microtime(true) < $deadline) {
            foreach ($http->poll(0.01) as $r) {
                $results[] = $r;
                $c = $r['tag'];
                if ($sent[$c] < 6) {
                    $http->add("hold.php?key=$key&limit=2&ms=40&label=c$c", $c);
                    $sent[$c]++;
                }
            }
        }
        self::assertCount(48, $results);
        self::assertGrantedOrThrottled($results, 2);
        $pids = array_unique(array_map(fn($r) => $r['body']['pid'], $results));
        self::assertGreaterThanOrEqual(16, count($pids), 'every worker served at most 3 requests');
        self::assertLessThanOrEqual(2, self::maxOverlap(self::grantedIntervals($results)));
        usleep(200000);
        $log = (string) file_get_contents($fpmLog, false, null, $offset);
        self::assertGreaterThanOrEqual(12, preg_match_all('/child \d+ exited with code 0/', $log),
            'workers exited after pm.max_requests');

        $counts = self::byStatus($results);
        $s = self::keyStatus($key);
        self::assertSame(0, $s['active']);
        self::assertSame($counts[200], $s['acquired']);
        self::assertSame($counts[200], $s['released']);
        self::assertSame($counts[429] ?? 0, $s['throttled']);
        self::assertSame(0, $s['reclaimed_dead'] + $s['reclaimed_expired']);
        self::assertSame(0, self::info()['leases_in_use']);
        self::note(sprintf('pm.max_requests=3: 48 requests on %d worker processes, %d granted, %d throttled, '
            . 'leases_in_use 0, reclaimed 0', count($pids), $counts[200], $counts[429] ?? 0));
    }

    /** Starts $n requests holding $ms on $key (limit $n) and waits until all hold. */
    private static function holdAll(string $key, int $n, int $ms): Http
    {
        $http = new Http();
        for ($i = 0; $i < $n; $i++) {
            $http->add("hold.php?key=$key&limit=$n&ms=$ms&label=inflight-$i", $i, 60);
        }
        self::waitFor(fn() => self::keyStatus($key)['active'] === $n, 15, "$n requests holding", $http);
        return $http;
    }

    public function testGracefulReloadWhileLeasesAreHeldLeaksNothing(): void
    {
        Stack::ensure(['workers' => 4, 'control_timeout' => 10]);
        $key = self::key('reload');
        $before = self::fpmWorkers();
        $http = self::holdAll($key, 4, 1500);
        $holders = array_column(self::keyStatus($key)['holders'], 'pid');
        sort($holders);
        sort($before);
        self::assertSame($before, $holders, 'the 4 workers hold the 4 slots');

        Stack::reloadFpm();  // SIGUSR2; returns when the new workers serve
        $results = $http->waitAll(30);
        // SIGQUIT lets a worker finish its request: every holder answered and released.
        self::assertSame([200 => 4], self::byStatus($results), json_encode(array_column($results, 'raw')));
        foreach ($results as $r) {
            self::assertTrue($r['body']['released']);
            self::assertGreaterThanOrEqual(1500e6, $r['body']['ended'] - $r['body']['started']);
        }
        $after = self::fpmWorkers();
        self::assertSame([], array_intersect($before, $after), 'the reload replaced every worker');

        $s = self::keyStatus($key);
        self::assertSame(0, $s['active']);
        self::assertSame(4, $s['released']);
        self::assertSame(0, $s['reclaimed_dead'] + $s['reclaimed_expired']);
        self::assertSame(0, self::info()['leases_in_use']);
        $r = Http::get("hold.php?key=$key&limit=1&ms=0");
        self::assertSame(200, $r['status'], $r['raw']);
        self::note('graceful reload with 4 leases in flight: 4 x 200, released 4, leases_in_use 0');
    }

    public function testReloadThatKillsHoldersLeavesOnlyReclaimableLeases(): void
    {
        Stack::ensure(['workers' => 4, 'control_timeout' => 1]);
        $key = self::key('reload-kill');
        $http = self::holdAll($key, 4, 8000);
        $holders = array_column(self::keyStatus($key)['holders'], 'pid');

        Stack::reloadFpm();  // SIGQUIT, and SIGTERM 1 s later: the holders die mid-request
        $results = $http->waitAll(30);
        self::assertSame([502 => 4], self::byStatus($results));
        // (FPM logs the exits of a reload at debug level only; the pids tell.)
        foreach ($holders as $pid) {
            self::assertFileDoesNotExist("/proc/$pid", "holder $pid survived the reload");
        }
        self::assertSame([], array_intersect($holders, self::fpmWorkers()));

        // No RSHUTDOWN ran: the dead holders' leases are still in the table,
        // as dead owners that sweep() (or the next acquire) reclaims.
        $s = self::keyStatus($key);
        self::assertSame(4, $s['active']);
        self::assertSame(0, $s['released']);
        $sweep = Cli::ok(['sweep'])['sweep'];
        self::assertSame(['reclaimed_dead' => 4, 'reclaimed_expired' => 0], $sweep);
        $s = self::keyStatus($key);
        self::assertSame(0, $s['active']);
        self::assertSame(4, $s['reclaimed_dead']);
        self::assertSame(0, self::info()['leases_in_use']);
        self::assertSame(['reclaimed_dead' => 0, 'reclaimed_expired' => 0], Cli::ok(['sweep'])['sweep'],
            'nothing left for a second sweep');
        self::assertConsistent(self::status(), self::info());
        self::note('reload past process_control_timeout: 4 holders killed mid-request (502), sweep reclaimed 4 dead, '
            . 'leases_in_use 0');
    }
}
