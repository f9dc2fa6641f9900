<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\RedisTestBed;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\RedisBackend;
use SluiceWP\Backend\RedisScripts;
use SluiceWP\Backend\Refusal;
use Sluice\Support\WordPress\Site;

require_once __DIR__ . '/WaitingLineContractTestCase.php';

/**
 * The Redis backend's waiting line (in the test bed's Redis, shared by every
 * process and host that uses it) against the waiting line contract and the
 * fair order the database backend keeps (WaitingLineOrderTests), plus its
 * round trips.
 */
final class RedisWaitingLineTest extends WaitingLineContractTestCase
{
    use WaitingLineOrderTests;

    protected function setUp(): void
    {
        parent::setUp();
        RedisTestBed::trust();
    }

    protected function store(): Backend
    {
        return new RedisBackend();
    }

    protected function childStoreCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $backend = new SluiceWP\Backend\RedisBackend();';
    }

    /** Round trips $work sends to Redis. */
    private static function roundTrips(callable $work): int
    {
        $before = RedisScripts::$roundTrips;
        $work();
        return RedisScripts::$roundTrips - $before;
    }

    /** Every operation of the line is one script: one round trip, whatever the line holds (printed, and bounded). */
    public function testRoundTrips(): void
    {
        $b = new RedisBackend();
        [$site, $provider] = [self::key('site'), self::key('provider')];
        $limits = [$site => 2, $provider => 1];
        // Warm-up: connected, and every script known to Redis (an earlier test may have restarted it: NOSCRIPT, SCRIPT LOAD).
        $b->release($this->leaseOf($b->tryAcquireFor($limits, 60, 'warm-up', self::lineRef())));
        $warm = $b->enqueue($limits, self::lineRef(), 'tenant-warm-up', 10, 0);
        $b->moveTicket($warm->token, self::lineRef());
        $b->takeWakes(1);
        $b->cancelTicket($warm->token);
        $pair = self::roundTrips(function () use ($b, $limits): void {
            self::assertTrue($b->release($this->leaseOf($b->tryAcquireFor($limits, 60, 'pair', self::lineRef()))));
        });
        $holder = $this->leaseOf($b->tryAcquire($limits, 60, 'holder'));
        [$ref, $copy] = [self::lineRef(), self::lineRef()];
        $deferral = self::roundTrips(function () use ($b, $limits, $ref, $copy): void {
            self::assertInstanceOf(Refusal::class, $b->tryAcquireFor($limits, 60, 'deferred', $ref));
            $ticket = $b->enqueue($limits, $ref, 'tenant-q', 10, 0);
            self::assertTrue($b->moveTicket($ticket->token, $copy));
        });
        $besidePair = self::roundTrips(function () use ($b, $site): void {
            self::assertTrue($b->release($this->leaseOf($b->tryAcquireFor([$site => 2], 60, 'beside', self::lineRef()))));
        });
        $handOff = self::roundTrips(function () use ($b, $holder): void {
            self::assertTrue($b->release($holder));
        });
        $wake = self::roundTrips(function () use ($copy): void {
            self::assertCount(1, $this->wakesOf($copy));
        });
        $woken = null;
        $take = self::roundTrips(function () use ($b, $limits, $copy, &$woken): void {
            $woken = $this->leaseOf($b->tryAcquireFor($limits, 60, 'woken', $copy));
        });
        self::assertInstanceOf(Lease::class, $woken);
        $b->release($woken);
        fwrite(STDERR, sprintf(
            "redis line round trips: pair with no ticket %d, deferral %d, pair beside a waiting ticket %d, release with hand-off %d, take wake %d, woken acquire %d\n",
            $pair, $deferral, $besidePair, $handOff, $wake, $take,
        ));
        self::assertSame([2, 3, 2, 1, 1, 1], [$pair, $deferral, $besidePair, $handOff, $wake, $take]);
    }
}
