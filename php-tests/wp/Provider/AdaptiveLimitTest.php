<?php
declare(strict_types=1);

namespace Sluice\WpTests\Provider;

use PHPUnit\Framework\TestCase;
use SluiceWP\Provider\AdaptiveLimit;
use SluiceWP\Provider\ProviderState;
use SluiceWP\Provider\Signal;

/** The adaptive limit's rules (AIMD), as pure arithmetic on a state. */
final class AdaptiveLimitTest extends TestCase
{
    public function testStartsAtTheCeilingAndStaysWithinIt(): void
    {
        $aimd = new AdaptiveLimit();
        self::assertSame(8, $aimd->current(new ProviderState(), 8));
        self::assertSame(3, $aimd->current(new ProviderState(limit: 3), 8));
        self::assertSame(4, $aimd->current(new ProviderState(limit: 7), 4), 'a lowered ceiling caps the stored limit');
        self::assertSame(1, $aimd->current(new ProviderState(), 0), 'never below 1');
    }

    public function testACongestionSignalHalvesTheLimitNeverBelowOne(): void
    {
        $aimd = new AdaptiveLimit(0.5);
        $state = $aimd->afterCongestion(new ProviderState(), 8, Signal::Unavailable, 10_000);
        self::assertSame(4, $state->limit);
        self::assertSame(Signal::Unavailable, $state->signal);
        self::assertSame(10_000, $state->signalMs);
        self::assertSame(10_000, $state->lastDecreaseMs);
        self::assertSame(8, $state->plateau, 'the limit it came down from');
        self::assertSame(2, $aimd->afterCongestion(new ProviderState(limit: 5), 8, Signal::Timeout, 10_000)->limit, '5 x 0.5 rounds down');
        self::assertSame(1, $aimd->afterCongestion(new ProviderState(limit: 1), 8, Signal::Timeout, 10_000)->limit);
        self::assertSame(6, (new AdaptiveLimit(0.75))->afterCongestion(new ProviderState(limit: 8), 8, Signal::Timeout, 10_000)->limit);
    }

    public function testDecreasesAtMostOncePerMeanRequestTime(): void
    {
        $aimd = new AdaptiveLimit(0.5);
        $state = new ProviderState(limit: 8, meanMs: 2_000);
        $state = $aimd->afterCongestion($state, 8, Signal::Unavailable, 100_000);
        $state = $aimd->afterCongestion($state, 8, Signal::Unavailable, 100_500);
        $state = $aimd->afterCongestion($state, 8, Signal::Overloaded, 101_999);
        self::assertSame(4, $state->limit, 'a burst of failures within one mean request time counts once');
        self::assertSame(6, $state->plateau, 'each further refusal of the burst lowers the plateau by one');
        self::assertSame(Signal::Overloaded, $state->signal, 'every signal is recorded');
        self::assertSame(101_999, $state->signalMs);
        $state = $aimd->afterCongestion($state, 8, Signal::Unavailable, 102_000);
        self::assertSame(2, $state->limit, 'a mean request time later it comes down again');
    }

    public function testGrowsByOneAfterARoundOfSuccessesUpToTheCeiling(): void
    {
        $aimd = new AdaptiveLimit();
        $state = new ProviderState(limit: 2);
        $state = $aimd->afterSuccess($state, 4);
        self::assertSame([2, 1], [$state->limit, $state->successes]);
        $state = $aimd->afterSuccess($state, 4);
        self::assertSame([3, 0], [$state->limit, $state->successes], 'two successes at limit 2');
        for ($i = 0; $i < 3; $i++) {
            $state = $aimd->afterSuccess($state, 4);
        }
        self::assertSame(4, $state->limit, 'three successes at limit 3');
        for ($i = 0; $i < 20; $i++) {
            $state = $aimd->afterSuccess($state, 4);
        }
        self::assertSame(4, $state->limit, 'never above the ceiling');
        self::assertSame(0, $state->successes);
    }

    public function testAfterASignalTheLimitClimbsFastToJustBelowThePlateauThenSlowlyOntoIt(): void
    {
        $aimd = new AdaptiveLimit(0.5);
        $state = $aimd->afterCongestion(new ProviderState(limit: 5), 8, Signal::RateLimited, 10_000);
        self::assertSame([2, 5], [$state->limit, $state->plateau]);
        $state = $aimd->afterSuccess($state, 8);
        self::assertSame(3, $state->limit, 'one success grows it below the plateau less one');
        $state = $aimd->afterSuccess($state, 8);
        self::assertSame(4, $state->limit, 'back to just below the plateau in two answers');
        for ($i = 1; $i < 3 * 4; $i++) {
            $state = $aimd->afterSuccess($state, 8);
        }
        self::assertSame([4, 11], [$state->limit, $state->successes], 'three rounds of 4 before it steps onto the plateau');
        $state = $aimd->afterSuccess($state, 8);
        self::assertSame([5, 0], [$state->limit, $state->successes]);
        for ($i = 0; $i < 4; $i++) {
            $state = $aimd->afterSuccess($state, 8);
        }
        self::assertSame(5, $state->limit, 'on the plateau a round per step again');
        $state = $aimd->afterSuccess($state, 8);
        self::assertSame(6, $state->limit);
    }

    public function testARefusedBurstLowersThePlateauNoFurtherThanJustAboveTheLimit(): void
    {
        $aimd = new AdaptiveLimit(0.5);
        $state = new ProviderState(limit: 8, meanMs: 2_000);
        for ($i = 0; $i < 6; $i++) {
            $state = $aimd->afterCongestion($state, 8, Signal::RateLimited, 100_000 + $i);
        }
        self::assertSame([4, 5], [$state->limit, $state->plateau], 'six refusals of one burst: the plateau stops at the limit plus one');
        self::assertSame(12, $aimd->successesToGrow($state, 4), 'the next step is the slow one onto the plateau');
    }

    public function testThePlateausPaceFollowsIncreaseAfterAndTheCeiling(): void
    {
        $aimd = new AdaptiveLimit(0.5, 2);
        $state = new ProviderState(limit: 3, plateau: 4);
        self::assertSame(6, $aimd->successesToGrow($state, 3), 'three rounds of increaseAfter');
        self::assertSame(1, $aimd->successesToGrow($state, 2));
        self::assertSame(2, $aimd->successesToGrow($state, 4));
        self::assertSame(2, $aimd->successesToGrow(new ProviderState(limit: 3), 3), 'no plateau yet: plain AIMD');
        $low = new ProviderState(limit: 2, plateau: 8);
        for ($i = 0; $i < 10; $i++) {
            $low = $aimd->afterSuccess($low, 4);
        }
        self::assertSame(4, $low->limit, 'a lowered ceiling still caps the fast climb');
    }

    public function testIncreaseAfterSetsTheRoundLength(): void
    {
        $aimd = new AdaptiveLimit(0.5, 1);
        $state = new ProviderState(limit: 2);
        $state = $aimd->afterSuccess($aimd->afterSuccess($state, 8), 8);
        self::assertSame(4, $state->limit);
    }

    public function testAnAnswerWellAboveTheBaselineIsSlow(): void
    {
        $aimd = new AdaptiveLimit(0.5, 0, 2.0);
        $state = new ProviderState(baselineMs: 2_000);
        self::assertTrue($aimd->isSlow($state, 4_100));
        self::assertFalse($aimd->isSlow($state, 3_900));
        self::assertFalse($aimd->isSlow(new ProviderState(baselineMs: 100), 900), 'fast calls need a second more than their baseline');
        self::assertTrue($aimd->isSlow(new ProviderState(baselineMs: 100), 1_200));
        self::assertFalse($aimd->isSlow(new ProviderState(), 60_000), 'no baseline yet: nothing is slow');
    }

    public function testTheMeansFollowTheRequests(): void
    {
        $aimd = new AdaptiveLimit();
        $state = $aimd->observe(new ProviderState(), 2_000, true, false);
        self::assertSame([2_000, 2_000], [$state->baselineMs, $state->meanMs], 'the first sample is the mean');
        $state = $aimd->observe($state, 3_000, true, false);
        self::assertSame(2_200, $state->baselineMs);
        self::assertSame(2_250, $state->meanMs);
        $failed = $aimd->observe($state, 30_000, false, false);
        self::assertSame(2_200, $failed->baselineMs, 'a failure says nothing about the answer time');
        self::assertGreaterThan(2_250, $failed->meanMs, 'but it held the slot');
        $slow = $aimd->observe($state, 12_200, true, true);
        self::assertSame(2_700, $slow->baselineMs, 'a slow answer moves the baseline by 1/20 only');
    }

    public function testARecoveredProviderStartsFromHalfItsLimitBeforeTheOutage(): void
    {
        $aimd = new AdaptiveLimit();
        $state = $aimd->afterRecovery(new ProviderState(limit: 1, limitBeforeOpen: 6, successes: 3), 8, 50_000);
        self::assertSame([3, 0, 50_000, 6], [$state->limit, $state->successes, $state->lastDecreaseMs, $state->plateau]);
        self::assertSame(1, $aimd->afterRecovery(new ProviderState(limitBeforeOpen: 1), 8, 1)->limit);
    }
}
