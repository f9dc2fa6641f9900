<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\Runner;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\LineFullException;
use SluiceWP\Backend\QueueStatus;
use SluiceWP\Backend\Refusal;
use SluiceWP\Backend\Wake;
use SluiceWP\Backend\WaitingLine;

/**
 * What the stores whose line is computed by the plugin (the database and
 * Redis backends, which read the filters sluice_reservation_seconds,
 * sluice_aging_seconds and sluice_line_capacity) promise beyond the waiting
 * line contract: lapsed reservations go to the next ticket, tenants take
 * turns by weight, aging lifts a long wait, a full line refuses, each wake is
 * taken once by concurrent processes, a dead or expired holder's slot goes to
 * the line first, and the line is shared by every session of the store. The
 * class that uses it says how to build its store (store(), childStoreCode()).
 */
trait WaitingLineOrderTests
{
    private static function lineRef(): int
    {
        return random_int(1_000_000, 2_000_000_000);
    }

    private function leaseOf(Lease|Refusal $result): Lease
    {
        self::assertInstanceOf(Lease::class, $result);
        return $result;
    }

    /** @return list<Wake> the wakes for these refs (others belong to other tests) */
    private function wakesOf(int ...$refs): array
    {
        return array_values(array_filter($this->store()->takeWakes(64), static fn (Wake $w) => in_array($w->ref, $refs, true)));
    }

    public function testALapsedReservationGoesToTheNextTicket(): void
    {
        $b = $this->store();
        $key = self::key('lapse');
        $window = static fn (): int => 1;
        add_filter('sluice_reservation_seconds', $window);
        try {
            $holder = $this->leaseOf($b->tryAcquire([$key => 1], 60, 'holder'));
            [$first, $second] = [self::lineRef(), self::lineRef()];
            $b->enqueue([$key => 1], $first, 'tenant-l', 10, 0);
            $b->enqueue([$key => 1], $second, 'tenant-l', 10, 0);
            $b->release($holder);
            self::assertSame([$first], array_map(static fn (Wake $w) => $w->ref, $this->wakesOf($first, $second)));
            $status = $b->operatorView()->keys()[$key];
            self::assertSame([1, 1, 1], [$status->active, $status->reserved, $status->queued], 'operators see the reservation and the ticket still waiting');
            self::assertTrue($status->holders[0]->reservation);
            self::assertSame($first, $status->holders[0]->ref);
            usleep(1_100_000); // the first copy never comes
            $b->operatorView()->sweep();
            self::assertSame([$second], array_map(static fn (Wake $w) => $w->ref, $this->wakesOf($first, $second)), 'the lapsed slot went to the next ticket');
            self::assertInstanceOf(Refusal::class, $b->tryAcquireFor([$key => 1], 60, 'late first copy', $first), 'the slot is the second ticket\'s now');
            $lease = $this->leaseOf($b->tryAcquireFor([$key => 1], 60, 'second copy', $second));
            $b->release($lease);
            self::assertSame([$first], array_map(static fn (Wake $w) => $w->ref, $this->wakesOf($first, $second)), 'the first ticket showed up again, so it is handed the next slot');
            $b->release($this->leaseOf($b->tryAcquireFor([$key => 1], 60, 'first copy', $first)));
            self::assertSame([], array_filter($b->line(), static fn ($q) => isset($q->keys[$key])));
            $status = $b->operatorView()->keys()[$key];
            self::assertSame([3, 1, 0], [$status->wakesSent, $status->wakesLapsed, $status->wakesMissed], 'three hand-offs, one lapsed');
        } finally {
            remove_filter('sluice_reservation_seconds', $window);
        }
    }

    /**
     * Serves the line of one key to its end, one slot at a time, as woken
     * copies would: the order the refs were served in.
     *
     * @return list<int>
     */
    private function serve(Backend&WaitingLine $b, string $key, Lease $holder, int $count): array
    {
        $order = [];
        for ($i = 0; $i < $count; $i++) {
            $b->release($holder);
            $wakes = $b->takeWakes(64);
            self::assertNotSame([], $wakes);
            $order[] = $wakes[0]->ref;
            $holder = $this->leaseOf($b->tryAcquireFor([$key => 1], 60, 'served', $wakes[0]->ref));
        }
        $b->release($holder);
        return $order;
    }

    public function testTenantsTakeTurnsByWeight(): void
    {
        $b = $this->store();
        $key = self::key('fair');
        $holder = $this->leaseOf($b->tryAcquire([$key => 1], 60, 'holder'));
        $big = $small = [];
        for ($i = 0; $i < 6; $i++) {
            $big[] = $ref = self::lineRef();
            $b->enqueue([$key => 1], $ref, 'big', 10, 0);
        }
        for ($i = 0; $i < 2; $i++) {
            $small[] = $ref = self::lineRef();
            $b->enqueue([$key => 1], $ref, 'small', 10, 0);
        }
        $order = $this->serve($b, $key, $holder, 8);
        $tenant = array_map(static fn (int $r): string => in_array($r, $big, true) ? 'B' : 'S', $order);
        self::assertSame('BSBSBBBB', implode('', $tenant), 'equal weights take turns; the small flow is not stuck behind the big one');

        // Weight 30 against weight 10: three to one while both wait.
        $holder = $this->leaseOf($b->tryAcquire([$key => 1], 60, 'holder'));
        $heavy = [];
        for ($i = 0; $i < 6; $i++) {
            $b->enqueue([$key => 1], self::lineRef(), 'light', 10, 0);
        }
        for ($i = 0; $i < 6; $i++) {
            $heavy[] = $ref = self::lineRef();
            $b->enqueue([$key => 1], $ref, 'heavy', 30, 0);
        }
        $order = $this->serve($b, $key, $holder, 12);
        $firstEight = array_slice(array_map(static fn (int $r): string => in_array($r, $heavy, true) ? 'H' : 'L', $order), 0, 8);
        self::assertSame(6, count(array_filter($firstEight, static fn (string $t) => $t === 'H')), 'the heavier tenant took 3 of every 4 slots');
    }

    public function testAgingLiftsALongWaitingTicket(): void
    {
        $b = $this->store();
        $key = self::key('aging');
        $holder = $this->leaseOf($b->tryAcquire([$key => 1], 60, 'holder'));
        $heavy = [];
        for ($i = 0; $i < 3; $i++) {
            $heavy[] = $ref = self::lineRef();
            $b->enqueue([$key => 1], $ref, 'heavy', 100, 0);
        }
        // Weight 1, first deferred 10 minutes ago: aged to the full weight, and queued first.
        $old = self::lineRef();
        $b->enqueue([$key => 1], $old, 'patient', 1, time() - 600);
        $queues = array_values(array_filter($b->line(), static fn ($q) => isset($q->keys[$key])));
        $patient = array_values(array_filter($queues, static fn ($q) => $q->tenant === 'patient'))[0];
        self::assertSame(100, $patient->tickets[0]->effectiveWeight, 'a ticket waiting longer than the aging period counts at weight 100');
        $order = $this->serve($b, $key, $holder, 4);
        self::assertLessThanOrEqual(1, array_search($old, $order, true), 'the aged ticket was served first or second, not last');
    }

    public function testAFullLineRefusesNewTickets(): void
    {
        $b = $this->store();
        $key = self::key('full');
        $holder = $this->leaseOf($b->tryAcquire([$key => 1], 60, 'holder'));
        $capacity = array_sum(array_map(static fn (QueueStatus $q): int => count($q->tickets), $b->line())) + 1;
        $cap = static fn (): int => $capacity;
        add_filter('sluice_line_capacity', $cap);
        try {
            $ticket = $b->enqueue([$key => 1], self::lineRef(), 'tenant-f', 10, 0);
            $again = $b->enqueue([$key => 1], self::lineRef(), 'tenant-f', 10, 0);
            self::fail('a ticket past the capacity was taken: ' . $again->token);
        } catch (LineFullException $e) {
            self::assertStringContainsString('sluice_line_capacity', $e->getMessage());
        } finally {
            remove_filter('sluice_line_capacity', $cap);
        }
        self::assertTrue($b->cancelTicket($ticket->token));
        $b->release($holder);
    }

    /** Two sessions taking wakes at once never both take one. */
    public function testConcurrentSessionsTakeEachWakeOnce(): void
    {
        $b = $this->store();
        $key = self::key('wakes');
        $holders = [];
        for ($i = 0; $i < 40; $i++) {
            $holders[] = $this->leaseOf($b->tryAcquire([$key => 40], 600, 'holder'));
        }
        $refs = [];
        for ($i = 0; $i < 40; $i++) {
            $refs[] = $ref = self::lineRef();
            $b->enqueue([$key => 40], $ref, 'tenant-w', 10, 0);
        }
        $code = $this->childStoreCode() . '
            $deadline = microtime(true) + 3;
            $got = [];
            while (microtime(true) < $deadline) {
                foreach ($backend->takeWakes(3) as $w) { if (in_array($w->ref, $refs, true)) { $got[] = $w->ref; } }
            }
            echo json_encode($got), "\n";';
        $children = [Runner::php($code, ['refs' => $refs]), Runner::php($code, ['refs' => $refs])];
        usleep(300_000);
        foreach ($holders as $holder) {
            $b->release($holder); // each hands its slot to the next ticket
        }
        $all = [];
        foreach ($children as $child) {
            $child->wait(30);
            $lines = array_values(array_filter(explode("\n", $child->output()), static fn (string $l) => str_starts_with($l, '[')));
            self::assertNotSame([], $lines, 'a child answered: ' . $child->output());
            $all = array_merge($all, (array) json_decode(end($lines), true));
        }
        sort($all);
        $expected = $refs;
        sort($expected);
        self::assertSame($expected, $all, 'every wake was taken, and by one session only');
        $b->operatorView()->reset($key);
        foreach ($b->line() as $q) {
            if (isset($q->keys[$key])) {
                foreach ($q->tickets as $t) {
                    $b->cancelTicket($t->ticket);
                }
            }
        }
    }

    public function testADeadHoldersSlotGoesToTheNextTicketAndLeavesItsActionId(): void
    {
        $b = $this->store();
        $key = self::key('dead');
        $ref = self::lineRef();
        $child = Runner::php($this->childStoreCode() . '
            $lease = $backend->tryAcquireFor([$key => 1], 600, "doomed", $ref);
            echo $lease instanceof SluiceWP\Backend\Lease ? "held\n" : "refused\n";
            sleep(60);', ['key' => $key, 'ref' => $ref]);
        $child->expectLine('held');
        $waiting = self::lineRef();
        $b->enqueue([$key => 1], $waiting, 'tenant-d', 10, 0);
        $child->kill(9);
        $b->operatorView()->sweep();
        self::assertSame([$waiting], array_map(static fn (Wake $w) => $w->ref, $this->wakesOf($waiting)), 'the reclaimed slot went to the ticket');
        self::assertCount(1, array_filter($b->takeStranded(64), static fn ($s) => $s->ref === $ref));
        $b->release($this->leaseOf($b->tryAcquireFor([$key => 1], 60, 'woken', $waiting)));
    }

    public function testAnExpiredLeaseReclaimedByANewcomerGoesToTheLineFirst(): void
    {
        $b = $this->store();
        $key = self::key('expired');
        $holder = $this->leaseOf($b->tryAcquire([$key => 1], 1, 'short ttl'));
        $waiting = self::lineRef();
        $b->enqueue([$key => 1], $waiting, 'tenant-e', 10, 0);
        usleep(1_100_000);
        self::assertInstanceOf(Refusal::class, $b->tryAcquire([$key => 1], 60, 'newcomer'), 'the expired slot was handed to the waiting ticket, not to the newcomer');
        self::assertSame([$waiting], array_map(static fn (Wake $w) => $w->ref, $this->wakesOf($waiting)));
        self::assertFalse($b->release($holder), 'the expired lease is gone');
        $b->release($this->leaseOf($b->tryAcquireFor([$key => 1], 60, 'woken', $waiting)));
        self::assertSame(1, $b->operatorView()->keys()[$key]->reclaimedExpired);
    }

    /** A slot free at enqueue time is reserved for the new ticket at once; moving the ticket to its copy wakes the copy. */
    public function testATicketReservedBeforeItsCopyExistsWakesTheCopy(): void
    {
        $b = $this->store();
        $key = self::key('early');
        $holder = $this->leaseOf($b->tryAcquire([$key => 1], 60, 'holder'));
        $other = self::lineRef();
        $b->enqueue([$key => 1], $other, 'tenant-x', 10, 0); // the key has a line from now on
        $b->release($holder); // hands the slot to that ticket
        self::assertCount(1, $this->wakesOf($other));
        $lease = $this->leaseOf($b->tryAcquireFor([$key => 1], 60, 'woken', $other));
        $b->release($lease); // the slot is free, the line empty (the key's flag clears on this hand-off)
        [$ref, $copy] = [self::lineRef(), self::lineRef()];
        // A refusal raced with that release: the ticket comes in while the slot is free.
        $ticket = $b->enqueue([$key => 1], $ref, 'tenant-x', 10, 0);
        self::assertSame([$ref], array_map(static fn (Wake $w) => $w->ref, $this->wakesOf($ref)), 'the free slot was reserved for the new ticket at once');
        self::assertTrue($b->moveTicket($ticket->token, $copy));
        self::assertSame([$copy], array_map(static fn (Wake $w) => $w->ref, $this->wakesOf($copy)), 'the copy is woken too');
        $b->release($this->leaseOf($b->tryAcquireFor([$key => 1], 60, 'the copy', $copy)));
    }

    /**
     * The line lives in the database, not in a process: a holder in another
     * session (another host, as far as the tables can tell) hands its slot to
     * a ticket of this one, and the wake and the reservation are found here.
     */
    public function testAnotherSessionsReleaseWakesATicketOfThisOne(): void
    {
        $b = $this->store();
        $key = self::key('remote');
        $child = Runner::php($this->childStoreCode() . '
            $lease = $backend->tryAcquire([$key => 1], 60, "holder elsewhere");
            echo $lease instanceof SluiceWP\Backend\Lease ? "held\n" : "refused\n";
            usleep(800000);
            echo $backend->release($lease) ? "released\n" : "lost\n";', ['key' => $key]);
        $child->expectLine('held');
        $ref = self::lineRef();
        self::assertInstanceOf(Refusal::class, $b->tryAcquireFor([$key => 1], 60, 'here', $ref));
        $b->enqueue([$key => 1], $ref, 'tenant-r', 10, 0);
        $child->expectLine('released');
        $child->wait(30);
        self::assertSame([$ref], array_map(static fn (Wake $w) => $w->ref, $this->wakesOf($ref)), 'the other session handed its slot to this ticket');
        $b->release($this->leaseOf($b->tryAcquireFor([$key => 1], 60, 'woken here', $ref)));
    }
}
