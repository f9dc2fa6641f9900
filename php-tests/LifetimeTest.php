<?php
declare(strict_types=1);

namespace Sluice\Tests;

use Sluice\Limiter;
use Sluice\Tests\Support\Child;
use Sluice\Tests\Support\SluiceTestCase;

/**
 * What users rely on: a lease never outlives the PHP request that took it,
 * however the request ends, and its slot comes back as "released" (by the
 * extension) rather than "reclaimed" (by somebody else, later).
 */
final class LifetimeTest extends SluiceTestCase
{
    /** Asserts that $key is free again and that its one lease ended as released, not reclaimed. */
    private static function assertReleasedNotReclaimed(string $key, int $acquired = 1): void
    {
        $s = self::countersOf($key);
        self::assertSame(0, $s['active'], 'slot is free');
        self::assertSame($acquired, $s['acquired']);
        self::assertSame($acquired, $s['released'], 'released by the extension');
        self::assertSame(0, $s['reclaimed_dead'], 'not left for the reclaim path');
        self::assertSame(0, $s['reclaimed_expired']);
        self::assertNotNull((new Limiter([$key => 1]))->tryAcquire(), 'the next acquire gets it at once');
    }

    public function testDroppingALeaseReleasesItAtOnce(): void
    {
        $key = self::key('life-drop');
        $limiter = new Limiter([$key => 1]);
        $lease = $limiter->tryAcquire();
        self::assertSame(1, self::statusOf($key)['active']);
        unset($lease);
        self::assertSame(0, self::statusOf($key)['active']);
        self::assertSame(1, self::statusOf($key)['released']);

        // An unused return value is dropped at once too.
        $limiter->tryAcquire();
        self::assertSame(0, self::statusOf($key)['active']);

        // Overwriting the variable drops the old lease.
        $lease = $limiter->tryAcquire();
        $lease = null;
        self::assertSame(0, self::statusOf($key)['active']);
        self::assertSame(3, self::statusOf($key)['released']);
    }

    public function testObjectsKeepingALeaseAliveKeepItHeld(): void
    {
        $key = self::key('life-alive');
        $limiter = new Limiter([$key => 1]);
        $box = new \ArrayObject([$limiter->tryAcquire()]);
        $copy = $box[0];
        unset($box);
        self::assertTrue($copy->isHeld(), 'still referenced');
        self::assertSame(1, self::statusOf($key)['active']);
        unset($copy);
        self::assertSame(0, self::statusOf($key)['active']);
    }

    /** @return array<string, array{string}> */
    public static function normalEndings(): array
    {
        return [
            'script ends, lease in a global' => ['$GLOBALS["lease"] = $limiter->tryAcquire(); echo "held\n";'],
            'script ends, lease in a static (request shutdown)' =>
                ['class Keep { public static $lease; } Keep::$lease = $limiter->tryAcquire(); echo "held\n";'],
            'script ends, lease in a reference cycle' =>
                ['$a = new stdClass; $a->self = $a; $a->lease = $limiter->tryAcquire(); unset($a); echo "held\n";'],
            'exit()' => ['$lease = $limiter->tryAcquire(); echo "held\n"; exit(3);'],
            'uncaught exception' => ['$lease = $limiter->tryAcquire(); echo "held\n"; throw new RuntimeException("boom");'],
            'fatal error' => ['$lease = $limiter->tryAcquire(); echo "held\n"; undefined_function_sluice();'],
        ];
    }

    /** @dataProvider normalEndings */
    public function testALeaseStillHeldAtRequestEndIsReleased(string $code): void
    {
        $key = self::key('life-end');
        $child = Child::start('$limiter = new Sluice\Limiter([$key => 1]);' . $code, ['key' => $key]);
        $child->expectLine('held');
        $r = $child->wait();
        self::assertNull($r->signal, $r->describe());
        self::assertReleasedNotReclaimed($key);
    }

    public function testMaxExecutionTimeFatalWhileHoldingReleases(): void
    {
        $key = self::key('life-timeout');
        $child = Child::start(<<<'PHP'
            $lease = (new Sluice\Limiter([$key => 1]))->tryAcquire('busy');
            echo "held\n";
            for (;;) {}
            PHP, ['key' => $key], ['max_execution_time' => 1]);
        $child->expectLine('held');
        self::assertSame(1, self::statusOf($key)['active']);
        $r = $child->wait(20);
        self::assertStringContainsString('Maximum execution time of 1 second exceeded', $r->stderr . $r->stdout);
        self::assertSame(255, $r->exitCode);
        self::assertReleasedNotReclaimed($key);
    }

    public function testAcquireWaitsAreBoundedAndReleasedOnTimeoutFatal(): void
    {
        // A process blocked in acquire() stays responsive: its wait ends at the
        // timeout, and whatever it held is released when it then dies of a fatal.
        $held = self::key('life-held');
        $busy = self::key('life-busy');
        $blocker = (new Limiter([$busy => 1]))->tryAcquire();
        $child = Child::start(<<<'PHP'
            $lease = (new Sluice\Limiter([$held => 1]))->tryAcquire();
            echo "held\n";
            $t = hrtime(true);
            $none = (new Sluice\Limiter([$busy => 1]))->acquire(300);
            echo json_encode([$none === null, (hrtime(true) - $t) / 1e6]), "\n";
            for (;;) {}
            PHP, ['held' => $held, 'busy' => $busy], ['max_execution_time' => 1]);
        $child->expectLine('held');
        [$timedOut, $waitedMs] = json_decode($child->readLine(), true);
        self::assertTrue($timedOut);
        self::assertGreaterThanOrEqual(290, $waitedMs);
        $r = $child->wait(20);
        self::assertStringContainsString('Maximum execution time', $r->stderr . $r->stdout);
        self::assertReleasedNotReclaimed($held);
        self::assertTrue($blocker->isHeld());
    }

    public function testAForkedChildDoesNotReleaseItsParentsLeases(): void
    {
        if (!function_exists('pcntl_fork')) {
            self::markTestSkipped('pcntl is not loaded');
        }
        $key = self::key('life-fork');
        $r = Child::run(<<<'PHP'
            $lease = (new Sluice\Limiter([$key => 1]))->tryAcquire();
            $pid = pcntl_fork();
            if ($pid === 0) {
                exit(0);  // the child's request shutdown and object frees must leave the lease alone
            }
            pcntl_waitpid($pid, $status);
            $heldAfterChild = $lease->isHeld();
            unset($lease);
            echo json_encode([pcntl_wexitstatus($status), $heldAfterChild]), "\n";
            PHP, ['key' => $key]);
        self::assertSame([0, true], $r->json(), $r->describe());
        self::assertReleasedNotReclaimed($key);
    }

    public function testLeasesOfManyLimitersAreAllReleasedAtRequestEnd(): void
    {
        $keys = [self::key('life-many-a'), self::key('life-many-b'), self::key('life-many-c')];
        $child = Child::start(<<<'PHP'
            class Keep { public static array $leases = []; }
            foreach ($keys as $key) {
                $limiter = new Sluice\Limiter([$key => 5]);
                for ($i = 0; $i < 3; $i++) {
                    Keep::$leases[] = $limiter->tryAcquire();
                }
            }
            // Some released early, one twice: request end must not double-release.
            Keep::$leases[0]->release();
            Keep::$leases[0]->release();
            echo "held\n";
            PHP, ['keys' => $keys]);
        $child->expectLine('held');
        $child->wait();
        foreach ($keys as $key) {
            $s = self::countersOf($key);
            self::assertSame(0, $s['active']);
            self::assertSame(3, $s['released']);
            self::assertSame(0, $s['reclaimed_dead']);
        }
    }
}
