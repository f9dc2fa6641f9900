<?php
declare(strict_types=1);

namespace Sluice\Tests;

use Sluice\Lease;
use Sluice\Limiter;
use Sluice\Tests\Support\Child;
use Sluice\Tests\Support\SluiceTestCase;

/** acquire(): a bounded wait that is woken when a holder in another process releases. */
final class WaitTest extends SluiceTestCase
{
    public function testWaiterIsWokenByAReleaseInAnotherProcess(): void
    {
        $key = self::key('wait-wake');
        $child = Child::start(<<<'PHP'
            $lease = (new Sluice\Limiter([$key => 1]))->tryAcquire();
            echo "held\n";
            usleep(300000);
            $lease->release();
            sleep(30);
            PHP, ['key' => $key]);
        $child->expectLine('held');
        $limiter = new Limiter([$key => 1]);
        $t = hrtime(true);
        $lease = $limiter->acquire(5000, 'waiter');
        $ms = (hrtime(true) - $t) / 1e6;
        $child->kill();
        $child->wait();
        self::assertInstanceOf(Lease::class, $lease);
        self::assertLessThan(2500, $ms, 'woken well before the timeout');
        self::assertGreaterThan(150, $ms, 'it did have to wait for the holder');
        self::assertNull($limiter->lastRefusal());
        $s = self::countersOf($key);
        self::assertSame(1, $s['released']);
        self::assertSame(0, $s['reclaimed_dead']);
        self::assertSame(0, $s['waiters'], 'the waiter record is gone');
        self::assertSame(1, $s['active']);
    }

    public function testWaitersAreVisibleAndWokenByThisProcessesRelease(): void
    {
        $key = self::key('wait-visible');
        $lease = (new Limiter([$key => 1]))->tryAcquire('holder');
        $child = Child::start(<<<'PHP'
            $t = hrtime(true);
            echo "waiting\n";
            $lease = (new Sluice\Limiter([$key => 1]))->acquire(10000, 'patient');
            echo json_encode([$lease !== null, (hrtime(true) - $t) / 1e6]), "\n";
            PHP, ['key' => $key]);
        $child->expectLine('waiting');
        self::eventually(fn () => self::statusOf($key)['waiters'] === 1, 5.0, 'the child to wait');
        $holders = self::statusOf($key)['holders'];
        self::assertCount(2, $holders);
        self::assertSame([false, true], array_column($holders, 'waiting'), 'holders first, then waiters');
        self::assertSame(['holder', 'patient'], array_column($holders, 'label'));
        self::assertSame($child->pid, $holders[1]['pid']);

        $released = hrtime(true);
        self::assertTrue($lease->release());
        $r = $child->wait();
        [$granted, $ms] = $r->json();
        self::assertTrue($granted, $r->describe());
        self::assertLessThan(5000, $ms);
        self::assertLessThan(1000, (hrtime(true) - $released) / 1e6, 'woken promptly after the release');
        self::assertSame(0, self::statusOf($key)['waiters']);
    }

    public function testWaiterTimesOutWithNullWhenNobodyReleases(): void
    {
        $key = self::key('wait-timeout');
        $child = self::holdInChild([$key => 1]);
        $limiter = new Limiter([$key => 1]);
        $t = hrtime(true);
        $lease = $limiter->acquire(500);
        $ms = (hrtime(true) - $t) / 1e6;
        self::assertNull($lease);
        self::assertGreaterThanOrEqual(495, $ms);
        self::assertLessThan(1500, $ms);
        self::assertSame(['key' => $key, 'limit' => 1, 'active' => 1, 'kind' => 'slot', 'retry_after_ms' => 0, 'level' => 0.0], $limiter->lastRefusal());
        $s = self::countersOf($key);
        self::assertSame(0, $s['waiters']);
        self::assertSame(1, $s['throttled'], 'a timed-out wait counts as one throttle');
        $child->kill();
        $child->wait();
    }

    public function testZeroTimeoutTriesOnce(): void
    {
        $key = self::key('wait-zero');
        $limiter = new Limiter([$key => 1]);
        $held = $limiter->acquire(0);
        self::assertNotNull($held);
        $t = hrtime(true);
        self::assertNull($limiter->acquire(0));
        self::assertLessThan(50, (hrtime(true) - $t) / 1e6);
    }

    public function testWaiterGetsTheSlotOfAHolderThatDies(): void
    {
        $key = self::key('wait-dead');
        $child = self::holdInChild([$key => 1]);
        $pid = $child->pid;
        // Kill it from a helper process while we wait (it stays a zombie of ours
        // until Child reaps it): dead owners wake nobody, so the waiter must
        // notice on its own periodic re-check.
        $killer = Child::start('usleep(200000); posix_kill($pid, 9); echo "killed\n";', ['pid' => $pid]);
        $t = hrtime(true);
        $lease = (new Limiter([$key => 1]))->acquire(5000);
        $ms = (hrtime(true) - $t) / 1e6;
        $killer->wait();
        $child->wait();
        self::assertNotNull($lease);
        self::assertLessThan(2500, $ms);
        self::assertSame(1, self::countersOf($key)['reclaimed_dead']);
    }

    public function testMultiKeyWaitTakesBothKeys(): void
    {
        $site = self::key('wait-site');
        $provider = self::key('wait-provider');
        $blocker = (new Limiter([$provider => 1]))->tryAcquire();
        $child = Child::start(<<<'PHP'
            echo "waiting\n";
            $lease = (new Sluice\Limiter([$site => 2, $provider => 1]))->acquire(5000);
            echo json_encode($lease?->keys()), "\n";
            PHP, ['site' => $site, 'provider' => $provider]);
        $child->expectLine('waiting');
        self::eventually(fn () => self::statusOf($provider)['waiters'] === 1, 5.0, 'the child to wait');
        self::assertSame(0, self::statusOf($site)['active'], 'a waiter holds nothing');
        $blocker->release();
        $r = $child->wait();
        self::assertSame([$site, $provider], $r->json(), $r->describe());
        self::assertSame(1, self::statusOf($site)['acquired']);
    }
}
