<?php
declare(strict_types=1);

namespace Sluice\FpmTests;

/**
 * A worker SIGKILLed while it is inside the critical section, holding the
 * segment's robust mutex (test hook sluice.test_hooks=1, park.php). The next
 * process to lock gets EOWNERDEAD and repairs the table; the other workers
 * carry on, and the table is consistent.
 */
final class CriticalSectionKillTest extends FpmTestCase
{
    public function testWorkerKilledInsideTheCriticalSectionOthersCarryOnAndTheTableIsRepaired(): void
    {
        Stack::ensure(['workers' => 4]);
        $key = self::key('parked');
        $warm = Http::get("hold.php?key=$key&limit=2&ms=0");
        self::assertSame(200, $warm['status'], $warm['raw']);
        $repairsBefore = self::info()['repairs'];

        $parked = new Http();
        $parked->add("park.php?key=$key&limit=2", null, 60);
        // Find the parked worker on FPM's status page (status() would block now).
        $pid = self::waitFor(function () use ($parked) {
            $parked->poll(0.001);
            foreach (Http::fpmStatus()['processes'] as $p) {
                if (str_contains($p['request uri'], 'park.php') && $p['state'] === 'Running'
                    && $p['request duration'] > 200000) {
                    return (int) $p['pid'];
                }
            }
            return null;
        }, 10, 'a worker parked in park.php', $parked);

        // It holds the table lock: an acquire from a root CLI blocks.
        $blocked = Cli::run(['try', $key, '2'], [], 1.5);
        self::assertSame(124, $blocked->exitCode(), 'an acquire should block while the worker is parked: '
            . json_encode($blocked->lines()));

        $fpmLog = Stack::logFile('php-fpm.log');
        clearstatcache();
        $offset = filesize($fpmLog);
        self::assertTrue(posix_kill($pid, SIGKILL));
        $gone = $parked->waitAll(10)[0];
        self::assertSame(502, $gone['status'], 'the parked request dies with its worker');

        // The other workers carry on: 12 clients, limit 2, 100 ms holds, until each is granted.
        $t0 = hrtime(true);
        $results = Http::untilGranted(12, fn(int $i, int $n) => "hold.php?key=$key&limit=2&ms=100&label=after-$i-$n",
            [10, 40], 400, 60);
        $ms = (hrtime(true) - $t0) / 1e6;
        self::assertGrantedOrThrottled($results, 2);
        self::assertSame(12, self::byStatus($results)[200]);
        self::assertLessThanOrEqual(2, self::maxOverlap(self::grantedIntervals($results)));
        self::assertNotContains($pid, array_map(fn($r) => $r['body']['pid'], $results));

        usleep(100000);
        $log = (string) file_get_contents($fpmLog, false, null, $offset);
        self::assertStringContainsString("child $pid exited on signal 9 (SIGKILL)", $log);

        // Repaired, and consistent.
        $info = self::info();
        self::assertGreaterThanOrEqual($repairsBefore + 1, $info['repairs']);
        $all = self::status();
        self::assertConsistent($all, $info);
        $s = $all[$key];
        self::assertSame(0, $s['active']);
        self::assertSame([], $s['holders']);
        self::assertLessThanOrEqual(2, $s['peak']);
        self::assertSame(0, $info['leases_in_use']);
        self::assertSame(['reclaimed_dead' => 0, 'reclaimed_expired' => 0], Cli::ok(['sweep'])['sweep']);
        self::note(sprintf('SIGKILL inside the critical section (worker %d): repairs %d -> %d, then 12 clients '
            . 'granted in %.2f s, max overlap 2, leases_in_use 0', $pid, $repairsBefore, $info['repairs'], $ms / 1000));
    }
}
