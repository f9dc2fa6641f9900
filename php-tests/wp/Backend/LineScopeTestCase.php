<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Tests\Support\SluiceTestCase;
use Sluice\Support\WordPress\Runner;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\Refusal;
use SluiceWP\Backend\StrandedLease;
use SluiceWP\Backend\WaitingLine;

/**
 * Action ids are unique only per blog, while a store's waiting line is shared
 * by a network (the database backend's base_prefix tables, one Redis hash
 * tag per install) or by every install of the host (the extension's
 * segment): every ticket, wake and stranded lease carries its scope
 * ("<install>/<blog>"), and one blog's process acts only on its own. Two
 * blogs (and two installs) here defer the same action id for the same key at
 * once; a subclass says how to build its store for a scope, here and in a
 * child process.
 */
abstract class LineScopeTestCase extends SluiceTestCase
{
    /** @return Backend&WaitingLine the store as a process of this scope uses it */
    abstract protected static function storeFor(string $scope): Backend;

    /** PHP code that leaves the same kind of store, for scope $scope, in $backend (child processes). */
    abstract protected static function childStoreCode(): string;

    /** @return Backend&WaitingLine */
    private static function blog(int $id, string $install = 'scopetest'): Backend
    {
        return static::storeFor("{$install}/{$id}");
    }

    private static function ref(): int
    {
        return random_int(1_000_000, 2_000_000_000);
    }

    public function testTwoBlogsWithTheSameActionIdKeepTheirTicketsWakesAndReservationsApart(): void
    {
        [$one, $two] = [self::blog(1), self::blog(2)];
        $key = self::key('shared-provider');
        $ref = self::ref();
        $holder = $one->tryAcquire([$key => 1], 60, 'holder');
        self::assertInstanceOf(Lease::class, $holder);
        $ticketOne = $one->enqueue([$key => 1], $ref, 'flow:a', 10, 0);
        $ticketTwo = $two->enqueue([$key => 1], $ref, 'flow:a', 10, 0);
        self::assertTrue($ticketOne->isNew);
        self::assertTrue($ticketTwo->isNew, 'the same action id of another blog is another ticket');
        self::assertNotSame($ticketOne->token, $ticketTwo->token);

        self::assertFalse($two->moveTicket($ticketOne->token, $ref + 1), 'another blog\'s ticket is not moved');
        self::assertFalse($two->cancelTicket($ticketOne->token), 'nor cancelled');

        self::assertTrue($one->release($holder)); // hands the slot to blog 1's ticket, first in line
        self::assertSame([], $two->takeWakes(64), 'blog 2 never sees blog 1\'s wake');
        self::assertFalse($two->wakeMissed($ticketOne->token));
        self::assertInstanceOf(Refusal::class, $two->tryAcquireFor([$key => 1], 60, 'blog 2, same id', $ref), 'nor takes its reservation');
        $wakes = $one->takeWakes(64);
        self::assertSame([[$ticketOne->token, $ref]], array_map(static fn ($w) => [$w->ticket, $w->ref], $wakes));
        $lease = $one->tryAcquireFor([$key => 1], 60, 'blog 1, woken', $ref);
        self::assertInstanceOf(Lease::class, $lease);
        self::assertTrue($one->release($lease)); // now blog 2's ticket is next
        self::assertSame([$ticketTwo->token], array_map(static fn ($w) => $w->ticket, $two->takeWakes(64)));
        self::assertInstanceOf(Lease::class, $lease = $two->tryAcquireFor([$key => 1], 60, 'blog 2, woken', $ref));
        $two->release($lease);
    }

    public function testAGrantToOneBlogsActionLeavesTheOtherBlogsTicketOfTheSameIdWaiting(): void
    {
        [$one, $two] = [self::blog(1), self::blog(2)];
        $key = self::key('served');
        $ref = self::ref();
        $holder = $one->tryAcquire([$key => 1], 60, 'holder');
        self::assertInstanceOf(Lease::class, $holder);
        $ticketTwo = $two->enqueue([$key => 1], $ref, 'flow:a', 10, 0);
        // Blog 1's action of the same id asks for a limit of 2 and is admitted: its own ticket (it has none)
        // leaves the line, blog 2's stays.
        $other = $one->tryAcquireFor([$key => 2], 60, 'blog 1, same id', $ref);
        self::assertInstanceOf(Lease::class, $other);
        self::assertSame([$ticketTwo->token], $this->ticketsOf($two, $ref), 'blog 2\'s ticket is still there');
        self::assertTrue($two->cancelTicket($ticketTwo->token));
        $one->release($other);
        $one->release($holder);
    }

    public function testAKilledHoldersActionIdGoesOnlyToItsOwnBlog(): void
    {
        $key = self::key('stranded');
        $ref = self::ref();
        $this->holdAndKill('scopetest/1', $key, $ref, 'blog 1 step');
        [$one, $two] = [self::blog(1), self::blog(2)];
        $two->operatorView()->sweep(); // blog 2's sweep reclaims the dead holder of this host ...
        self::assertSame([], self::strandedOf($two, $ref), '... but does not get its action id');
        self::assertSame(['blog 1 step'], array_map(static fn (StrandedLease $s): string => $s->label, self::strandedOf($one, $ref)));
    }

    public function testAnotherInstallNeverTakesAKilledHoldersActionId(): void
    {
        $key = self::key('two-installs');
        $ref = self::ref();
        $this->holdAndKill('install-b/1', $key, $ref, 'install B step');
        [$a, $b] = [self::blog(1, 'install-a'), self::blog(1, 'install-b')];
        $a->operatorView()->sweep();
        self::assertSame([], self::strandedOf($a, $ref), 'install A (same blog id) never takes install B\'s entry');
        self::assertSame(['install B step'], array_map(static fn (StrandedLease $s): string => $s->label, self::strandedOf($b, $ref)));
    }

    public function testTheSweepChecksOnlyItsOwnBlogsStaleTickets(): void
    {
        [$one, $two] = [self::blog(1), self::blog(2)];
        $key = self::key('stale');
        $ref = self::ref();
        $holder = $one->tryAcquire([$key => 1], 60, 'holder');
        self::assertInstanceOf(Lease::class, $holder);
        $longAgo = time() - 2 * 3600; // past WaitingLine::STALE_AFTER_MS
        $ticketOne = $one->enqueue([$key => 1], $ref, 'flow:a', 10, $longAgo);
        $ticketTwo = $two->enqueue([$key => 1], $ref, 'flow:a', 10, $longAgo);
        $two->operatorView()->sweep();
        $staleOfTwo = array_map(static fn ($t) => $t->ticket, $two->staleTickets(1000));
        self::assertContains($ticketTwo->token, $staleOfTwo);
        self::assertNotContains($ticketOne->token, $staleOfTwo, 'blog 2 would check blog 1\'s action id in its own queue');
        $one->operatorView()->sweep();
        self::assertContains($ticketOne->token, array_map(static fn ($t) => $t->ticket, $one->staleTickets(1000)));
        $one->cancelTicket($ticketOne->token);
        $two->cancelTicket($ticketTwo->token);
        $one->release($holder);
    }

    public function testOperatorsSeeWhoseHoldersAndQueuesTheyAre(): void
    {
        [$one, $two] = [self::blog(1), self::blog(2)];
        $key = self::key('whose');
        $lease = $one->tryAcquire([$key => 1], 60, 'blog 1 holder');
        self::assertInstanceOf(Lease::class, $lease);
        $ref = self::ref();
        $ticket = $two->enqueue([$key => 1], $ref, 'flow:b', 10, 0);
        $holders = $one->operatorView()->keys()[$key]->holders;
        self::assertSame(['scopetest/1'], array_map(static fn ($h) => $h->scope, $holders));
        $queues = array_values(array_filter($two->line(), static fn ($q) => array_key_exists($key, $q->keys)));
        self::assertSame(['scopetest/2'], array_map(static fn ($q) => $q->scope, $queues));
        $two->cancelTicket($ticket->token);
        $one->release($lease);
    }

    /** A child process of $scope takes a lease for action $ref and is SIGKILLed while it holds it. */
    private function holdAndKill(string $scope, string $key, int $ref, string $label): void
    {
        $child = Runner::php(static::childStoreCode() . '
            $lease = $backend->tryAcquireFor([$key => 1], 600, $label, $ref);
            echo $lease instanceof SluiceWP\Backend\Lease ? "held\n" : "refused\n";
            sleep(60);', ['scope' => $scope, 'key' => $key, 'ref' => $ref, 'label' => $label]);
        $child->expectLine('held');
        $child->kill(9);
        $child->wait();
    }

    /**
     * @param Backend&WaitingLine $store
     * @return list<StrandedLease> the stranded leases of action $ref this store's blog takes (others belong to other tests)
     */
    private static function strandedOf(Backend $store, int $ref): array
    {
        return array_values(array_filter($store->takeStranded(1000), static fn (StrandedLease $s): bool => $s->ref === $ref));
    }

    /**
     * @param Backend&WaitingLine $store
     * @return list<string> tickets of action $ref in the store's blog's queues
     */
    private function ticketsOf(Backend $store, int $ref): array
    {
        $tickets = [];
        foreach ($store->line() as $queue) {
            foreach ($queue->tickets as $t) {
                if ($t->ref === $ref) {
                    $tickets[] = $t->ticket;
                }
            }
        }
        return $tickets;
    }
}
