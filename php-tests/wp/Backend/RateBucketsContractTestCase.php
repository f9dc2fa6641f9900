<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\Runner;
use Sluice\Tests\Support\SluiceTestCase;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\BucketWord;
use SluiceWP\Backend\BudgetStatus;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\RateBuckets;
use SluiceWP\Backend\Refusal;
use SluiceWP\Backend\WaitingLine;

/**
 * What every store that keeps token buckets (Backend\RateBuckets) must do,
 * with the same rules everywhere (the extension's rate_bucket.hpp): one
 * contract, one subclass per store, as the backend contract. Time is the
 * store's own clock; the tests wait for refills of tenths of a second.
 */
abstract class RateBucketsContractTestCase extends SluiceTestCase
{
    abstract protected function backend(): Backend&RateBuckets&WaitingLine;

    /** PHP code that leaves the same kind of store in $backend, for child processes. */
    abstract protected function childBackendCode(): string;

    /** @return array{rate: float, burst: float, tokens: float} */
    private static function take(float $rate, float $burst, float $tokens = 1.0): array
    {
        return ['rate' => $rate, 'burst' => $burst, 'tokens' => $tokens];
    }

    private function budget(string $key): BudgetStatus
    {
        $budgets = $this->backend()->budgets();
        self::assertArrayHasKey($key, $budgets, 'the bucket is among the budgets');
        return $budgets[$key];
    }

    private static function lease(mixed $result): Lease
    {
        self::assertInstanceOf(Lease::class, $result);
        return $result;
    }

    private function active(string $key): int
    {
        return $this->backend()->operatorView()->keys()[$key]->active ?? 0;
    }

    public function testSlotsAndTokensAreTakenTogetherOrNotAtAll(): void
    {
        $b = $this->backend();
        [$slot, $rpm, $other] = [self::key('slot'), self::key('rpm'), self::key('other')];
        $perHour = [$rpm => self::take(1 / 3600, 2.0)]; // no refill within the test
        $first = $b->tryAcquireTaking([$slot => 1], 60, 'first', null, $perHour);
        self::assertInstanceOf(Lease::class, $first);
        self::assertEqualsWithDelta(1.0, $this->budget($rpm)->level, 0.01, 'one token taken with the slot');

        $full = $b->tryAcquireTaking([$slot => 1], 60, 'key full', null, $perHour);
        self::assertInstanceOf(Refusal::class, $full);
        self::assertSame([Refusal::CONCURRENCY, $slot], [$full->reason, $full->key]);
        self::assertEqualsWithDelta(1.0, $this->budget($rpm)->level, 0.01, 'a full key takes no tokens');

        self::assertTrue($b->release($first));
        $second = $b->tryAcquireTaking([$slot => 1], 60, 'second', null, $perHour);
        self::assertInstanceOf(Lease::class, $second);
        self::assertTrue($b->release($second));
        self::assertEqualsWithDelta(0.0, $this->budget($rpm)->level, 0.01);

        // Another bucket with tokens beside the empty one: the refusal takes neither its tokens nor the slot.
        $theOther = [$other => self::take(1 / 3600, 5.0)];
        $b->release(self::lease($b->tryAcquireTaking([self::key('elsewhere') => 1], 60, 'other', null, $theOther)));
        $refused = $b->tryAcquireTaking([$slot => 1], 60, 'empty', null, $perHour + $theOther);
        self::assertInstanceOf(Refusal::class, $refused);
        self::assertSame([Refusal::RATE_BUDGET, $rpm], [$refused->reason, $refused->key]);
        self::assertGreaterThan(3_500_000, $refused->retryAfterMs, 'a token an hour: back in about an hour');
        self::assertLessThanOrEqual(3_600_000, $refused->retryAfterMs);
        self::assertSame(0, $this->active($slot), 'a refused bucket takes no slot');
        self::assertEqualsWithDelta(4.0, $this->budget($other)->level, 0.01, 'nor the other bucket\'s tokens');
        self::assertSame(1, $this->budget($rpm)->refusals);
        self::assertSame(2, $this->budget($rpm)->takes);
        self::assertSame([round(60 / 3600 + 2, 2), 'set'], [$this->budget($rpm)->perMinute, $this->budget($rpm)->source]);
    }

    public function testABucketRefillsAtItsRateOnTheStoresClock(): void
    {
        $b = $this->backend();
        [$slot, $qps] = [self::key('slot'), self::key('qps')];
        $tenASecond = [$qps => self::take(10.0, 2.0)];
        for ($i = 0; $i < 2; $i++) {
            $lease = $b->tryAcquireTaking([$slot => 5], 60, "burst {$i}", null, $tenASecond);
            self::assertInstanceOf(Lease::class, $lease, 'the burst is there at once');
            $b->release($lease);
        }
        $refused = $b->tryAcquireTaking([$slot => 5], 60, 'third', null, $tenASecond);
        self::assertInstanceOf(Refusal::class, $refused);
        self::assertSame(Refusal::RATE_BUDGET, $refused->reason);
        self::assertGreaterThan(0, $refused->retryAfterMs);
        self::assertLessThanOrEqual(100, $refused->retryAfterMs, 'one token at 10 a second: within 100 ms');
        self::assertSame(100, $refused->refillMsPerStep);
        usleep(($refused->retryAfterMs + 15) * 1000);
        $lease = $b->tryAcquireTaking([$slot => 5], 60, 'refilled', null, $tenASecond);
        self::assertInstanceOf(Lease::class, $lease, 'refilled after the time it named');
        $b->release($lease);
        $level = $this->budget($qps)->level;
        self::assertGreaterThanOrEqual(0.0, $level);
        self::assertLessThan(1.0, $level, 'the take used the refilled token (what refilled since, at 10 a second, on a busy machine)');
        usleep(300_000);
        self::assertEqualsWithDelta(2.0, $this->budget($qps)->level, 0.01, 'never more than the burst');
    }

    public function testTheProvidersPauseHoldsBackEveryTakeUntilItEnds(): void
    {
        $b = $this->backend();
        [$slot, $tpm, $none] = [self::key('slot'), self::key('tpm'), self::key('no-budget')];
        $b->observeBucket($tpm, new BucketWord(pauseMs: 400));
        $b->observeBucket($none, new BucketWord(pauseMs: 400));
        foreach ([$tpm => self::take(1000.0, 1000.0), $none => self::take(0.0, 0.0)] as $key => $take) {
            $refused = $b->tryAcquireTaking([$slot => 5], 60, 'paused', null, [$key => $take]);
            self::assertInstanceOf(Refusal::class, $refused, "{$key}: a full bucket, or none, is held back by the pause");
            self::assertSame([Refusal::RATE_BUDGET, $key], [$refused->reason, $refused->key]);
            self::assertGreaterThan(200, $refused->retryAfterMs);
            self::assertLessThanOrEqual(410, $refused->retryAfterMs, 'the pause (the extension stamps an acquire with its coarse clock: a tick behind)');
        }
        self::assertGreaterThan(0, $this->budget($none)->pausedUntil);
        self::assertSame(0, $this->active($slot));
        usleep(450_000);
        $lease = $b->tryAcquireTaking([$slot => 5], 60, 'after', null, [$tpm => self::take(1000.0, 1000.0), $none => self::take(0.0, 0.0)]);
        self::assertInstanceOf(Lease::class, $lease, 'the pause is over');
        $b->release($lease);
        self::assertSame(0, $this->budget($tpm)->pausedUntil);
    }

    public function testAnAnswerThatUsedMoreLeavesADebtAndARefundNeverFillsAboveTheBurst(): void
    {
        $b = $this->backend();
        [$slot, $tpm] = [self::key('slot'), self::key('tpm')];
        $budget = self::take(1.0, 2.0);
        $lease = $b->tryAcquireTaking([$slot => 5], 60, 'one', null, [$tpm => $budget]);
        self::assertInstanceOf(Lease::class, $lease);
        $b->release($lease);
        $b->adjustBucket($tpm, -5.0); // the answer used 5 more tokens than were taken
        self::assertEqualsWithDelta(-4.0, $this->budget($tpm)->level, 0.1, '2 - 1 - 5: a debt');
        $refused = $b->tryAcquireTaking([$slot => 5], 60, 'in debt', null, [$tpm => $budget]);
        self::assertInstanceOf(Refusal::class, $refused);
        self::assertGreaterThan(4_800, $refused->retryAfterMs, 'back to one token at 1 a second: 5 s');
        self::assertLessThanOrEqual(5_000, $refused->retryAfterMs);
        $b->adjustBucket($tpm, 100.0); // a refund
        self::assertEqualsWithDelta(2.0, $this->budget($tpm)->level, 0.01, 'a refund fills up to the burst, no more');

        // A take above the burst waits for a full bucket, then leaves a debt behind.
        $big = $b->tryAcquireTaking([$slot => 5], 60, 'big', null, [$tpm => self::take(1.0, 2.0, 6.0)]);
        self::assertInstanceOf(Lease::class, $big);
        $b->release($big);
        self::assertEqualsWithDelta(-4.0, $this->budget($tpm)->level, 0.1);
    }

    public function testABudgetTheProviderAnnouncedIsUsedByTakesWithoutOne(): void
    {
        $b = $this->backend();
        [$slot, $rpm] = [self::key('slot'), self::key('rpm')];
        $none = [$rpm => self::take(0.0, 0.0)];
        for ($i = 0; $i < 3; $i++) {
            $lease = $b->tryAcquireTaking([$slot => 5], 60, "unbudgeted {$i}", null, $none);
            self::assertInstanceOf(Lease::class, $lease, 'no budget set or learned: only slots count');
            $b->release($lease);
        }
        $b->observeBucket($rpm, new BucketWord(learnedRate: 1 / 3600, learnedBurst: 2.0));
        self::assertSame([round(60 / 3600 + 2, 2), 'provider'], [$this->budget($rpm)->perMinute, $this->budget($rpm)->source]);
        $granted = 0;
        for ($i = 0; $i < 4; $i++) {
            $lease = $b->tryAcquireTaking([$slot => 5], 60, "learned {$i}", null, $none);
            if ($lease instanceof Lease) {
                $granted++;
                $b->release($lease);
            } else {
                self::assertSame(Refusal::RATE_BUDGET, $lease->reason);
            }
        }
        self::assertSame(2, $granted, 'the learned burst of 2, then an hour per token');

        // The provider says fewer are left than the bucket holds: its word wins.
        $set = self::key('set');
        $b->release(self::lease($b->tryAcquireTaking([$slot => 5], 60, 'sets the budget', null, [$set => self::take(1.0, 10.0)])));
        $b->observeBucket($set, new BucketWord(atMost: 0.0));
        $refused = $b->tryAcquireTaking([$slot => 5], 60, 'none left', null, [$set => self::take(1.0, 10.0)]);
        self::assertInstanceOf(Refusal::class, $refused);
        self::assertSame([Refusal::RATE_BUDGET, $set], [$refused->reason, $refused->key]);
        self::assertLessThanOrEqual(1_000, $refused->retryAfterMs, 'one token at 1 a second');
    }

    public function testAReservationWhoseBudgetIsShortGoesBackAtOnce(): void
    {
        $b = $this->backend();
        [$slot, $rpm] = [self::key('slot'), self::key('rpm')];
        $ref = random_int(100_000, 900_000);
        $holder = $b->tryAcquire([$slot => 1], 60, 'holder');
        self::assertInstanceOf(Lease::class, $holder);
        $b->enqueue([$slot => 1], $ref, 'default', 1, 0);
        $empty = [$rpm => self::take(1 / 3600, 1.0)];
        $spend = $b->tryAcquireTaking([self::key('elsewhere') => 1], 60, 'spends the budget', null, $empty);
        self::assertInstanceOf(Lease::class, $spend);
        self::assertTrue($b->release($holder)); // the slot is reserved for the ticket of $ref
        self::assertSame(1, $b->operatorView()->keys()[$slot]->reserved);
        $refused = $b->tryAcquireTaking([$slot => 1], 60, 'woken', $ref, $empty);
        self::assertInstanceOf(Refusal::class, $refused);
        self::assertSame(Refusal::RATE_BUDGET, $refused->reason);
        $status = $b->operatorView()->keys()[$slot];
        self::assertSame([0, 0], [$status->active, $status->reserved], 'the reservation went back at once, not at its expiry');
        $other = $b->tryAcquire([$slot => 1], 60, 'someone else');
        self::assertInstanceOf(Lease::class, $other, 'the slot is free for others');
        $b->release($other);
        $b->release($spend);
    }

    public function testATicketHeldForItsBudgetIsHandedNoFreeSlot(): void
    {
        $b = $this->backend();
        $slot = self::key('slot');
        $ref = random_int(100_000, 900_000);
        $holder = $b->tryAcquire([$slot => 1], 60, 'holder');
        self::assertInstanceOf(Lease::class, $holder);
        $ticket = $b->enqueueHeld([$slot => 1], $ref, 'default', 1, 0);
        self::assertTrue($ticket->isNew);
        self::assertTrue($b->release($holder));
        self::assertSame(0, $b->operatorView()->keys()[$slot]->reserved, 'nothing reserved for a ticket held for its budget');
        $b->cancelTicket($ticket->token);
    }

    /** Separate processes, each with its own connection to the store, ask at one instant: exactly the burst gets a token. */
    public function testProcessesRacingForTheLastTokensGetExactlyTheBurst(): void
    {
        $racers = 6;
        $rounds = 3;
        $keys = [];
        for ($round = 0; $round < $rounds; $round++) {
            $keys[] = self::key("race{$round}");
        }
        $startAt = microtime(true) + 3.0;
        $children = [];
        for ($i = 0; $i < $racers; $i++) {
            $children[] = Runner::php($this->childBackendCode() . '
                $won = [];
                foreach ($keys as $round => $key) {
                    $wait = $startAt + $round * 0.2 - microtime(true);
                    if ($wait > 0) {
                        usleep((int) ($wait * 1e6));
                    }
                    $r = $backend->tryAcquireTaking([$key . ":slots" => 50], 60, "racer", null, [$key => ["rate" => 1 / 3600, "burst" => 2.0, "tokens" => 1.0]]);
                    if ($r instanceof SluiceWP\Backend\Lease) {
                        $won[] = $round;
                        $backend->release($r);
                    } elseif ($r->reason !== "rate_budget") {
                        exit("refused for " . $r->reason . "\n");
                    }
                }
                echo json_encode($won), "\n";', ['keys' => $keys, 'startAt' => $startAt]);
        }
        $wins = array_fill(0, $rounds, 0);
        foreach ($children as $child) {
            self::assertSame(0, $child->wait(60.0), $child->output());
            $lines = array_values(array_filter(explode("\n", $child->output()), static fn (string $l): bool => str_starts_with($l, '[')));
            self::assertCount(1, $lines, $child->output());
            foreach (json_decode($lines[0], true) as $round) {
                $wins[$round]++;
            }
        }
        self::assertSame(array_fill(0, $rounds, 2), $wins, "{$racers} processes, a burst of 2, each round: exactly 2 got a token");
        foreach ($keys as $key) {
            self::assertSame([2, $racers - 2], [$this->budget($key)->takes, $this->budget($key)->refusals]);
        }
    }
}
