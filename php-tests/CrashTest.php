<?php
declare(strict_types=1);

namespace Sluice\Tests;

use Sluice\Limiter;
use Sluice\Tests\Support\Child;
use Sluice\Tests\Support\SluiceTestCase;

/**
 * Processes that die without running anything (SIGKILL, the OOM killer,
 * FPM's request_terminate_timeout): their slots come back on the next acquire,
 * even when they died inside the critical section holding the segment's mutex.
 */
final class CrashTest extends SluiceTestCase
{
    public function testSlotOfAKilledHolderIsReclaimedByTheNextAcquire(): void
    {
        $key = self::key('crash-kill');
        $limiter = new Limiter([$key => 1]);
        $child = self::holdInChild([$key => 1], 'victim');
        self::assertNull($limiter->tryAcquire(), 'the child holds the only slot');
        self::assertSame($child->pid, self::statusOf($key)['holders'][0]['pid']);

        $child->kill(9);
        $r = $child->wait();
        self::assertSame(9, $r->signal);

        $t = hrtime(true);
        $lease = $limiter->tryAcquire();
        $ms = (hrtime(true) - $t) / 1e6;
        self::assertNotNull($lease, 'the dead holder\'s slot is reclaimed at once');
        self::assertLessThan(250, $ms, 'no waiting for a TTL');
        $s = self::statusOf($key);
        self::assertSame(1, $s['reclaimed_dead']);
        self::assertSame(0, $s['released']);
        self::assertSame(1, $s['active']);
        self::assertSame(getmypid(), $s['holders'][0]['pid']);
    }

    public function testSweepReclaimsLeasesOfKilledProcesses(): void
    {
        $key = self::key('crash-sweep');
        $child = self::holdInChild([$key => 5], '', 2);
        $child->kill(9);
        $child->wait();
        self::assertSame(2, self::statusOf($key)['active'], 'nobody has looked yet');
        $swept = \Sluice\sweep();
        self::assertGreaterThanOrEqual(2, $swept['reclaimed_dead']);
        self::assertSame(0, self::statusOf($key)['active']);
        self::assertSame(2, self::statusOf($key)['reclaimed_dead']);
    }

    public function testTestingHookIsRefusedWithoutTestHooks(): void
    {
        $r = Child::run(<<<'PHP'
            try { Sluice\Testing\park_next_acquire_in_critical_section(); echo json_encode('parked'), "\n"; }
            catch (Sluice\Exception $e) { echo json_encode([get_class($e), $e->getMessage()]), "\n"; }
            PHP, [], ['sluice.test_hooks' => 0]);
        [$class, $message] = $r->json();
        self::assertSame('Sluice\Exception', $class);
        self::assertStringContainsString('sluice.test_hooks=1', $message);
    }

    /** Waits until process $pid sleeps in pause(2) (the hook's loop), at most $timeout seconds. */
    private static function waitUntilParked(int $pid, float $timeout = 5.0): void
    {
        $deadline = microtime(true) + $timeout;
        while (microtime(true) < $deadline) {
            $syscall = (string) @file_get_contents("/proc/$pid/syscall");
            $wchan = (string) @file_get_contents("/proc/$pid/wchan");
            $x86Pause = php_uname('m') === 'x86_64' && str_starts_with($syscall, '34 ');
            if ($x86Pause || preg_match('/pause|sigsuspend/', $wchan)) {
                return;
            }
            usleep(5000);
        }
        // Cannot tell from /proc here: give it ample time to get there.
        usleep(300000);
    }

    public function testHolderKilledInsideTheCriticalSectionIsRepaired(): void
    {
        $key = self::key('crash-cs');
        $other = self::key('crash-cs-other');
        $keep = (new Limiter([$other => 2]))->tryAcquire('survivor');
        $repairsBefore = \Sluice\segment_info()['repairs'];

        $child = Child::start(<<<'PHP'
            $limiter = new Sluice\Limiter([$key => 1]);
            Sluice\Testing\park_next_acquire_in_critical_section();
            echo "parking\n";
            $limiter->tryAcquire('doomed');
            echo "not reached\n";
            PHP, ['key' => $key]);
        $child->expectLine('parking');
        self::waitUntilParked($child->pid);
        // Only lock-free reads while it holds the mutex: segment_info() is one.
        self::assertSame($repairsBefore, \Sluice\segment_info()['repairs']);
        $child->kill(9);
        $r = $child->wait();
        self::assertSame(9, $r->signal, $r->describe());
        self::assertStringNotContainsString('not reached', $r->stdout);

        $t = hrtime(true);
        $lease = (new Limiter([$key => 1]))->tryAcquire();  // takes the mutex: EOWNERDEAD, repair
        $ms = (hrtime(true) - $t) / 1e6;
        self::assertNotNull($lease, 'the slot the dead process half-took is free');
        self::assertLessThan(1000, $ms, 'no deadlock');
        self::assertSame($repairsBefore + 1, \Sluice\segment_info()['repairs']);

        // Consistent: active matches the holders, on the repaired key and elsewhere.
        $status = \Sluice\status();
        foreach ([$key, $other] as $k) {
            $holders = array_filter($status[$k]['holders'], fn (array $h) => !$h['waiting']);
            self::assertCount($status[$k]['active'], $holders, "holders of $k");
        }
        self::assertSame(1, $status[$key]['active']);
        self::assertSame($lease->token(), $status[$key]['holders'][0]['token']);
        self::assertSame(1, $status[$key]['reclaimed_dead'], 'the dead process\'s committed record was reclaimed');
        self::assertSame(1, $status[$other]['active']);
        self::assertTrue($keep->isHeld(), 'leases of live processes survive the repair');
        self::assertSame('survivor', $status[$other]['holders'][0]['label']);

        // And the table keeps working normally.
        self::assertTrue($lease->release());
        self::assertTrue($keep->release());
        self::assertSame(0, \Sluice\status()[$key]['active']);
    }

    public function testManyKilledHoldersNeverExceedTheLimit(): void
    {
        $key = self::key('crash-many');
        $limiter = new Limiter([$key => 2]);
        for ($round = 0; $round < 4; $round++) {
            $children = [];
            for ($i = 0; $i < 3; $i++) {
                $children[] = Child::start(<<<'PHP'
                    $lease = (new Sluice\Limiter([$key => 2]))->acquire(5000);
                    echo $lease ? "held\n" : "none\n";
                    sleep(60);
                    PHP, ['key' => $key]);
            }
            $pids = array_map(fn (Child $c) => $c->pid, $children);
            self::eventually(function () use ($key, $pids): bool {
                $holders = array_filter(self::statusOf($key)['holders'], fn (array $h) => !$h['waiting']);
                return count(array_intersect(array_column($holders, 'pid'), $pids)) === 2;
            }, 5.0, 'two of this round\'s children to hold the slots');
            self::assertLessThanOrEqual(2, self::statusOf($key)['peak']);
            foreach ($children as $c) {
                $c->kill(9);
                $c->wait();
            }
        }
        // A waiter may have taken a slot as its peers died and then been killed holding it: one
        // sweep reclaims every dead holder, whatever an acquire needed for itself.
        \Sluice\sweep();
        $lease = $limiter->tryAcquire();
        self::assertNotNull($lease);
        $s = self::countersOf($key);
        self::assertSame(2, $s['peak']);
        self::assertGreaterThanOrEqual(8, $s['reclaimed_dead']);
        self::assertSame(1, $s['active']);
    }
}
