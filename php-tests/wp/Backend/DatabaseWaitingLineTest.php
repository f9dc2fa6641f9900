<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\DatabaseBackend;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\Refusal;
use SluiceWP\Backend\Wake;
use Sluice\Support\WordPress\Site;

require_once __DIR__ . '/WaitingLineContractTestCase.php';

/**
 * The database backend's waiting line (tables beside its leases, shared by
 * every host of the database) against the waiting line contract and the fair
 * order (WaitingLineOrderTests: lapses, weights, aging, capacity, wakes taken
 * once by concurrent sessions), plus what only it promises: its query budget.
 */
final class DatabaseWaitingLineTest extends WaitingLineContractTestCase
{
    use WaitingLineOrderTests;

    protected function store(): Backend
    {
        return new DatabaseBackend();
    }

    protected function childStoreCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $backend = new SluiceWP\Backend\DatabaseBackend();';
    }

    private static function ref(): int
    {
        return random_int(1_000_000, 2_000_000_000);
    }

    /** Queries $work sends through $wpdb. */
    private static function queries(callable $work): int
    {
        global $wpdb;
        $before = $wpdb->num_queries;
        $work();
        return $wpdb->num_queries - $before;
    }

    private function lease(Lease|Refusal $result): Lease
    {
        self::assertInstanceOf(Lease::class, $result);
        return $result;
    }

    /**
     * The line costs the lease pair nothing while no ticket waits; what a
     * deferral, a hand-off, a woken copy's acquire and a pair beside a waiting
     * ticket cost is measured and bounded here (and printed).
     */
    public function testQueryBudget(): void
    {
        $b = new DatabaseBackend();
        [$site, $provider] = [self::key('site'), self::key('provider')];
        $limits = [$site => 2, $provider => 1];
        $b->release($this->lease($b->tryAcquireFor($limits, 60, 'warm-up', self::ref())));
        $b->takeWakes(1000); // wakes this process made in earlier tests (it remembers them) are not this test's
        $pair = self::queries(function () use ($b, $limits): void {
            self::assertTrue($b->release($this->lease($b->tryAcquireFor($limits, 60, 'pair', self::ref()))));
        });
        self::assertLessThanOrEqual(3, $pair, 'an uncontended tryAcquireFor + release pair while no ticket waits');

        // A deferral, as the gate makes it: refused, a ticket, the ticket moved to the copy.
        $holder = $this->lease($b->tryAcquire($limits, 60, 'holder'));
        [$ref, $copy] = [self::ref(), self::ref()];
        $deferral = self::queries(function () use ($b, $limits, $ref, $copy): void {
            self::assertInstanceOf(Refusal::class, $b->tryAcquireFor($limits, 60, 'deferred', $ref));
            $ticket = $b->enqueue($limits, $ref, 'tenant-q', 10, 0);
            self::assertTrue($b->moveTicket($ticket->token, $copy));
        });
        // A pair on the site key beside it (the provider key stays full): the release looks for a ticket to hand on to.
        $site2 = [$site => 2];
        $besidePair = self::queries(function () use ($b, $site2): void {
            self::assertTrue($b->release($this->lease($b->tryAcquireFor($site2, 60, 'beside', self::ref()))));
        });
        // The holder's release hands its slots to the ticket; the woken copy takes them.
        $handOff = self::queries(function () use ($b, $holder): void {
            self::assertTrue($b->release($holder));
        });
        // Taken as the gate takes it right after its release: the hand-offs this process made.
        $wake = self::queries(function () use ($b, $copy): void {
            self::assertSame([$copy], array_map(static fn (Wake $w): int => $w->ref, $b->takeWakes(64, true)));
        });
        $woken = null;
        $take = self::queries(function () use ($b, $limits, $copy, &$woken): void {
            $woken = $this->lease($b->tryAcquireFor($limits, 60, 'woken', $copy));
        });
        self::assertInstanceOf(Lease::class, $woken);
        $b->release($woken);

        // A woken copy's release while the next ticket waits for the same keys: its slots go straight to that
        // ticket, released and reserved in one statement after one read.
        $next = [self::ref(), self::ref()];
        $holder2 = $this->lease($b->tryAcquire($limits, 60, 'holder 2'));
        foreach ($next as $r) {
            self::assertInstanceOf(Refusal::class, $b->tryAcquireFor($limits, 60, 'deferred', $r));
            $b->enqueue($limits, $r, 'tenant-q', 10, 0);
        }
        self::assertTrue($b->release($holder2));
        self::assertSame([$next[0]], array_map(static fn (Wake $w): int => $w->ref, $b->takeWakes(64, true)));
        $first = $this->lease($b->tryAcquireFor($limits, 60, 'woken first', $next[0]));
        $handOver = self::queries(function () use ($b, $first): void {
            self::assertTrue($b->release($first));
        });
        $takeHandedOver = self::queries(function () use ($b, $next): void {
            self::assertSame([$next[1]], array_map(static fn (Wake $w): int => $w->ref, $b->takeWakes(64, true)), 'the woken copy\'s slots went to the next ticket');
        });
        self::assertInstanceOf(Refusal::class, $b->tryAcquire([$provider => 1], 60, 'newcomer'), 'the provider slot is reserved for that ticket');
        $b->release($this->lease($b->tryAcquireFor($limits, 60, 'woken second', $next[1])));
        fwrite(STDERR, sprintf(
            "database line queries: pair with no ticket %d, deferral %d, pair beside a waiting ticket %d, release with hand-off %d, take wake %d, woken acquire %d, woken copy's release handing its slots over %d, taking that wake %d\n",
            $pair, $deferral, $besidePair, $handOff, $wake, $take, $handOver, $takeHandedOver,
        ));
        self::assertLessThanOrEqual(12, $deferral);
        self::assertLessThanOrEqual(8, $besidePair);
        self::assertLessThanOrEqual(4, $handOff);
        self::assertLessThanOrEqual(1, $wake);
        self::assertLessThanOrEqual(2, $take);
        self::assertLessThanOrEqual(2, $handOver);
        self::assertSame(0, $takeHandedOver, 'a hand-over takes its wake in its own UPDATE');
    }

    /**
     * A ticket moved to its action's new copy between a hand-off's read and its reserving UPDATE (moveTicket
     * takes no lock): forced here by moving it from the `query` filter right before that UPDATE. The slot is
     * reserved for the copy the ticket names now, never for the old copy's ref, which nobody would claim (the
     * slot would idle until its reservation ran out).
     */
    public function testATicketMovedDuringAHandOffIsReservedForItsNewCopy(): void
    {
        $b = new DatabaseBackend();
        $limits = [self::key('moved') => 1];
        $b->takeWakes(1000); // wakes this process made in earlier tests are not this test's
        $holder = $this->lease($b->tryAcquire($limits, 60, 'holder'));
        [$old, $new] = [self::ref(), self::ref()];
        self::assertInstanceOf(Refusal::class, $b->tryAcquireFor($limits, 60, 'deferred', $old));
        $ticket = $b->enqueue($limits, $old, 'tenant-moved', 10, 0);
        $moved = false;
        $move = static function (string $query) use ($b, $ticket, $new, &$moved): string {
            if (!$moved && str_contains($query, 'reserved for a woken ticket')) {
                $moved = true; // first, so the move's own queries pass through
                self::assertTrue($b->moveTicket($ticket->token, $new));
            }
            return $query;
        };
        add_filter('query', $move);
        try {
            self::assertTrue($b->release($holder));
        } finally {
            remove_filter('query', $move);
        }
        self::assertTrue($moved, 'the hand-off reached its reserving UPDATE');
        self::assertSame([$new], array_map(static fn (Wake $w): int => $w->ref, $b->takeWakes(64, true)), 'the wake names the new copy');
        $b->release($this->lease($b->tryAcquireFor($limits, 60, 'the new copy', $new)));
    }
}
