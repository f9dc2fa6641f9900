<?php
declare(strict_types=1);

namespace Sluice\WpTests\Capacity;

use PHPUnit\Framework\TestCase;
use SluiceWP\Capacity\CapacityModel;
use SluiceWP\Capacity\ErlangC;
use SluiceWP\Capacity\KeyCapacity;
use SluiceWP\Capacity\MinuteCounts;

/** The capacity view's arithmetic on hand-made minutes, each expected number worked out by hand in the comments. */
final class CapacityModelTest extends TestCase
{
    private const M = 29_000_000; // a unix minute
    private const DELTA = 1e-6;

    /** Two minutes of steps holding 2 s each, 30 s into the current minute, limit 2, 3 steps waiting. */
    public function testOneMinuteWindowOfSteadyWork(): void
    {
        $minutes = [
            // the minute before: counted half (30 of its 60 s are inside the window)
            new MinuteCounts(self::M - 1, arrivals: 12, admissions: 12, completions: 12, holdMs: 24_000, holdMsSquared: 48_000_000, waitMs: 2_400, providerRequests: 18),
            new MinuteCounts(self::M, arrivals: 6, admissions: 6, completions: 6, holdMs: 12_000, holdMsSquared: 24_000_000, waitMs: 600, providerRequests: 6),
            new MinuteCounts(self::M - 2, arrivals: 500, admissions: 500), // outside the window
        ];
        $k = (new CapacityModel())->keyCapacity('k', $minutes, 1, 2, 3, self::M * 60.0 + 30.0);
        self::assertSame(['k', 1, 2, 3], [$k->key, $k->windowMin, $k->limit, $k->lineLength]);
        self::assertEqualsWithDelta(0.2, $k->arrivalRate, self::DELTA, '(6 + 12 / 2) arrivals / 60 s');
        self::assertEqualsWithDelta(0.2, $k->completionRate, self::DELTA);
        self::assertEqualsWithDelta(2.0, $k->holdMeanS, self::DELTA, '(12,000 + 24,000 / 2) ms / 12 completions');
        self::assertEqualsWithDelta(0.0, $k->holdCv, self::DELTA, 'every hold 2 s');
        self::assertEqualsWithDelta(0.2, $k->rho, self::DELTA, '0.2 / (2 / 2 s)');
        self::assertEqualsWithDelta(15.0, $k->waitLittleS, self::DELTA, '3 waiting / 0.2 per s');
        // Erlang C(2, a = 0.4) = 2 rho^2 / (1 + rho) = 0.08 / 1.2; M/M/2 wait = C / (1 - 0.2); x (1 + 0) / 2
        self::assertEqualsWithDelta(0.08 / 1.2 / 0.8 / 2, $k->waitMgcS, self::DELTA);
        self::assertEqualsWithDelta(0.15, $k->waitMeasuredS, self::DELTA, '(600 + 2,400 / 2) ms / 12 admissions');
        self::assertEqualsWithDelta(0.6, $k->headroomPerS, self::DELTA, '0.8 x 1 per s - 0.2');
        self::assertEqualsWithDelta(3.75, $k->drainS, self::DELTA, '3 / (1 - 0.2)');
        self::assertEqualsWithDelta(1.25, $k->retryAmplification, self::DELTA, '(6 + 18 / 2) requests / 12 steps');

        $at1 = (new CapacityModel())->atLimit($k, 1);
        self::assertSame(1, $at1->limit);
        self::assertEqualsWithDelta(0.4, $at1->rho, self::DELTA, '0.2 / (1 / 2 s)');
        self::assertEqualsWithDelta(0.4 / 0.3 / 2, $at1->waitMgcS, self::DELTA, 'C(1, 0.4) = 0.4; / (0.5 - 0.2); x 1/2');
        self::assertEqualsWithDelta(0.2, $at1->headroomPerS, self::DELTA, '0.8 x 0.5 - 0.2');
        self::assertEqualsWithDelta(10.0, $at1->drainS, self::DELTA, '3 / (0.5 - 0.2)');
        self::assertSame([$k->arrivalRate, $k->waitLittleS, $k->waitMeasuredS, $k->retryAmplification],
            [$at1->arrivalRate, $at1->waitLittleS, $at1->waitMeasuredS, $at1->retryAmplification], 'the measured numbers stay');
    }

    public function testTheHoldTimesVariationComesFromTheSumOfSquares(): void
    {
        // holds of 1 s and 3 s: mean 2 s, E[x^2] = 5 s^2, variance 1 s^2, cv 0.5
        $k = (new CapacityModel())->keyCapacity('k', [new MinuteCounts(self::M, arrivals: 2, admissions: 2, completions: 2, holdMs: 4_000, holdMsSquared: 10_000_000)], 1, 4, 0, self::M * 60.0 + 10.0);
        self::assertEqualsWithDelta(2.0, $k->holdMeanS, self::DELTA);
        self::assertEqualsWithDelta(0.5, $k->holdCv, self::DELTA);
        // lambda 2 / 60; c mu = 2 per s; the Allen-Cunneen factor (1 + 0.25) / 2
        $lambda = 2 / 60;
        $rho = $lambda / 2;
        $waiting = ErlangC::probabilityOfWaiting(4, $lambda * 2);
        self::assertEqualsWithDelta($waiting / (2 - $lambda) * 0.625, $k->waitMgcS, self::DELTA);
        self::assertEqualsWithDelta($rho, $k->rho, self::DELTA);
    }

    public function testTheFifteenMinuteWindowCountsThePartOfItsOldestMinuteStillInside(): void
    {
        $minutes = [
            new MinuteCounts(self::M - 16, arrivals: 1_000),
            new MinuteCounts(self::M - 15, arrivals: 60, completions: 60, holdMs: 60_000, holdMsSquared: 60_000_000),
            new MinuteCounts(self::M - 3, arrivals: 30),
        ];
        $k = (new CapacityModel())->keyCapacity('k', $minutes, 15, 1, 0, self::M * 60.0 + 45.0);
        self::assertEqualsWithDelta((60 * 0.25 + 30) / 900, $k->arrivalRate, self::DELTA, '45 s into the minute: a quarter of minute M-15 is inside');
        self::assertEqualsWithDelta(1.0, $k->holdMeanS, self::DELTA);
        self::assertEqualsWithDelta(15 / 900, $k->completionRate, self::DELTA);
    }

    public function testNoArrivalsAndNoCompletions(): void
    {
        $k = (new CapacityModel())->keyCapacity('k', [], 5, 3, 0, self::M * 60.0);
        self::assertSame(0.0, $k->arrivalRate);
        self::assertSame(0.0, $k->completionRate);
        self::assertNull($k->holdMeanS, 'no step finished: no hold time');
        self::assertNull($k->holdCv);
        self::assertNull($k->rho);
        self::assertNull($k->waitMgcS);
        self::assertNull($k->headroomPerS);
        self::assertNull($k->waitMeasuredS);
        self::assertNull($k->retryAmplification);
        self::assertSame(0.0, $k->waitLittleS, 'no line: no wait');
        self::assertSame(0.0, $k->drainS);
        $arrays = $k->toArray();
        self::assertSame(KeyCapacity::FIELDS, array_keys($arrays));
    }

    public function testAQuietWindowTakesItsHoldTimeFromEveryMinuteKept(): void
    {
        // nothing in the last 5 minutes; 10 minutes ago 4 steps held 3 s each
        $minutes = [new MinuteCounts(self::M - 10, arrivals: 4, admissions: 4, completions: 4, holdMs: 12_000, holdMsSquared: 36_000_000)];
        $k = (new CapacityModel())->keyCapacity('k', $minutes, 5, 3, 2, self::M * 60.0 + 5.0);
        self::assertEqualsWithDelta(3.0, $k->holdMeanS, self::DELTA);
        self::assertSame(0.0, $k->rho);
        self::assertSame(0.0, $k->waitMgcS, 'no arrivals: nobody waits');
        self::assertEqualsWithDelta(0.8, $k->headroomPerS, self::DELTA, '0.8 x 3 / 3 s');
        self::assertNull($k->waitLittleS, '2 waiting and no arrivals: Little\'s law says nothing');
        self::assertEqualsWithDelta(2.0, $k->drainS, self::DELTA, '2 / (1 per s - 0)');
        self::assertNull($k->retryAmplification, 'no step finished in the window');
    }

    public function testOverloadLeavesTheWaitAndTheDrainUnbounded(): void
    {
        // 0 s into minute M: the whole of M-1 is the window; 60 arrivals, 2 s holds, limit 1: rho = 1 x 2 / 1 = 2
        $minutes = [new MinuteCounts(self::M - 1, arrivals: 60, admissions: 30, completions: 30, holdMs: 60_000, holdMsSquared: 120_000_000, waitMs: 300_000)];
        $k = (new CapacityModel())->keyCapacity('k', $minutes, 1, 1, 5, self::M * 60.0);
        self::assertEqualsWithDelta(1.0, $k->arrivalRate, self::DELTA);
        self::assertEqualsWithDelta(2.0, $k->rho, self::DELTA);
        self::assertNull($k->waitMgcS, 'rho >= 1: the line grows without end');
        self::assertNull($k->drainS, 'it never drains');
        self::assertEqualsWithDelta(-0.6, $k->headroomPerS, self::DELTA, '0.8 x 0.5 - 1: that much too much');
        self::assertEqualsWithDelta(5.0, $k->waitLittleS, self::DELTA);
        self::assertEqualsWithDelta(10.0, $k->waitMeasuredS, self::DELTA);
        $exactlyOne = (new CapacityModel())->atLimit($k, 2);
        self::assertEqualsWithDelta(1.0, $exactlyOne->rho, self::DELTA);
        self::assertNull($exactlyOne->waitMgcS, 'rho = 1 exactly: unbounded too');
        $enough = (new CapacityModel())->atLimit($k, 4);
        self::assertEqualsWithDelta(0.5, $enough->rho, self::DELTA);
        self::assertEqualsWithDelta(5.0, $enough->drainS, self::DELTA, '5 / (2 - 1)');
        self::assertGreaterThan(0.0, $enough->waitMgcS);
    }

    public function testLimitZeroMeansNoCapacityToComputeFrom(): void
    {
        $minutes = [new MinuteCounts(self::M, arrivals: 6, admissions: 6, completions: 6, holdMs: 6_000, holdMsSquared: 6_000_000)];
        $k = (new CapacityModel())->keyCapacity('k', $minutes, 1, 0, 2, self::M * 60.0 + 30.0);
        self::assertSame(0, $k->limit);
        self::assertNull($k->rho);
        self::assertNull($k->waitMgcS);
        self::assertNull($k->headroomPerS);
        self::assertNull($k->drainS);
        self::assertEqualsWithDelta(20.0, $k->waitLittleS, 1e-3, '2 / 0.1 per s');
    }

    public function testAMinuteFromAheadOfTheClockIsLeftOut(): void
    {
        $k = (new CapacityModel())->keyCapacity('k', [new MinuteCounts(self::M + 1, arrivals: 600)], 1, 1, 0, self::M * 60.0 + 1.0);
        self::assertSame(0.0, $k->arrivalRate);
    }

    public function testErlangCIsStableForManyServers(): void
    {
        self::assertEqualsWithDelta(0.7, ErlangC::probabilityOfWaiting(1, 0.7), self::DELTA, 'M/M/1: C = rho');
        self::assertEqualsWithDelta(2 * 0.81 / 1.9, ErlangC::probabilityOfWaiting(2, 1.8), self::DELTA, 'c = 2: 2 rho^2 / (1 + rho)');
        // c = 1,000 at rho 0.999: a^c and c! overflow a float; the recursion does not
        $c = ErlangC::probabilityOfWaiting(1_000, 999.0);
        self::assertTrue(is_finite($c) && $c > 0.9 && $c < 1.0, (string) $c);
        self::assertLessThan(1e-6, ErlangC::probabilityOfWaiting(1_000, 500.0), 'half loaded, a thousand servers: almost nobody waits');
        self::assertSame(1.0, ErlangC::probabilityOfWaiting(3, 3.0));
        self::assertSame(0.0, ErlangC::probabilityOfWaiting(3, 0.0));
        $this->expectException(\InvalidArgumentException::class);
        ErlangC::probabilityOfWaiting(0, 1.0);
    }
}
