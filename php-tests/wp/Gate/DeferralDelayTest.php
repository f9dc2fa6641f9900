<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use PHPUnit\Framework\TestCase;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Holder;
use SluiceWP\Backend\KeyStatus;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\OperatorView;
use SluiceWP\Backend\Refusal;
use SluiceWP\Capacity\MinuteCounts;
use SluiceWP\Gate\CountedHold;
use SluiceWP\Gate\DeferralDelay;
use SluiceWP\Gate\SlotWait;

/**
 * The deferred copy's timer: never longer than Data Machine's own limiter
 * (base × 2^(attempt - 1), as its AIConcurrencyBackpressure::delaySeconds),
 * always longer than the work's previous deferral (no spinning), the
 * estimate where the store has one; and the estimate itself, which counts a
 * dead holder's slot as taken until its drain ends.
 */
final class DeferralDelayTest extends TestCase
{
    public function testTheTimerNeverWaitsLongerThanDataMachinesBackOff(): void
    {
        // Data Machine's defaults: 10 s, doubling, capped (Sluice's maximum defaults to 300 s).
        $dataMachine = [1 => 10, 2 => 20, 3 => 40, 4 => 80, 5 => 160, 6 => 300, 7 => 300];
        $previous = 0;
        for ($round = 0; $round < 200; $round++) {
            $previous = 0;
            foreach ($dataMachine as $attempt => $ceiling) {
                $delay = DeferralDelay::timer($attempt, 10, 300, null, $previous);
                self::assertLessThanOrEqual($ceiling, $delay, "attempt $attempt");
                self::assertGreaterThanOrEqual((int) ceil(0.75 * $ceiling) - 1, $delay, "attempt $attempt: at most a quarter of jitter off");
                $previous = $delay;
            }
        }
        // Before: the throttle delay doubling plus up to a quarter more: the first two deferrals took up to 12 + 25 s.
        $firstTwo = [];
        for ($round = 0; $round < 200; $round++) {
            $first = DeferralDelay::timer(1, 10, 300, null, 0);
            $firstTwo[] = $first + DeferralDelay::timer(2, 10, 300, null, $first);
        }
        self::assertLessThanOrEqual(30, max($firstTwo), "Data Machine's 10 + 20 s is the most two deferrals wait");
    }

    public function testEachDeferralWaitsLongerThanThePreviousUpToTheMaximum(): void
    {
        self::assertSame(2, DeferralDelay::timer(2, 1, 8, 0.2, 1), 'an estimate below the previous delay still waits a second longer');
        self::assertSame(4, DeferralDelay::timer(3, 1, 8, 30.0, 2), "an estimate above Data Machine's back-off is cut to it");
        self::assertSame(7, DeferralDelay::timer(3, 10, 300, 6.2, 0), 'the estimate, rounded up, where it is below the back-off');
        self::assertSame(8, DeferralDelay::forWait(3.0, 8, 8), 'a ticket\'s timer stays at the maximum');
        self::assertGreaterThanOrEqual(6, DeferralDelay::forWait(3.0, 300, 5), 'and otherwise grows past the previous one');
    }

    public function testATicketsFallbackWaitsPastItsTurnInABusyFairLine(): void
    {
        // The place's estimate: 99 steps ahead, limit 2, a mean hold of 340 ms: the 100th turn after 50 holds.
        self::assertEqualsWithDelta(17.0, DeferralDelay::placeWait(99, 2, 340), 0.001);
        self::assertEqualsWithDelta(0.17, DeferralDelay::placeWait(0, 2, 340), 0.001, 'the next turn: one hold on one of two slots');
        self::assertSame(0.0, DeferralDelay::placeWait(5, 2, 0), 'no mean hold: no estimate');
        self::assertSame(0.0, DeferralDelay::placeWait(5, 0, 340), 'no limit: no estimate');
        // make bench-load (3 flows in line, 8 runners): a flow's step came to its turn 4.5 times its place's estimate
        // later (other flows' later steps took fair turns before it; each turn took its hand-off on top of the hold).
        // A timer before the turn defers the copy again; before, the timer was the estimate plus up to a quarter (17-21 s).
        for ($round = 0; $round < 200; $round++) {
            $delay = DeferralDelay::forWait(DeferralDelay::placeWait(99, 2, 340), 300, 0);
            self::assertGreaterThanOrEqual((int) ceil(4.5 * 17.0), $delay, 'the fallback comes after the turn of a flow among three');
            self::assertLessThanOrEqual((int) ceil(5 * 17.0 * 1.25), $delay, 'five times the estimate, plus at most a quarter of jitter');
        }
        self::assertSame(300, DeferralDelay::forWait(DeferralDelay::placeWait(999, 2, 340), 300, 0), 'never past the maximum');
        $next = DeferralDelay::forWait(DeferralDelay::placeWait(0, 2, 340), 300, 0);
        self::assertGreaterThanOrEqual(1, $next, 'the next turn: a second or two, so an async request runner comes by for the copy');
        self::assertLessThanOrEqual(2, $next);
        self::assertSame(87, DeferralDelay::forWait(1.0, 300, 86), 'still a second longer than the previous deferral');
    }

    public function testTheDatabaseBackendsMeanHoldComesFromItsCapacityCounters(): void
    {
        $counters = new class implements \SluiceWP\Backend\CapacityCounters {
            public function addCounts(array $countsByKey): void
            {
            }
            public function minuteCounts(): array
            {
                return [
                    'site' => [new MinuteCounts(100, completions: 3, holdMs: 1500), new MinuteCounts(101, completions: 1, holdMs: 900)],
                    'provider' => [new MinuteCounts(101, completions: 4, holdMs: 2000)],
                    'idle' => [new MinuteCounts(101, arrivals: 2)],
                ];
            }
        };
        self::assertSame(600, CountedHold::meanMs($counters, ['site']), '2,400 ms over 4 completions');
        self::assertSame(600, CountedHold::meanMs($counters, ['site', 'provider', 'idle']), 'the slowest key of the step\'s keys');
        self::assertSame(0, CountedHold::meanMs($counters, ['idle', 'unknown']), 'nothing completed yet: unknown (the fixed delay)');
        self::assertSame(0, CountedHold::meanMs(new \stdClass(), ['site']), 'a store without counters');
    }

    public function testADeadHoldersDrainingSlotCountsUntilItsDrainEnds(): void
    {
        $key = 'sluice/test/1/site';
        // Limit 1, mean hold 2 s; the holder died with a provider request open for 30 s more.
        $dead = new Holder('t1', 4242, 'a:1', 5000, 60000, true, 30000, 1, false, ownerDead: true);
        $wait = new SlotWait(self::backendWith(new KeyStatus(key: $key, limit: 1, active: 1, peak: 1, acquired: 1, throttled: 0,
            released: 9, reclaimedDead: 0, reclaimedExpired: 0, holders: [$dead], meanHoldMs: 2000)));
        self::assertEqualsWithDelta(30.0, $wait->seconds([$key => 1], 0), 0.001, 'the first waiter gets the slot when the drain ends');
        self::assertEqualsWithDelta(32.0, $wait->seconds([$key => 1], 1), 0.001, 'the second one a mean hold later');
        // A live holder 0.5 s into its hold: 1.5 s left on average.
        $live = new Holder('t2', 4243, 'a:2', 500, 60000, true, 30000, 2);
        $wait = new SlotWait(self::backendWith(new KeyStatus(key: $key, limit: 2, active: 2, peak: 2, acquired: 2, throttled: 0,
            released: 9, reclaimedDead: 0, reclaimedExpired: 0, holders: [$dead, $live], meanHoldMs: 2000)));
        self::assertEqualsWithDelta(1.5, $wait->seconds([$key => 2], 0), 0.001);
        self::assertEqualsWithDelta(3.5, $wait->seconds([$key => 2], 1), 0.001, 'the live slot serves again before the dead one drains');
        self::assertEqualsWithDelta(5.5, $wait->seconds([$key => 2], 2), 0.001);
        self::assertNull((new SlotWait(self::backendWith(new KeyStatus(key: $key, limit: 1, active: 1, peak: 1, acquired: 1, throttled: 0,
            released: 0, reclaimedDead: 0, reclaimedExpired: 0, holders: [$live]))))->seconds([$key => 1], 0), 'no mean hold: no estimate');
    }

    private static function backendWith(KeyStatus $status): Backend
    {
        return new class ($status) implements Backend, OperatorView {
            public function __construct(private readonly KeyStatus $status)
            {
            }
            public function name(): string { return 'fixed'; }
            public function unavailableReason(): ?string { return null; }
            public function tryAcquire(array $limits, int $ttl, string $label): Lease|Refusal { throw new \LogicException('not used'); }
            public function release(Lease $lease): bool { return false; }
            public function renew(Lease $lease, int $ttl): bool { return false; }
            public function requestStarted(Lease $lease, int $maxSeconds, int $renewTtl = 0): bool { return false; }
            public function requestFinished(Lease $lease): bool { return false; }
            public function operatorView(): OperatorView { return $this; }
            public function keys(): array { return [$this->status->key => $this->status]; }
            public function releaseToken(string $token): bool { return false; }
            public function reset(string $key): int { return 0; }
            public function sweep(): int { return 0; }
        };
    }
}
