<?php
declare(strict_types=1);

namespace Sluice\Tests;

use Sluice\CapacityException;
use Sluice\Limiter;
use Sluice\Tests\Support\Child;
use Sluice\Tests\Support\Segments;
use Sluice\Tests\Support\SluiceTestCase;

/**
 * The waiting line from PHP: Limiter::enqueue()/tryAcquireFor(), the hand-off of
 * a freed slot to the next ticket (a reservation and a wake), lapses, fairness,
 * a process killed while editing the line, capacity, stranded work.
 */
final class LineTest extends SluiceTestCase
{
    /** The scope of this suite's line records (see Limiter::__construct()). */
    private const SCOPE = 'phpunit/1';

    /** The wakes now in the ring for these tickets (others' are dropped). */
    private static function wakesFor(array $tickets): array
    {
        return array_values(array_filter(\Sluice\take_wakes(self::SCOPE, 4096), fn ($w) => in_array($w['ticket'], $tickets, true)));
    }

    /** The refs of the wakes now in the ring. */
    private static function wokenRefs(): array
    {
        return array_map(fn ($w) => $w['ref'], \Sluice\take_wakes(self::SCOPE, 4096));
    }

    /** line() entries whose key set includes $key. */
    private static function queuesOf(string $key): array
    {
        return array_values(array_filter(\Sluice\line(), fn ($q) => isset($q['keys'][$key])));
    }

    public function testReleaseHandsOffAndTryAcquireForConvertsTheReservation(): void
    {
        \Sluice\take_wakes(self::SCOPE, 4096);
        $key = self::key('line-release');
        $limiter = new Limiter([$key => 1], 0, self::SCOPE);
        $holder = $limiter->tryAcquire('holder');
        $e = $limiter->enqueue(101, 'flow-a', 3);
        self::assertSame(['ticket', 'new', 'ahead', 'limit', 'mean_hold_ms'], array_keys($e));
        self::assertMatchesRegularExpression('/^[0-9a-f]{32}$/', $e['ticket']);
        self::assertTrue($e['new']);
        self::assertSame(0, $e['ahead']);
        self::assertSame(1, $e['limit']);
        self::assertSame(1, self::countersOf($key)['queued']);
        $again = $limiter->enqueue(101, 'flow-b', 9);
        self::assertFalse($again['new']);
        self::assertSame($e['ticket'], $again['ticket']);

        $q = self::queuesOf($key);
        self::assertCount(1, $q);
        self::assertSame('flow-a', $q[0]['tenant']);
        self::assertSame(3, $q[0]['weight']);
        self::assertSame([$key => 1], $q[0]['keys']);
        $t = $q[0]['tickets'][0];
        self::assertSame(['ticket', 'ref', 'state', 'age_ms', 'first_deferred_at', 'reserved_left_ms',
            'effective_weight', 'lapsed'], array_keys($t));
        self::assertSame('waiting', $t['state']);
        self::assertEqualsWithDelta(time(), $t['first_deferred_at'], 2);
        self::assertIsFloat($t['effective_weight']);

        self::assertTrue($holder->release());
        $wakes = self::wakesFor([$e['ticket']]);
        self::assertCount(1, $wakes);
        self::assertSame(101, $wakes[0]['ref']);
        self::assertGreaterThan(9000, $wakes[0]['reserved_left_ms']);
        $s = self::statusOf($key);
        self::assertSame(1, $s['reserved']);
        self::assertSame(0, $s['queued']);
        self::assertSame(1, $s['wakes_sent']);
        self::assertTrue($s['holders'][0]['reservation']);
        self::assertSame(0, $s['holders'][0]['pid']);
        self::assertSame(101, $s['holders'][0]['ref']);
        self::assertSame('reserved', self::queuesOf($key)[0]['tickets'][0]['state']);

        self::assertNull($limiter->tryAcquire(), 'a newcomer cannot take a reserved slot');
        self::assertNull($limiter->tryAcquireFor(999), 'nor another action');
        $lease = $limiter->tryAcquireFor(101, 'claimed');
        self::assertNotNull($lease);
        $s = self::statusOf($key);
        self::assertSame(0, $s['reserved']);
        self::assertSame(getmypid(), $s['holders'][0]['pid']);
        self::assertSame(101, $s['holders'][0]['ref']);
        self::assertSame('claimed', $s['holders'][0]['label']);
        self::assertFalse($s['holders'][0]['reservation']);
        self::assertSame([], self::queuesOf($key), 'the ticket left the line');
        self::assertFalse(\Sluice\ticket_cancel(self::SCOPE, $e['ticket']));
        self::assertTrue($lease->release());
        self::assertNotNull($limiter->tryAcquireFor(5), 'with no ticket, exactly tryAcquire()');
    }

    public function testADeadHolderHandsOffAndIsReportedAsStrandedOnce(): void
    {
        \Sluice\take_wakes(self::SCOPE, 4096);
        \Sluice\take_stranded(self::SCOPE, 4096);
        $key = self::key('line-dead');
        $child = Child::start(<<<'PHP'
            $lease = (new Sluice\Limiter([$key => 1], 0, 'phpunit/1'))->tryAcquireFor(555, 'job 555') ?? exit("refused\n");
            echo "held\n";
            sleep(60);
            PHP, ['key' => $key]);
        $child->expectLine('held');
        self::assertSame(555, self::statusOf($key)['holders'][0]['ref']);
        $limiter = new Limiter([$key => 1], 0, self::SCOPE);
        $e = $limiter->enqueue(7, 'flow');
        $child->kill(9);
        $child->wait();
        \Sluice\sweep(); // (it may reclaim other tests' dead holders in this run's segment: count this key's only)
        self::assertSame(1, self::countersOf($key)['reclaimed_dead']);
        self::assertSame([7], array_map(fn ($w) => $w['ref'], self::wakesFor([$e['ticket']])));
        $stranded = array_values(array_filter(\Sluice\take_stranded(self::SCOPE), fn ($s) => $s['ref'] === 555));
        self::assertCount(1, $stranded);
        self::assertMatchesRegularExpression('/^[0-9a-f]{32}$/', $stranded[0]['id']);
        self::assertSame(['ref' => 555, 'label' => 'job 555', 'pid' => $child->pid], array_diff_key($stranded[0], ['id' => 0]));
        self::assertSame([], array_filter(\Sluice\take_stranded(self::SCOPE), fn ($s) => $s['ref'] === 555), 'claimed: nobody else sees it');
        self::assertTrue(\Sluice\ack_stranded(self::SCOPE, $stranded[0]['id']), 'dealt with: dropped');
        self::assertFalse(\Sluice\ack_stranded(self::SCOPE, $stranded[0]['id']), 'once');
        self::assertNotNull($limiter->tryAcquireFor(7));
    }

    public function testALapsedReservationGoesToTheNextTicket(): void
    {
        \Sluice\take_wakes(self::SCOPE, 4096);
        $key = self::key('line-lapse');
        $limiter = new Limiter([$key => 1], 0, self::SCOPE);
        // The holder releases in a process whose reservations last 200 ms.
        $child = Child::start(<<<'PHP'
            $lease = (new Sluice\Limiter([$key => 1]))->tryAcquire() ?? exit("refused\n");
            echo "held\n";
            while (!file_exists($go)) { usleep(5000); }
            $lease->release();
            echo "released\n";
            PHP, ['key' => $key, 'go' => $go = tempnam(sys_get_temp_dir(), 'sluice-go-') . '.go'],
            ['sluice.reservation_ms' => 200]);
        $child->expectLine('held');
        $first = $limiter->enqueue(1, 'flow');
        $second = $limiter->enqueue(2, 'flow');
        touch($go);
        $child->expectLine('released');
        $child->wait();
        unlink($go);
        @unlink(substr($go, 0, -3));
        self::assertSame([1], array_map(fn ($w) => $w['ref'], self::wakesFor([$first['ticket'], $second['ticket']])));
        usleep(300000);
        self::assertNull($limiter->tryAcquire(), 'the lapse hands the slot to the next ticket, not the newcomer');
        self::assertSame([2], array_map(fn ($w) => $w['ref'], self::wakesFor([$first['ticket'], $second['ticket']])));
        $s = self::countersOf($key);
        self::assertSame(1, $s['wakes_lapsed']);
        self::assertSame(2, $s['wakes_sent']);
        $tickets = self::queuesOf($key)[0]['tickets'];
        self::assertSame([1, 2], array_column($tickets, 'ref'), 'the lapsed ticket keeps its place');
        self::assertSame(['waiting', 'reserved'], array_column($tickets, 'state'));
        self::assertSame([true, false], array_column($tickets, 'lapsed'));

        self::assertTrue(\Sluice\wake_missed(self::SCOPE, $second['ticket']));
        self::assertSame(1, self::countersOf($key)['wakes_missed']);
        self::assertTrue(\Sluice\ticket_cancel(self::SCOPE, $second['ticket']), 'its reservation is released and handed on');
        self::assertSame([], self::wakesFor([$first['ticket']]), 'the lapsed ticket waits for its action');
        self::assertTrue(\Sluice\ticket_set_ref(self::SCOPE, $first['ticket'], 11));
        self::assertFalse($limiter->enqueue(11, 'flow')['new'], 're-confirmed under its new ref');
        self::assertSame([11], array_map(fn ($w) => $w['ref'], self::wakesFor([$first['ticket']])));
        self::assertNotNull($limiter->tryAcquireFor(11));
    }

    public function testATicketWaitingOnAFullProviderIsNotWokenByAFreedSiteSlot(): void
    {
        \Sluice\take_wakes(self::SCOPE, 4096);
        $site = self::key('line-site');
        $provider = self::key('line-provider');
        $both = new Limiter([$site => 2, $provider => 1], 0, self::SCOPE);
        $siteOnly = new Limiter([$site => 2], 0, self::SCOPE);
        $a = $both->tryAcquire();
        $b = $siteOnly->tryAcquire();
        $t1 = $both->enqueue(1, 'flow-1');
        $t2 = $siteOnly->enqueue(2, 'flow-2');
        self::assertSame(1, $t1['limit'], 'the smallest limit of its keys');
        self::assertTrue($b->release());
        self::assertSame([2], array_map(fn ($w) => $w['ref'], self::wakesFor([$t1['ticket'], $t2['ticket']])));
        self::assertNotNull($siteOnly->tryAcquireFor(2));
        self::assertTrue($a->release());
        self::assertSame([1], array_map(fn ($w) => $w['ref'], self::wakesFor([$t1['ticket'], $t2['ticket']])));
        self::assertNotNull($both->tryAcquireFor(1));
    }

    public function testFairOrderAcrossTenantsWithWeightsAndAging(): void
    {
        // In a child with aging switched off (a day), so the order is exact.
        $r = Child::run(<<<'PHP'
            $limiter = new Sluice\Limiter([$key => 1], 0, 'phpunit/1');
            Sluice\take_wakes('phpunit/1', 4096);
            $holder = $limiter->tryAcquire();
            $serve = function (int $n) use ($limiter, &$holder) {
                $order = [];
                $holder->release();
                for ($i = 0; $i < $n; $i++) {
                    $w = Sluice\take_wakes('phpunit/1');
                    if (count($w) !== 1) { return $order; }
                    $order[] = $w[0]['ref'];
                    $lease = $limiter->tryAcquireFor($w[0]['ref']);
                    $lease->release();
                }
                $holder = $limiter->tryAcquire();
                return $order;
            };
            for ($i = 0; $i < 3; $i++) {
                foreach ([1, 2, 3] as $t) { $limiter->enqueue($t * 100 + $i, "flow-$t"); }
            }
            $roundRobin = array_map(fn ($ref) => intdiv($ref, 100), $serve(9));
            for ($i = 0; $i < 80; $i++) {
                $limiter->enqueue(1000 + $i, 'heavy', 3);
                $limiter->enqueue(2000 + $i, 'light', 1);
            }
            $weighted = $serve(80);
            $heavy = count(array_filter($weighted, fn ($ref) => $ref < 2000));
            echo json_encode([$roundRobin, $heavy, count($weighted) - $heavy]), "\n";
            PHP, ['key' => self::key('line-fair')], ['sluice.aging_seconds' => 86400]);
        [$roundRobin, $heavy, $light] = $r->json();
        // Round robin: each round serves every tenant once (ties within a round may fall either way,
        // as the tickets' tiny differences in age decide them).
        self::assertCount(9, $roundRobin, $r->describe());
        foreach (array_chunk($roundRobin, 3) as $round) {
            sort($round);
            self::assertSame([1, 2, 3], $round, $r->describe());
        }
        self::assertEqualsWithDelta(3.0, $heavy / max(1, $light), 0.3, "$heavy:$light");

        // Aging (the default 90 s): a weight-1 ticket first deferred 100 s ago beats fresh weight-100 ones.
        \Sluice\take_wakes(self::SCOPE, 4096);
        $key = self::key('line-aging');
        $limiter = new Limiter([$key => 1], 0, self::SCOPE);
        $holder = $limiter->tryAcquire();
        $limiter->enqueue(1, 'fresh-light', 1);
        $limiter->enqueue(2, 'heavy', 100);
        $limiter->enqueue(3, 'heavy', 100);
        $old = $limiter->enqueue(4, 'old-light', 1, time() - 100);
        self::assertGreaterThanOrEqual(1, $old['ahead']);
        $line = self::queuesOf($key);
        self::assertSame(['old-light', 'heavy', 'fresh-light'], array_column($line, 'tenant'), 'line() is in service order');
        self::assertEqualsWithDelta(100.0, $line[0]['tickets'][0]['effective_weight'], 0.001);
        self::assertGreaterThanOrEqual(99000, $line[0]['tickets'][0]['age_ms']);
        $holder->release();
        self::assertSame([4], self::wokenRefs());
    }

    public function testAProcessKilledWhileEditingTheLineLeavesItConsistent(): void
    {
        $key = self::key('line-crash');
        $limiter = new Limiter([$key => 1], 0, self::SCOPE);
        $holder = $limiter->tryAcquire();
        foreach ([1, 2, 3] as $ref) {
            $limiter->enqueue($ref, "flow-$ref");
        }
        $repairs = \Sluice\segment_info()['repairs'];
        $child = Child::start(<<<'PHP'
            $limiter = new Sluice\Limiter([$key => 1], 0, 'phpunit/1');
            echo "ready\n";
            Sluice\Testing\park_next_acquire_in_critical_section();
            $limiter->enqueue(4, 'flow-1');
            echo "not parked\n";
            PHP, ['key' => $key]);
        $child->expectLine('ready');
        $deadline = microtime(true) + 5;
        // Parked holding the mutex: a status() from here would block, so wait on /proc.
        do {
            usleep(20000);
            $wchan = (string) @file_get_contents("/proc/{$child->pid}/wchan");
            $syscall = (string) @file_get_contents("/proc/{$child->pid}/syscall");
        } while (microtime(true) < $deadline && !preg_match('/pause|sigsuspend/', $wchan) && !str_starts_with($syscall, '34 '));
        usleep(100000);
        $child->kill(9);
        self::assertSame(9, $child->wait()->signal);

        $tickets = array_merge(...array_map(fn ($q) => $q['tickets'], self::queuesOf($key)));
        self::assertSame(1, \Sluice\segment_info()['repairs'] - $repairs, 'the next lock repaired the segment');
        $refs = array_column($tickets, 'ref');
        sort($refs);
        self::assertSame([1, 2, 3, 4], $refs, 'no ticket lost, none twice');
        self::assertSame(4, self::countersOf($key)['queued']);
        self::assertTrue($holder->release());
        self::assertCount(1, array_filter(\Sluice\take_wakes(self::SCOPE, 4096), fn ($w) => in_array($w['ref'], [1, 2, 3, 4], true)));
        self::assertSame(3, self::countersOf($key)['queued']);
    }

    public function testAFullLineIsACapacityExceptionNamingTheSetting(): void
    {
        $segment = Segments::fresh('line-full');
        try {
            $r = Child::run(<<<'PHP'
                $limiter = new Sluice\Limiter(['site' => 1]);
                $held = $limiter->tryAcquire();
                for ($i = 1; $i <= 3; $i++) { $limiter->enqueue($i, 'flow'); }
                try { $limiter->enqueue(4, 'flow'); echo json_encode('no exception'), "\n"; }
                catch (Sluice\CapacityException $e) {
                    echo json_encode([get_class($e), $e->getMessage(), $limiter->enqueue(3, 'flow')['new'],
                        Sluice\segment_info()['max_tickets'], Sluice\segment_info()['tickets_in_use']]), "\n";
                }
                PHP, [], ['sluice.segment' => $segment, 'sluice.max_tickets' => 3]);
            [$class, $message, $new, $max, $inUse] = $r->json();
            self::assertSame(CapacityException::class, $class);
            self::assertStringContainsString('sluice.max_tickets', $message);
            self::assertFalse($new, 'finding a ticket needs no room');
            self::assertSame([3, 3], [$max, $inUse]);
        } finally {
            Segments::remove($segment);
        }
    }

    public function testBadArgumentsAreValueErrorsNamingThem(): void
    {
        $limiter = new Limiter([self::key('line-bad') => 1], 0, self::SCOPE);
        $cases = [
            '#1 ($ref)' => fn () => $limiter->enqueue(0, 'flow'),
            '#2 ($tenant)' => fn () => $limiter->enqueue(1, str_repeat('t', 65)),
            '#3 ($weight)' => fn () => $limiter->enqueue(1, 'flow', 101),
            '#4 ($firstDeferredAt)' => fn () => $limiter->enqueue(1, 'flow', 1, -1),
            'tryAcquireFor(): Argument #1 ($ref)' => fn () => $limiter->tryAcquireFor(0),
            'take_wakes(): Argument #2 ($max)' => fn () => \Sluice\take_wakes(self::SCOPE, 0),
            'take_stranded(): Argument #2 ($max)' => fn () => \Sluice\take_stranded(self::SCOPE, 5000),
            'ticket_cancel(): Argument #2 ($ticket)' => fn () => \Sluice\ticket_cancel(self::SCOPE, 'nope'),
            'ticket_set_ref(): Argument #3 ($ref)' => fn () => \Sluice\ticket_set_ref(self::SCOPE, str_repeat('0', 32), 0),
            'wake_missed(): Argument #2 ($ticket)' => fn () => \Sluice\wake_missed(self::SCOPE, str_repeat('g', 32)),
            'ack_stranded(): Argument #2 ($id)' => fn () => \Sluice\ack_stranded(self::SCOPE, 'x'),
            'return_stranded(): Argument #2 ($id)' => fn () => \Sluice\return_stranded(self::SCOPE, str_repeat('z', 32)),
            'take_wakes(): Argument #1 ($scope) must be a scope' => fn () => \Sluice\take_wakes('no-slash'),
            'take_stranded(): Argument #1 ($scope)' => fn () => \Sluice\take_stranded('a/01'),
            'ticket_cancel(): Argument #1 ($scope)' => fn () => \Sluice\ticket_cancel('a/4294967296', str_repeat('0', 32)),
            'ack_stranded(): Argument #1 ($scope)' => fn () => \Sluice\ack_stranded(str_repeat('i', 17) . '/1', str_repeat('0', 32)),
            'Limiter::__construct(): Argument #3 ($scope)' => fn () => new Limiter(['x' => 1], 0, 'bad id/1'),
        ];
        foreach ($cases as $names => $call) {
            try {
                $call();
                self::fail("no ValueError for $names");
            } catch (\ValueError $e) {
                self::assertStringContainsString($names, $e->getMessage());
            }
        }
        self::assertSame(64, strlen(str_repeat('t', 64)));
        self::assertTrue($limiter->enqueue(1, str_repeat('t', 64), 100)['new'], '64 bytes and weight 100 are fine');
        $unknown = 'ffffffff' . str_repeat('0', 24);
        self::assertFalse(\Sluice\ticket_cancel(self::SCOPE, $unknown));
        self::assertFalse(\Sluice\ticket_set_ref(self::SCOPE, $unknown, 3));
        self::assertFalse(\Sluice\wake_missed(self::SCOPE, $unknown));
    }

    public function testMeanHoldTimeIsKeptPerKey(): void
    {
        $key = self::key('line-hold');
        $limiter = new Limiter([$key => 2], 0, self::SCOPE);
        self::assertSame(0, self::countersOf($key)['mean_hold_ms']);
        $lease = $limiter->tryAcquire();
        usleep(60000);
        $lease->release();
        $mean = self::countersOf($key)['mean_hold_ms'];
        self::assertGreaterThanOrEqual(50, $mean);
        self::assertLessThan(1000, $mean);
        $holder = $limiter->tryAcquire();
        $holder2 = $limiter->tryAcquire();
        self::assertSame($mean, $limiter->enqueue(9, 'flow')['mean_hold_ms']);
    }
}
