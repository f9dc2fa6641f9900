<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Tests\Support\SluiceTestCase;
use Sluice\Support\WordPress\Runner;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\QueueStatus;
use SluiceWP\Backend\Refusal;
use SluiceWP\Backend\WaitingLine;

/**
 * What every store with a waiting line must do (the second half of the
 * backend contract): tickets per key set, a freed slot reserved for the next
 * ticket and announced as a wake, reservations that only their ticket's
 * action can take, tickets that follow their action's copies, and the action
 * ids of holders that died. A subclass says how to build its store here and
 * in a child process. Refs here are made-up action ids.
 */
abstract class WaitingLineContractTestCase extends SluiceTestCase
{
    /** @return Backend&WaitingLine */
    abstract protected function store(): Backend;

    /** PHP code that leaves the same kind of store in $backend, for child processes. */
    abstract protected function childStoreCode(): string;

    private static function ref(): int
    {
        return random_int(1_000_000, 2_000_000_000);
    }

    /** @return list<\SluiceWP\Backend\Wake> the wakes for these refs (others belong to other tests) */
    private function wakesFor(int ...$refs): array
    {
        return array_values(array_filter($this->store()->takeWakes(64), static fn ($w) => in_array($w->ref, $refs, true)));
    }

    public function testTheLineIsAvailable(): void
    {
        self::assertTrue($this->store()->lineAvailable());
    }

    public function testATicketIsFoundAgainByItsRef(): void
    {
        $line = $this->store();
        $limits = [self::key('line') => 1];
        $ref = self::ref();
        $first = $line->enqueue($limits, $ref, 'tenant-a', 10, 0);
        $again = $line->enqueue($limits, $ref, 'tenant-a', 10, 0);
        self::assertTrue($first->isNew);
        self::assertFalse($again->isNew, 'the same action keeps its place');
        self::assertSame($first->token, $again->token);
        self::assertSame(1, $first->limit);
        self::assertTrue($line->cancelTicket($first->token));
        self::assertFalse($line->cancelTicket($first->token));
    }

    public function testAFreedSlotIsReservedForTheNextTicketAndOnlyItsActionTakesIt(): void
    {
        $line = $this->store();
        $key = self::key('handoff');
        $holder = $line->tryAcquire([$key => 1], 60, 'holder');
        self::assertInstanceOf(Lease::class, $holder);
        [$ref, $copy] = [self::ref(), self::ref()];
        $ticket = $line->enqueue([$key => 1], $ref, 'tenant-a', 10, 0);
        self::assertSame(0, $ticket->ahead);
        self::assertTrue($line->moveTicket($ticket->token, $copy), 'the ticket follows the action to its copy');
        self::assertSame([], $this->wakesFor($ref, $copy), 'no wake while the slot is held');

        self::assertTrue($line->release($holder));
        $wakes = $this->wakesFor($ref, $copy);
        self::assertCount(1, $wakes);
        self::assertSame([$ticket->token, $copy], [$wakes[0]->ticket, $wakes[0]->ref]);
        self::assertGreaterThan(0, $wakes[0]->reservedLeftMs);
        self::assertInstanceOf(Refusal::class, $line->tryAcquire([$key => 1], 60, 'newcomer'), 'a newcomer cannot take the reserved slot');
        self::assertInstanceOf(Refusal::class, $line->tryAcquireFor([$key => 1], 60, 'another action', self::ref()));
        $lease = $line->tryAcquireFor([$key => 1], 60, 'the woken copy', $copy);
        self::assertInstanceOf(Lease::class, $lease, 'the woken copy takes its reservation');
        self::assertSame([], array_filter($line->line(), static fn (QueueStatus $q) => isset($q->keys[$key])), 'the ticket left the line');
        self::assertTrue($line->release($lease));
    }

    /**
     * A step whose runner died and that runs again keeps its place: its
     * ticket, enqueued with the first deferral of its work, is served before
     * the tickets of its queue first deferred after it.
     */
    public function testATicketWithAnEarlierFirstDeferralKeepsItsPlace(): void
    {
        $line = $this->store();
        $key = self::key('place');
        $holder = $line->tryAcquire([$key => 1], 60, 'holder');
        self::assertInstanceOf(Lease::class, $holder);
        [$a, $b, $again] = [self::ref(), self::ref(), self::ref()];
        $line->enqueue([$key => 1], $a, 'flow', 10, time() - 30);
        $line->enqueue([$key => 1], $b, 'flow', 10, time() - 20);
        $line->enqueue([$key => 1], $again, 'flow', 10, time() - 60);
        self::assertTrue($line->release($holder));
        $wakes = $this->wakesFor($a, $b, $again);
        self::assertCount(1, $wakes);
        self::assertSame($again, $wakes[0]->ref, 'the slot went to the ticket that kept its place');
        foreach ([$again, $a, $b] as $ref) { // each served in turn: the line is left empty
            $lease = $line->tryAcquireFor([$key => 1], 60, 'served', $ref);
            $lease instanceof Lease && $line->release($lease);
        }
    }

    public function testATicketForAFullProviderIsNotWokenByAFreedSiteSlot(): void
    {
        $line = $this->store();
        [$site, $provider] = [self::key('site'), self::key('provider')];
        $siteHolder = $line->tryAcquire([$site => 2], 60, 'on the site only');
        $providerHolder = $line->tryAcquire([$site => 2, $provider => 1], 60, 'on the provider');
        self::assertInstanceOf(Lease::class, $siteHolder);
        self::assertInstanceOf(Lease::class, $providerHolder);
        [$needsProvider, $needsSite] = [self::ref(), self::ref()];
        $line->enqueue([$site => 2, $provider => 1], $needsProvider, 'tenant-p', 10, 0);
        $line->enqueue([$site => 2], $needsSite, 'tenant-s', 10, 0);
        self::assertTrue($line->release($siteHolder));
        $wakes = $this->wakesFor($needsProvider, $needsSite);
        self::assertSame([$needsSite], array_map(static fn ($w) => $w->ref, $wakes), 'only the ticket whose keys all have room');
        self::assertInstanceOf(Lease::class, $line->tryAcquireFor([$site => 2], 60, 'woken', $needsSite));
        self::assertTrue($line->release($providerHolder));
        self::assertSame([$needsProvider], array_map(static fn ($w) => $w->ref, $this->wakesFor($needsProvider, $needsSite)));
    }

    public function testTheLineShowsTicketsInServiceOrder(): void
    {
        $line = $this->store();
        $key = self::key('order');
        $holder = $line->tryAcquire([$key => 1], 60, 'holder');
        $refs = [self::ref(), self::ref(), self::ref()];
        foreach ($refs as $ref) {
            $line->enqueue([$key => 1], $ref, 'tenant-o', 10, 0);
        }
        $queues = array_values(array_filter($line->line(), static fn (QueueStatus $q) => isset($q->keys[$key])));
        self::assertCount(1, $queues);
        self::assertSame(['tenant-o', 10, [$key => 1]], [$queues[0]->tenant, $queues[0]->weight, $queues[0]->keys]);
        self::assertSame($refs, array_map(static fn ($t) => $t->ref, $queues[0]->tickets), 'oldest first');
        self::assertSame('waiting', $queues[0]->tickets[0]->state);
        $this->store()->operatorView()->reset($key);
        foreach ($queues[0]->tickets as $ticket) {
            $line->cancelTicket($ticket->ticket);
        }
        unset($holder);
    }

    public function testAHolderThatDiesLeavesItsActionIdBehind(): void
    {
        $key = self::key('stranded');
        $ref = self::ref();
        $child = Runner::php($this->childStoreCode() . '
            $lease = $backend->tryAcquireFor([$key => 1], 600, "job 9 / step ai", $ref);
            echo $lease instanceof SluiceWP\Backend\Lease ? "held\n" : "refused\n";
            sleep(60);', ['key' => $key, 'ref' => $ref]);
        $child->expectLine('held');
        $child->kill(9);
        $this->store()->operatorView()->sweep();
        $stranded = array_values(array_filter($this->store()->takeStranded(64), static fn ($s) => $s->ref === $ref));
        self::assertCount(1, $stranded);
        self::assertSame('job 9 / step ai', $stranded[0]->label);
        self::assertSame([], array_filter($this->store()->takeStranded(64), static fn ($s) => $s->ref === $ref), 'once');
    }
}
