<?php
declare(strict_types=1);

namespace Sluice\Tests;

use Sluice\Limiter;
use Sluice\Tests\Support\Child;
use Sluice\Tests\Support\SluiceTestCase;

/**
 * A holder killed while a provider request is open: the provider keeps serving
 * the orphaned request, so the slot drains (stays taken) until that request's
 * deadline, then is reclaimed; one whose request had answered is reclaimed at
 * once. Lease::requestStarted()/requestFinished() and the token functions.
 */
final class DrainTest extends SluiceTestCase
{
    /** The only holder entry of $key (fails if there is not exactly one). */
    private static function holderOf(string $key): array
    {
        $holders = self::statusOf($key)['holders'];
        self::assertCount(1, $holders);
        return $holders[0];
    }

    /**
     * Starts a child that takes the only slot of $key (TTL $ttl), runs $then
     * with $lease in scope, prints "held" and sleeps; kills it once it has.
     */
    private static function holderKilledAfter(string $key, string $then, int $ttl = 60): void
    {
        $child = Child::start(<<<PHP
            \$lease = (new Sluice\Limiter([\$key => 1], $ttl))->tryAcquire('orphan');
            if (\$lease === null) { echo "refused\\n"; exit(1); }
            $then
            echo "held\\n";
            sleep(60);
            PHP, ['key' => $key]);
        $child->expectLine('held');
        $child->kill(9);
        self::assertSame(9, $child->wait()->signal);
    }

    private static function assertReclaimed(string $key, int $dead, int $expired): void
    {
        $s = self::countersOf($key);
        self::assertSame(['dead' => $dead, 'expired' => $expired],
            ['dead' => $s['reclaimed_dead'], 'expired' => $s['reclaimed_expired']]);
    }

    public function testLeaseMarksShowInStatusAndLeaveTheTtlAlone(): void
    {
        $key = self::key('drain-marks');
        $lease = (new Limiter([$key => 1], 120))->tryAcquire();
        self::assertNotNull($lease);
        $ttlBefore = self::holderOf($key)['ttl_left_ms'];

        self::assertTrue($lease->requestStarted(30));
        $h = self::holderOf($key);
        self::assertTrue($h['request_open']);
        self::assertGreaterThan(29000, $h['drain_left_ms']);
        self::assertLessThanOrEqual(30000, $h['drain_left_ms']);
        self::assertFalse($h['owner_dead']);
        self::assertLessThanOrEqual($ttlBefore, $h['ttl_left_ms']);
        self::assertGreaterThan($ttlBefore - 5000, $h['ttl_left_ms'], 'the TTL is not touched');

        self::assertTrue($lease->requestFinished());
        $h = self::holderOf($key);
        self::assertFalse($h['request_open']);
        self::assertSame(0, $h['drain_left_ms']);
        self::assertTrue($lease->requestFinished(), 'finishing twice is harmless');

        self::assertTrue($lease->release());
        self::assertFalse($lease->requestStarted(5), 'not held any more');
        self::assertFalse($lease->requestFinished());
    }

    public function testTokenFunctionsWorkFromAnotherProcess(): void
    {
        $key = self::key('drain-token');
        $lease = (new Limiter([$key => 1]))->tryAcquire();
        $r = Child::run(<<<'PHP'
            echo json_encode([Sluice\request_started($token, 20), Sluice\status()[$key]['holders'][0]['drain_left_ms'] > 19000,
                Sluice\request_finished($token), Sluice\status()[$key]['holders'][0]['request_open']]), "\n";
            PHP, ['key' => $key, 'token' => $lease->token()]);
        self::assertSame([true, true, true, false], $r->json(), $r->describe());
        self::assertTrue(\Sluice\request_started($lease->token(), 1));
        self::assertTrue(self::holderOf($key)['request_open']);
        self::assertTrue($lease->release());
        self::assertFalse(\Sluice\request_started($lease->token(), 5));
        self::assertFalse(\Sluice\request_finished($lease->token()));
    }

    public function testKilledHolderWithAnOpenRequestDrainsUntilItsDeadline(): void
    {
        $key = self::key('drain-kill');
        $limiter = new Limiter([$key => 1]);
        $beforeMark = hrtime(true);
        self::holderKilledAfter($key, '$lease->requestStarted(2);');

        self::assertNull($limiter->tryAcquire(), 'the orphaned request may still be running at the provider');
        $h = self::holderOf($key);
        self::assertTrue($h['owner_dead']);
        self::assertTrue($h['request_open']);
        self::assertGreaterThan(0, $h['drain_left_ms']);
        self::assertLessThanOrEqual(2000, $h['drain_left_ms']);
        \Sluice\sweep(); // (it may reclaim other tests' dead holders in this run's segment: count this key's only)
        self::assertSame(0, self::countersOf($key)['reclaimed_dead'], 'a sweep must not cut the drain short');

        $lease = null;
        while ($lease === null && hrtime(true) - $beforeMark < 4e9) {
            $lease = $limiter->tryAcquire();
            if ($lease === null) {
                usleep(10000);
            }
        }
        $ms = (hrtime(true) - $beforeMark) / 1e6;
        self::assertNotNull($lease, 'the slot never came back');
        self::assertGreaterThanOrEqual(2000, $ms, 'granted before the request\'s deadline');
        self::assertLessThan(2500, $ms, 'kept long after the request\'s deadline');
        self::assertReclaimed($key, dead: 1, expired: 0);
    }

    public function testKilledHolderWhoseRequestFinishedIsReclaimedAtOnce(): void
    {
        $key = self::key('drain-done');
        self::holderKilledAfter($key, '$lease->requestStarted(60); $lease->requestFinished();');
        self::assertNotNull((new Limiter([$key => 1]))->tryAcquire(), 'nothing open at the provider: no drain');
        self::assertReclaimed($key, dead: 1, expired: 0);
    }

    public function testTtlExpiryEndsADrain(): void
    {
        $key = self::key('drain-ttl');
        self::holderKilledAfter($key, 'Sluice\request_started($lease->token(), 600);', 1);
        $limiter = new Limiter([$key => 1]);
        self::assertNull($limiter->tryAcquire());
        self::eventually(fn () => $limiter->tryAcquire() !== null, 3.0, 'the TTL to reclaim the draining slot');
        self::assertReclaimed($key, dead: 0, expired: 1);
    }

    public function testResetFreesADrainingSlotAtOnce(): void
    {
        $key = self::key('drain-reset');
        self::holderKilledAfter($key, '$lease->requestStarted(600);');
        self::assertSame(1, \Sluice\reset($key));
        self::assertNotNull((new Limiter([$key => 1]))->tryAcquire());
    }
}
