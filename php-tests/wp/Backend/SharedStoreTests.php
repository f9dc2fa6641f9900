<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use SluiceWP\Backend\Lease;
use SluiceWP\Backend\Refusal;

/**
 * What the stores that keep their records where several hosts share them
 * (the database and Redis backends) promise beyond the backend contract:
 * their counters, a token per lease, holders that name their host, and a
 * lease of another host that only its TTL frees. The class that uses it says
 * how to build its store (backend()) and how to make a lease look like one
 * of a process of another host (moveToAnotherHost()).
 */
trait SharedStoreTests
{
    /** Makes the lease's holder a process of another host, one this host cannot see. */
    abstract protected function moveToAnotherHost(Lease $lease): void;

    private function granted(Lease|Refusal $result): Lease
    {
        self::assertInstanceOf(Lease::class, $result);
        return $result;
    }

    public function testCountersAndPeak(): void
    {
        $b = $this->backend();
        $key = self::key();
        $one = $this->granted($b->tryAcquire([$key => 2], 60, 'one'));
        $two = $this->granted($b->tryAcquire([$key => 2], 60, 'two'));
        self::assertInstanceOf(Refusal::class, $b->tryAcquire([$key => 2], 60, 'three'));
        $b->release($one);
        $b->release($two);
        $status = $b->operatorView()->keys()[$key];
        self::assertSame([2, 0, 2, 2, 1, 2], [$status->limit, $status->active, $status->peak, $status->acquired, $status->throttled, $status->released]);
    }

    /**
     * The peak counts under the key's current limit, from when that limit
     * applied (or the key was last reset): a limit-1 key does not show the
     * 2 of an earlier limit-2 run, and says since when it counts.
     */
    public function testThePeakCountsSinceTheLimitLastChangedOrTheKeyWasReset(): void
    {
        $b = $this->backend();
        $key = self::key();
        $one = $this->granted($b->tryAcquire([$key => 2], 60, 'one'));
        $two = $this->granted($b->tryAcquire([$key => 2], 60, 'two'));
        $b->release($one);
        $b->release($two);
        self::assertSame(2, $b->operatorView()->keys()[$key]->peak);
        $changed = time();
        $b->release($this->granted($b->tryAcquire([$key => 1], 60, 'alone')));
        $status = $b->operatorView()->keys()[$key];
        self::assertSame([1, 1], [$status->limit, $status->peak], 'the limit-2 peak is not shown under limit 1');
        self::assertGreaterThanOrEqual($changed - 1, $status->peakSince, 'it counts from the change of limit');
        self::assertLessThanOrEqual(time() + 1, $status->peakSince);
        $b->operatorView()->reset($key);
        self::assertSame(0, $b->operatorView()->keys()[$key]->peak, 'a reset starts the peak over');
    }

    /** A lease of another host (or another pid namespace) is never judged dead here: only its TTL frees it. */
    public function testALeaseOfAnotherHostComesBackOnlyByItsTtl(): void
    {
        $b = $this->backend();
        $key = self::key('remote');
        $lease = $this->granted($b->tryAcquire([$key => 1], 2, 'remote'));
        $this->moveToAnotherHost($lease);
        self::assertInstanceOf(Refusal::class, $b->tryAcquire([$key => 1], 60, 'local'));
        $b->operatorView()->sweep(); // (other tests' lapsed reservations may go now; this lease may not)
        $status = $b->operatorView()->keys()[$key];
        self::assertSame([1, 0], [$status->active, $status->reclaimedDead], 'nothing this host can judge dead');
        usleep(2_100_000);
        self::assertInstanceOf(Lease::class, $b->tryAcquire([$key => 1], 60, 'after the ttl'));
        self::assertSame(1, $b->operatorView()->keys()[$key]->reclaimedExpired);
    }

    public function testTheSameKeyTakenBySeveralLeasesKeepsTheirTokensApart(): void
    {
        $b = $this->backend();
        $key = self::key();
        $leases = [];
        for ($i = 0; $i < 5; $i++) {
            $leases[] = $this->granted($b->tryAcquire([$key => 5], 60, "l$i"));
        }
        self::assertCount(5, array_unique(array_map(static fn (Lease $l): string => $l->token, $leases)));
        self::assertMatchesRegularExpression('/^[0-9a-f]{32}$/', $leases[0]->token);
        foreach ($leases as $lease) {
            self::assertTrue($b->release($lease));
        }
    }

    public function testHoldersNameTheirHost(): void
    {
        $b = $this->backend();
        $key = self::key();
        $lease = $this->granted($b->tryAcquire([$key => 1], 60, 'here'));
        self::assertSame((string) gethostname(), $b->operatorView()->keys()[$key]->holders[0]->host);
        $b->release($lease);
    }
}
