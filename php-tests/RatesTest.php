<?php
declare(strict_types=1);

namespace Sluice\Tests;

use Sluice\Limiter;
use Sluice\Tests\Support\Child;
use Sluice\Tests\Support\SluiceTestCase;

/**
 * Rate budgets from PHP: token buckets taken with the slots (Limiter's
 * fourth argument, per-call token counts), refusals that say which bucket and
 * when, refunds and charges (bucket_adjust()), the provider's word
 * (bucket_observe()), the capacity counters (window_add(), key_rates()), a
 * bucket shared by processes, and bad input.
 */
final class RatesTest extends SluiceTestCase
{
    private const SCOPE = 'phpunit/1';

    private static function bucketOf(string $key): array
    {
        $all = \Sluice\key_rates();
        self::assertArrayHasKey($key, $all);
        return $all[$key];
    }

    public function testSlotsAndTokensAreTakenTogetherAndARefusalNamesTheBucket(): void
    {
        $site = self::key('rates-site');
        $rpm = self::key('rpm');
        $tpm = self::key('tpm');
        $limiter = new Limiter([$site => 4], 0, self::SCOPE, [
            $rpm => ['rate' => 0.001, 'burst' => 3],
            $tpm => ['rate' => 0.001, 'burst' => 1000, 'tokens' => 10],
        ]);
        $a = $limiter->tryAcquire('a', [$tpm => 600]);
        self::assertNotNull($a);
        self::assertSame(-1, $a->waitedMs(), 'no ticket, no wait');
        $b = $limiter->tryAcquire('b', [$tpm => 600]);
        self::assertNull($b, 'the tokens-per-minute bucket holds 400');
        $why = $limiter->lastRefusal();
        self::assertSame(['key', 'limit', 'active', 'kind', 'retry_after_ms', 'level'], array_keys($why));
        self::assertSame($tpm, $why['key']);
        self::assertSame('rate', $why['kind']);
        self::assertEqualsWithDelta(400.0, $why['level'], 0.5);
        self::assertGreaterThan(100_000, $why['retry_after_ms'], '200 tokens at 0.001 a second');
        self::assertSame(1, self::statusOf($site)['active'], 'the refused acquire took no slot');
        self::assertSame(1, self::bucketOf($rpm)['takes'], 'nor a request token');

        $c = $limiter->tryAcquire('c', [$tpm => 300]);
        self::assertNotNull($c);
        $d = $limiter->tryAcquire('d');  // the constructor's 10 tokens
        self::assertNotNull($d);
        self::assertNull($limiter->tryAcquire('e'), 'three requests were the burst');
        self::assertSame($rpm, $limiter->lastRefusal()['key']);
        self::assertSame(910.0, self::bucketOf($tpm)['tokens_taken']);

        $full = new Limiter([$site => 3], 0, self::SCOPE, [$rpm => ['rate' => 1000, 'burst' => 1000]]);
        self::assertNull($full->tryAcquire());
        self::assertSame(['key' => $site, 'limit' => 3, 'active' => 3, 'kind' => 'slot'],
            array_intersect_key($full->lastRefusal(), array_flip(['key', 'limit', 'active', 'kind'])));
        foreach ([$a, $c, $d] as $lease) {
            self::assertTrue($lease->release());
        }
    }

    public function testARefundPutsTokensBackAndTheProvidersWordPausesAndTeaches(): void
    {
        $site = self::key('rates-site');
        $tpm = self::key('tpm');
        $limiter = new Limiter([$site => 4], 0, self::SCOPE, [$tpm => ['rate' => 0.001, 'burst' => 1000]]);
        $lease = $limiter->tryAcquire('', [$tpm => 900]);
        self::assertNotNull($lease);
        $after = \Sluice\bucket_adjust($tpm, 700);  // the response used 200 of the 900
        self::assertSame(['rate', 'burst', 'learned_rate', 'learned_burst', 'level', 'paused_ms', 'takes', 'refusals', 'tokens_taken'], array_keys($after));
        self::assertEqualsWithDelta(800.0, $after['level'], 0.5);
        self::assertEqualsWithDelta(-200.0, \Sluice\bucket_adjust($tpm, -1000)['level'], 0.5, 'an extra charge leaves a debt');
        $lease->release();

        $rpm = self::key('rpm');
        $learning = new Limiter([$site => 4], 0, self::SCOPE, [$rpm => ['rate' => 0]]);
        for ($i = 0; $i < 5; $i++) {
            self::assertNotNull($learning->tryAcquire()?->release(), 'no budget yet: every take goes');
        }
        $word = \Sluice\bucket_observe($rpm, ['at_most' => 0, 'learned_rate' => 0.5, 'learned_burst' => 2]);
        self::assertSame(0.5, $word['learned_rate']);
        self::assertNull($learning->tryAcquire(), 'the learned budget applies, and none is left');
        self::assertSame('rate', $learning->lastRefusal()['kind']);
        $paused = \Sluice\bucket_observe($rpm, ['pause_ms' => 3000]);
        self::assertGreaterThan(2900, $paused['paused_ms']);
        $own = new Limiter([$site => 4], 0, '', [$rpm => ['rate' => 1000, 'burst' => 1000]]);
        self::assertNull($own->tryAcquire(), 'a pause holds back even a take with a budget of its own');
        self::assertGreaterThan(2900, $own->lastRefusal()['retry_after_ms']);
    }

    public function testAHeldTicketIsHandedNothingAndAReservationShortOfBudgetGoesOn(): void
    {
        \Sluice\take_wakes(self::SCOPE, 4096);
        $site = self::key('rates-line');
        $rpm = self::key('rpm');
        $rated = new Limiter([$site => 1], 0, self::SCOPE, [$rpm => ['rate' => 0.001, 'burst' => 1]]);
        $plain = new Limiter([$site => 1], 0, self::SCOPE);
        $holder = $rated->tryAcquire();
        self::assertNotNull($holder);
        $rated->enqueue(501, 't');
        $plain->enqueue(502, 't');
        $held = $rated->enqueue(503, 't', 1, 0, true);
        self::assertTrue($held['new']);
        self::assertTrue($holder->release());
        self::assertSame([501], array_column(\Sluice\take_wakes(self::SCOPE, 10), 'ref'));
        self::assertNull($rated->tryAcquireFor(501), 'its request budget is spent');
        self::assertSame('rate', $rated->lastRefusal()['kind']);
        self::assertSame([502], array_column(\Sluice\take_wakes(self::SCOPE, 10), 'ref'), 'the slot went on at once');
        $lease = $plain->tryAcquireFor(502);
        self::assertNotNull($lease);
        self::assertGreaterThanOrEqual(0, $lease->waitedMs());
        self::assertTrue($lease->release());
        self::assertSame([], \Sluice\take_wakes(self::SCOPE, 10), '501 and 503 wait for their actions');
        $tickets = array_merge(...array_map(fn ($q) => $q['tickets'], array_filter(\Sluice\line(), fn ($q) => isset($q['keys'][$site]))));
        self::assertSame([501, 503], array_column($tickets, 'ref'));
        self::assertSame([true, true], array_column($tickets, 'lapsed'));
    }

    public function testFourProcessesShareOneBucketAndTakeExactlyItsBurst(): void
    {
        $site = self::key('rates-race');
        $rpm = self::key('rpm');
        $children = [];
        for ($p = 0; $p < 4; $p++) {
            $children[] = Child::start(<<<'PHP'
                $limiter = new Sluice\Limiter([$site => 8], 0, '', [$rpm => ['rate' => 0.000001, 'burst' => 25]]);
                $granted = 0;
                for ($i = 0; $i < 300; $i++) {
                    $lease = $limiter->tryAcquire();
                    if ($lease !== null) { $granted++; $lease->release(); }
                }
                echo $granted, "\n";
                PHP, ['site' => $site, 'rpm' => $rpm]);
        }
        $total = 0;
        foreach ($children as $child) {
            $r = $child->wait();
            self::assertSame(0, $r->exitCode, $r->describe());
            $total += (int) trim($r->stdout);
        }
        self::assertSame(25, $total);
        self::assertSame(25, self::bucketOf($rpm)['takes']);
        self::assertSame(1175, self::bucketOf($rpm)['refusals']);
    }

    public function testCapacityCountersAddUpPerMinute(): void
    {
        $key = self::key('rates-window');
        \Sluice\window_add([$key => [0 => 2, 3 => 1500]]);
        \Sluice\window_add([$key => [0 => 1, 7 => 4]]);
        \Sluice\window_add([$key => [0 => 9]], intdiv(time(), 60) - 3);
        \Sluice\window_add([$key => [0 => 9]], intdiv(time(), 60) - 40);  // too old
        $windows = self::bucketOf($key)['windows'];
        self::assertCount(2, $windows);
        self::assertSame(intdiv(time(), 60) - 3, $windows[0]['minute']);
        self::assertSame([9, 0, 0, 0, 0, 0, 0, 0], $windows[0]['counts']);
        self::assertSame([3, 0, 0, 1500, 0, 0, 0, 4], $windows[1]['counts']);
    }

    public function testBadInputGetsAnErrorNamingTheProblem(): void
    {
        $cases = [
            'a rate out of range' => [fn () => new Limiter(['a' => 1], 0, '', ['b' => ['rate' => -1]]), \ValueError::class, 'rate from 0 to 1e9'],
            'an unknown bucket field' => [fn () => new Limiter(['a' => 1], 0, '', ['b' => ['rpm' => 1]]), \ValueError::class, 'only rate, burst and tokens'],
            'a bucket that is no array' => [fn () => new Limiter(['a' => 1], 0, '', ['b' => 5]), \TypeError::class, 'array of rate, burst and tokens'],
            'five buckets' => [fn () => new Limiter(['a' => 1], 0, '', array_fill_keys(['b', 'c', 'd', 'e', 'f'], [])), \ValueError::class, 'at most 4 buckets'],
            'tokens for a bucket it lacks' => [fn () => (new Limiter(['a' => 1]))->tryAcquire('', ['b' => 1]), \ValueError::class, 'only this limiter\'s buckets'],
            'tokens not a number' => [fn () => (new Limiter(['a' => 1], 0, '', ['b' => []]))->tryAcquire('', ['b' => 'x']), \TypeError::class, 'token count'],
            'an adjustment out of range' => [fn () => \Sluice\bucket_adjust('b', 1e12), \ValueError::class, '-1e9 to 1e9'],
            'an unknown observation' => [fn () => \Sluice\bucket_observe('b', ['remaining' => 1]), \ValueError::class, 'only at_most'],
            'a negative pause' => [fn () => \Sluice\bucket_observe('b', ['pause_ms' => -1]), \ValueError::class, 'pause_ms from 0'],
            'a counter out of range' => [fn () => \Sluice\window_add(['b' => [8 => 1]]), \ValueError::class, 'counters 0 to 7'],
            'a negative count' => [fn () => \Sluice\window_add(['b' => [0 => -1]]), \ValueError::class, 'at least 0'],
            'an empty key' => [fn () => \Sluice\bucket_adjust('', 1), \ValueError::class, 'must be a key'],
        ];
        foreach ($cases as $what => [$call, $class, $message]) {
            try {
                $call();
                self::fail("$what: no exception");
            } catch (\Throwable $e) {
                self::assertInstanceOf($class, $e, "$what: " . $e->getMessage());
                self::assertStringContainsString($message, $e->getMessage(), $what);
            }
        }
    }
}
