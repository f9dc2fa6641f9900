<?php
declare(strict_types=1);

namespace Sluice\ApacheTests;

use Sluice\ApacheTests\Support\Apache;
use Sluice\Limiter;
use Sluice\Tests\Support\SluiceTestCase;

/**
 * An Apache child killed (SIGKILL: no request shutdown runs, nothing releases)
 * while it holds a slot with a provider request open: the slot drains until
 * the request's deadline, as the provider still serves the orphaned request,
 * then the next acquire reclaims it. Apache's parent replaces the child.
 */
final class KilledChildTest extends SluiceTestCase
{
    public static function setUpBeforeClass(): void
    {
        Apache::installEndpoint();
    }

    public function testAKilledChildsSlotDrainsUntilItsRequestsDeadlineAndIsThenReclaimed(): void
    {
        $key = self::key('apache-killed');
        $children = Apache::children();
        $request = Apache::hold(['key' => $key, 'limit' => 1, 'ms' => 20000, 'request_open' => 2, 'label' => 'victim']);
        self::eventually(static fn () => (\Sluice\status()[$key]['holders'][0]['request_open'] ?? false) === true, 10, 'an Apache child to hold the slot with its request open');
        $victim = \Sluice\status()[$key]['holders'][0]['pid'];
        self::assertContains($victim, $children, 'the holder is an Apache child');

        posix_kill($victim, SIGKILL);
        self::eventually(static fn () => !file_exists("/proc/$victim"), 5, "child $victim to be gone (reaped by Apache's parent)");
        $client = $request->wait(30.0);
        self::assertNotSame(0, $client->exitCode, 'the client lost its request with the child: ' . $client->describe());

        // Draining: the dead holder keeps the slot until its request's deadline.
        $limiter = new Limiter([$key => 1], 60);
        $goneAt = hrtime(true);
        self::assertNull($limiter->tryAcquire('cli'), 'not reclaimed while its request could still run');
        $holder = \Sluice\status()[$key]['holders'][0];
        self::assertSame([$victim, true], [$holder['pid'], $holder['owner_dead']], json_encode($holder));
        $drainMs = $holder['drain_left_ms'];
        self::assertGreaterThan(0, $drainMs, 'the slot drains');
        self::assertLessThanOrEqual(2000, $drainMs);

        // Then reclaimed by the next acquire that finds the key full.
        $attempts = 0;
        do {
            $lease = $limiter->tryAcquire('cli');
            $attempts++;
            if ($lease === null) {
                usleep(20000);
            }
        } while ($lease === null && hrtime(true) - $goneAt < 5e9);
        $waitedMs = (hrtime(true) - $goneAt) / 1e6;
        self::assertNotNull($lease, 'reclaimed after the drain');
        self::assertGreaterThanOrEqual($drainMs - 50, $waitedMs, 'not before the deadline');
        self::assertLessThan($drainMs + 1000, $waitedMs, 'soon after it');
        $status = \Sluice\status()[$key];
        self::assertSame(1, $status['reclaimed_dead'], json_encode($status));
        self::assertSame([getmypid()], array_column($status['holders'], 'pid'));
        $lease->release();
        fwrite(STDERR, sprintf("apache: killed child %d's slot drained %d ms, reclaimed %.0f ms after its death (%d tryAcquire)\n", $victim, $drainMs, $waitedMs, $attempts));

        // Apache's parent replaced the child, and the children answer.
        self::eventually(static fn () => count(Apache::children()) === count($children), 10, 'Apache to replace the child');
        $answer = Apache::answer(Apache::hold(['key' => $key, 'limit' => 1, 'ms' => 0]));
        self::assertSame('granted', $answer['result'], json_encode($answer));
    }

    public function testAKilledChildWithoutAnOpenRequestIsReclaimedAtOnce(): void
    {
        $key = self::key('apache-killed-idle');
        $request = Apache::hold(['key' => $key, 'limit' => 1, 'ms' => 20000, 'label' => 'victim']);
        self::eventually(static fn () => count(\Sluice\status()[$key]['holders'] ?? []) === 1, 10, 'an Apache child to hold the slot');
        $victim = \Sluice\status()[$key]['holders'][0]['pid'];
        self::assertContains($victim, Apache::children());
        posix_kill($victim, SIGKILL);
        self::eventually(static fn () => !file_exists("/proc/$victim"), 5, "child $victim to be gone (reaped by Apache's parent)");
        $request->wait(30.0);
        self::assertNotNull((new Limiter([$key => 1], 60))->tryAcquire('cli'), 'the first acquire after the death reclaims the slot');
        self::assertSame(1, \Sluice\status()[$key]['reclaimed_dead']);
    }
}
