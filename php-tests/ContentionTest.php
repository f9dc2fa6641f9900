<?php
declare(strict_types=1);

namespace Sluice\Tests;

use Sluice\Limiter;
use Sluice\Tests\Support\Child;
use Sluice\Tests\Support\SluiceTestCase;

/**
 * Several PHP processes hammer one key: the limit holds at every instant, as
 * measured by the processes themselves on the host-wide monotonic clock.
 */
final class ContentionTest extends SluiceTestCase
{
    private const WORKER = <<<'PHP'
        $limiter = new Sluice\Limiter([$key => $limit], 30);
        // A start barrier, not a start time: the window opens once every child runs (however late a loaded
        // machine starts one), so they all contend at once.
        touch("$barrier.$id");
        $giveUp = hrtime(true) + 20_000_000_000;
        while (count((array) glob("$barrier.*")) < $workers && hrtime(true) < $giveUp) { usleep(500); }
        $end = hrtime(true) + $durationNs;
        $intervals = [];
        $throttles = 0;
        while (hrtime(true) < $end) {
            $lease = $limiter->tryAcquire("worker $id");
            if ($lease === null) {
                $throttles++;
                // 'wait' mode sleeps in acquire() until a holder releases.
                $lease = $mode === 'wait' ? $limiter->acquire(500, "worker $id") : null;
            }
            if ($lease === null) {
                usleep(random_int(200, 1000));
                continue;
            }
            $from = hrtime(true);           // right after the grant
            usleep(random_int(1000, 4000)); // the "provider call"
            $to = hrtime(true);             // right before the release
            $lease->release();
            $intervals[] = [$from, $to];
            usleep(random_int(300, 1500));  // other work before the next job
        }
        echo json_encode(['intervals' => $intervals, 'throttles' => $throttles]), "\n";
        PHP;

    /** @return array<string, array{string}> */
    public static function modes(): array
    {
        return ['tryAcquire' => ['try'], 'acquire (futex wait)' => ['wait']];
    }

    /** @dataProvider modes */
    public function testSixProcessesNeverExceedALimitOfTwo(string $mode): void
    {
        $key = self::key('contention-' . $mode);
        $limit = 2;
        $workers = 6;
        $barrier = tempnam(sys_get_temp_dir(), 'sluice-contention-');
        $children = [];
        for ($id = 1; $id <= $workers; $id++) {
            $children[$id] = Child::start(self::WORKER, [
                'key' => $key, 'limit' => $limit, 'id' => $id, 'mode' => $mode,
                'barrier' => $barrier, 'workers' => $workers, 'durationNs' => 1_500_000_000,
            ]);
        }
        $all = [];
        $throttles = 0;
        foreach ($children as $id => $child) {
            $r = $child->wait(60);
            self::assertSame(0, $r->exitCode, $r->describe());
            $report = $r->json();
            self::assertNotEmpty($report['intervals'], "worker $id got slots");
            $all = array_merge($all, $report['intervals']);
            $throttles += $report['throttles'];
        }
        array_map('unlink', array_merge([$barrier], (array) glob("$barrier.*")));

        self::assertLessThanOrEqual($limit, self::maxOverlap($all), 'never more than the limit at once');
        self::assertSame($limit, self::maxOverlap($all), 'the limit was actually reached');
        self::assertGreaterThan(0, $throttles, 'workers were throttled');

        $s = self::countersOf($key);
        self::assertSame(count($all), $s['acquired']);
        self::assertSame(count($all), $s['released']);
        self::assertSame(0, $s['active']);
        self::assertSame($limit, $s['peak']);
        self::assertSame(0, $s['reclaimed_dead']);
        self::assertSame(0, $s['waiters']);
        self::assertGreaterThan(0, $s['throttled']);
        self::assertGreaterThanOrEqual($throttles, $s['throttled']);
    }

    public function testOverlapCheckerCatchesAnOverlap(): void
    {
        // The checker itself must be able to fail.
        self::assertSame(3, self::maxOverlap([[0, 10], [5, 15], [8, 9], [10, 20]]));
        self::assertSame(1, self::maxOverlap([[0, 10], [10, 20]]));
    }

    public function testTwoKeyContentionRespectsBothLimits(): void
    {
        $site = self::key('contention-site');
        $providerA = self::key('contention-pa');
        $providerB = self::key('contention-pb');
        $startAt = hrtime(true) + 400_000_000;
        $code = <<<'PHP'
            $limiter = new Sluice\Limiter([$site => 3, $provider => 2], 30);
            while (hrtime(true) < $startAt) { usleep(500); }
            $n = 0;
            // One second of contention; a child that a loaded machine started late goes on until its first grant.
            while (hrtime(true) < $startAt + 1_000_000_000 || ($n === 0 && hrtime(true) < $startAt + 20_000_000_000)) {
                if ($lease = $limiter->tryAcquire()) {
                    $n++;
                    usleep(random_int(500, 2000));
                    $lease->release();
                    usleep(random_int(300, 1500));  // other work before the next job
                } else {
                    usleep(300);
                }
            }
            echo json_encode($n), "\n";
            PHP;
        $children = [];
        foreach ([$providerA, $providerA, $providerA, $providerB, $providerB, $providerB] as $provider) {
            $children[] = Child::start($code, ['site' => $site, 'provider' => $provider, 'startAt' => $startAt]);
        }
        $grants = 0;
        foreach ($children as $c) {
            $r = $c->wait(30);
            self::assertGreaterThan(0, $r->json(), $r->describe());
            $grants += $r->json();
        }
        $status = \Sluice\status();
        self::assertLessThanOrEqual(3, $status[$site]['peak']);
        self::assertLessThanOrEqual(2, $status[$providerA]['peak']);
        self::assertLessThanOrEqual(2, $status[$providerB]['peak']);
        self::assertSame($grants, $status[$site]['acquired']);
        self::assertSame($grants, $status[$providerA]['acquired'] + $status[$providerB]['acquired']);
        self::assertSame(0, $status[$site]['active']);
    }
}
