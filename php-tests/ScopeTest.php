<?php
declare(strict_types=1);

namespace Sluice\Tests;

use Sluice\Limiter;
use Sluice\Tests\Support\Child;
use Sluice\Tests\Support\SluiceTestCase;

/**
 * Scopes: action ids are unique only per blog, while one segment serves every
 * blog of a network and every WordPress install of the host. Two scopes with
 * the same refs never see or touch each other's tickets, wakes or stranded
 * records, and a stranded record is dropped only once its scope dealt with it.
 */
final class ScopeTest extends SluiceTestCase
{
    private const BLOG_1 = 'install-a/1';
    private const BLOG_2 = 'install-a/2';

    public function testCollidingRefsInTwoScopesNeverMeet(): void
    {
        // One key set for both (a host-wide provider key is shared like this), the same ref in each.
        $key = self::key('scope-collide');
        $one = new Limiter([$key => 1], 0, self::BLOG_1);
        $two = new Limiter([$key => 1], 0, self::BLOG_2);
        \Sluice\take_wakes(self::BLOG_1, 4096);
        \Sluice\take_wakes(self::BLOG_2, 4096);
        $holder = $one->tryAcquire('holder');
        $t1 = $one->enqueue(42, 'flow');
        $t2 = $two->enqueue(42, 'flow');
        self::assertTrue($t1['new']);
        self::assertTrue($t2['new'], 'blog 2\'s action 42 is not blog 1\'s');
        self::assertNotSame($t1['ticket'], $t2['ticket']);
        $line = array_values(array_filter(\Sluice\line(), fn ($q) => isset($q['keys'][$key])));
        self::assertSame([self::BLOG_1, self::BLOG_2], array_column($line, 'scope'));

        // Blog 2 cannot move, cancel or report blog 1's ticket, even knowing it.
        self::assertFalse(\Sluice\ticket_set_ref(self::BLOG_2, $t1['ticket'], 7));
        self::assertFalse(\Sluice\ticket_cancel(self::BLOG_2, $t1['ticket']));
        self::assertFalse(\Sluice\wake_missed(self::BLOG_2, $t1['ticket']));
        self::assertSame(0, self::countersOf($key)['wakes_missed']);

        // The freed slot goes to blog 1's ticket (first in line); its wake is blog 1's alone.
        self::assertTrue($holder->release());
        self::assertSame([], \Sluice\take_wakes(self::BLOG_2, 4096));
        self::assertNull($two->tryAcquireFor(42), 'blog 2\'s action 42 does not get blog 1\'s reservation');
        $wakes = \Sluice\take_wakes(self::BLOG_1, 4096);
        self::assertSame([[$t1['ticket'], 42]], array_map(fn ($w) => [$w['ticket'], $w['ref']], $wakes));
        $holders = self::statusOf($key)['holders'];
        self::assertSame([self::BLOG_1], array_column($holders, 'scope'), 'the reservation is blog 1\'s');
        self::assertSame([true], array_column($holders, 'reservation'));

        $lease = $one->tryAcquireFor(42, 'blog 1');
        self::assertNotNull($lease);
        self::assertSame(self::BLOG_1, self::statusOf($key)['holders'][0]['scope']);
        $left = array_values(array_filter(\Sluice\line(), fn ($q) => isset($q['keys'][$key])));
        self::assertSame([self::BLOG_2], array_column($left, 'scope'), 'blog 2\'s ticket still waits');
        self::assertSame([42], array_column($left[0]['tickets'], 'ref'));
        self::assertTrue($lease->release());
        self::assertSame([42], array_column(\Sluice\take_wakes(self::BLOG_2, 4096), 'ref'));
        self::assertNotNull($two->tryAcquireFor(42));
    }

    public function testAnotherInstallCannotTakeAKilledHoldersStrandedRecord(): void
    {
        $key = self::key('scope-stranded');
        $holder = Child::start(<<<'PHP'
            $lease = (new Sluice\Limiter([$key => 1], 0, 'install-b/1'))->tryAcquireFor(555, 'job of install b') ?? exit("refused\n");
            echo "held\n";
            sleep(60);
            PHP, ['key' => $key]);
        $holder->expectLine('held');
        $holder->kill(9);
        $holder->wait();
        // A process of install A (the same blog id, the same action id 555 in its own tables) sweeps.
        $takeIn = fn (string $scope) => Child::run(<<<'PHP'
            Sluice\sweep();
            echo json_encode(array_values(array_filter(Sluice\take_stranded($scope, 4096), fn ($s) => $s['ref'] === 555))), "\n";
            PHP, ['scope' => $scope]);
        $a = $takeIn('install-a/1');
        self::assertSame([], $a->json(), 'install A sees nothing of install B: ' . $a->describe());
        self::assertSame(1, self::countersOf($key)['reclaimed_dead']);
        // Install B's process takes it but exits without acking: not dealt with, so it comes back.
        $b = $takeIn('install-b/1');
        self::assertSame([555], array_column($b->json(), 'ref'), $b->describe());
        self::assertSame([], $takeIn('install-a/1')->json());
        $again = \Sluice\take_stranded('install-b/1', 4096);
        self::assertSame([555], array_column(array_filter($again, fn ($s) => $s['ref'] === 555), 'ref'), 'returned at the end of the request that claimed it');
        self::assertSame(['job of install b'], array_column(array_filter($again, fn ($s) => $s['ref'] === 555), 'label'));
    }

    public function testAStrandedRecordIsDroppedOnlyOnceItWasDealtWith(): void
    {
        $key = self::key('scope-handover');
        $scope = 'install-c/3';
        $holder = Child::start(<<<'PHP'
            $lease = (new Sluice\Limiter([$key => 1], 0, $scope))->tryAcquireFor(77, 'job 77') ?? exit("refused\n");
            echo "held\n";
            sleep(60);
            PHP, ['key' => $key, 'scope' => $scope]);
        $holder->expectLine('held');
        $holder->kill(9);
        $holder->wait();
        \Sluice\sweep();
        $mine = fn () => array_values(array_filter(\Sluice\take_stranded($scope, 4096), fn ($s) => $s['ref'] === 77));

        // A caller that fails half-way puts back what it could not deal with.
        $taken = $mine();
        self::assertCount(1, $taken);
        self::assertSame([], $mine(), 'claimed: a second sweep does not see it');
        self::assertFalse(\Sluice\return_stranded('install-c/4', $taken[0]['id']), 'another blog cannot return it');
        self::assertFalse(\Sluice\ack_stranded('install-c/4', $taken[0]['id']), 'nor drop it');
        self::assertTrue(\Sluice\return_stranded($scope, $taken[0]['id']));
        self::assertFalse(\Sluice\ack_stranded($scope, $taken[0]['id']), 'that claim is over');

        // A sweeper killed while it holds the claim loses nothing either.
        $sweeper = Child::start(<<<'PHP'
            $s = array_values(array_filter(Sluice\take_stranded($scope, 4096), fn ($s) => $s['ref'] === 77));
            echo count($s), "\n";
            sleep(60);
            PHP, ['scope' => $scope]);
        $sweeper->expectLine('1');
        self::assertSame([], $mine(), 'claimed by a live sweeper');
        $sweeper->kill(9);
        $sweeper->wait();
        $taken = $mine();
        self::assertCount(1, $taken, 'its claimer died: it is back');

        self::assertTrue(\Sluice\ack_stranded($scope, $taken[0]['id']));
        self::assertSame([], $mine(), 'dealt with: gone');
    }
}
