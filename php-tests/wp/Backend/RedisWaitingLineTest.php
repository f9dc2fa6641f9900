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
        $b->operatorView()->sweep(); // its script too: run alone, this test would otherwise count the sweep's SCRIPT LOAD
        // As the gate runs them: after a release (and a decision) it takes only the wakes this process queued.
        $pair = self::roundTrips(function () use ($b, $limits): void {
            self::assertTrue($b->release($this->leaseOf($b->tryAcquireFor($limits, 60, 'pair', self::lineRef()))));
            self::assertSame([], $b->takeWakes(32, true));
        });
        $holder = $this->leaseOf($b->tryAcquire($limits, 60, 'holder'));
        [$ref, $copy] = [self::lineRef(), self::lineRef()];
        $deferral = self::roundTrips(function () use ($b, $limits, $ref, $copy): void {
            self::assertInstanceOf(Refusal::class, $b->tryAcquireFor($limits, 60, 'deferred', $ref));
            $ticket = $b->enqueue($limits, $ref, 'tenant-q', 10, 0);
            self::assertTrue($b->moveTicket($ticket->token, $copy));
            self::assertSame([], $b->takeWakes(32, true));
        });
        $besidePair = self::roundTrips(function () use ($b, $site): void {
            self::assertTrue($b->release($this->leaseOf($b->tryAcquireFor([$site => 2], 60, 'beside', self::lineRef()))));
            self::assertSame([], $b->takeWakes(32, true), 'the ticket needs the full provider key too: nothing handed on');
        });
        $handOff = self::roundTrips(function () use ($b, $holder, $copy): void {
            self::assertTrue($b->release($holder));
            self::assertSame([$copy], array_map(static fn ($w) => $w->ref, $b->takeWakes(32, true)), 'this process handed its slot on');
        });
        $woken = null;
        $take = self::roundTrips(function () use ($b, $limits, $copy, &$woken): void {
            $woken = $this->leaseOf($b->tryAcquireFor($limits, 60, 'woken', $copy));
        });
        self::assertInstanceOf(Lease::class, $woken);
        $b->release($woken);
        $b->takeWakes(1000);
        $b->takeStranded(1000);
        $sweep = self::roundTrips(function () use ($b): void {
            // As Handoffs::sweep(): the sweep, then wakes, stranded leases and stale tickets, none of them waiting.
            $b->operatorView()->sweep();
            self::assertSame([[], [], []], [$b->takeWakes(32), $b->takeStranded(32), $b->staleTickets(32)]);
        });
        fwrite(STDERR, sprintf(
            "redis line round trips: pair with no ticket %d, deferral %d, pair beside a waiting ticket %d, release with hand-off and its wake %d, woken acquire %d, sweep with nothing to do %d\n",
            $pair, $deferral, $besidePair, $handOff, $take, $sweep,
        ));
        self::assertSame([2, 3, 2, 2, 1, 1], [$pair, $deferral, $besidePair, $handOff, $take, $sweep]);
    }

    /** A ticket that waited an hour or more is stale (the sweep checks whether its action is gone); a blog sees only its own. */
    public function testStaleTicketsAreFoundByTheirFirstDeferral(): void
    {
        $b = new RedisBackend();
        $key = self::key('stale');
        $holder = $this->leaseOf($b->tryAcquire([$key => 1], 60, 'holder'));
        [$old, $fresh] = [self::lineRef(), self::lineRef()];
        $b->enqueue([$key => 1], $old, 'tenant-s', 10, time() - 7200);
        $b->enqueue([$key => 1], $fresh, 'tenant-s', 10, 0);
        $stale = array_values(array_filter($b->staleTickets(1000), static fn ($t) => in_array($t->ref, [$old, $fresh], true)));
        self::assertSame([$old], array_map(static fn ($t) => $t->ref, $stale));
        self::assertGreaterThanOrEqual(7_199_000, $stale[0]->ageMs);
        self::assertSame([], array_filter((new RedisBackend(null, 0, 'another/9'))->staleTickets(1000), static fn ($t) => $t->ref === $old), 'another blog does not see it');
        $b->operatorView()->reset($key);
        foreach ($b->line() as $q) {
            foreach (isset($q->keys[$key]) ? $q->tickets : [] as $t) {
                $b->cancelTicket($t->ticket);
            }
        }
        unset($holder);
    }
}
