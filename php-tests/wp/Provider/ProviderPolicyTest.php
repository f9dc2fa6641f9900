<?php
declare(strict_types=1);

namespace Sluice\WpTests\Provider;

use PHPUnit\Framework\TestCase;
use SluiceWP\Provider\AdaptiveLimit;
use SluiceWP\Provider\CircuitBreaker;
use SluiceWP\Provider\CircuitPhase;
use SluiceWP\Provider\ProviderPolicy;
use SluiceWP\Provider\ProviderState;
use SluiceWP\Provider\Signal;

/** Both rules together: what a response changes and what an AI step may do. */
final class ProviderPolicyTest extends TestCase
{
    private static function policy(bool $adaptive = true, bool $breaker = true, int $failures = 5): ProviderPolicy
    {
        return new ProviderPolicy(new AdaptiveLimit(0.5), new CircuitBreaker($failures, 30_000, 600_000), $adaptive, $breaker);
    }

    public function testAdmissionFollowsTheBreakersPhase(): void
    {
        $policy = self::policy();
        $closed = $policy->admission(new ProviderState(limit: 3), 8, 0);
        self::assertSame([CircuitPhase::Closed, 3, true], [$closed->phase, $closed->limit, $closed->callsAllowed()]);
        $open = new ProviderState(limit: 3, circuit: ProviderState::OPEN, openedMs: 1_000, nextProbeMs: 31_000);
        $during = $policy->admission($open, 8, 30_999);
        self::assertSame([CircuitPhase::Open, 0, 31_000, false], [$during->phase, $during->limit, $during->nextProbeMs, $during->callsAllowed()]);
        $after = $policy->admission($open, 8, 31_000);
        self::assertSame([CircuitPhase::HalfOpen, 1, true], [$after->phase, $after->limit, $after->callsAllowed()], 'one probe at a time');
        self::assertSame(8, self::policy(adaptive: false)->admission(new ProviderState(limit: 3), 8, 0)->limit, 'adaptive off: the ceiling');
        self::assertSame(CircuitPhase::Closed, self::policy(breaker: false)->admission($open, 8, 0)->phase, 'breaker off: never open');
    }

    public function testA429LowersTheLimitButIsNoFailure(): void
    {
        $policy = self::policy(failures: 1);
        $state = $policy->afterResponse(new ProviderState(limit: 6), 8, Signal::RateLimited, 0, 50, 1_000);
        self::assertSame(3, $state->limit);
        self::assertFalse($state->isOpen());
        self::assertSame(0, $state->failures);
        self::assertSame(Signal::RateLimited, $state->signal);
    }

    public function testFiveFailuresOpenItAndTheProbesAnswerClosesItAtHalfTheLimit(): void
    {
        $policy = self::policy();
        $state = new ProviderState(limit: 6, meanMs: 100_000);
        for ($i = 0; $i < 5; $i++) {
            $state = $policy->afterResponse($state, 8, Signal::Transport, 1_000 + $i, 5, 1_005 + $i);
        }
        self::assertTrue($state->isOpen());
        self::assertSame(3, $state->limitBeforeOpen, 'the first failure halved the limit (the guard held the rest back)');
        self::assertSame(Signal::Transport, $state->circuitReason);
        // A request that was in flight when it opened fails late: nothing changes.
        $late = $policy->afterResponse($state, 8, Signal::Timeout, 900, 20_000, 20_900);
        self::assertSame($state->nextProbeMs, $late->nextProbeMs);
        self::assertSame($state->cooldowns, $late->cooldowns);
        // The probe, sent after the cool-down, is answered.
        $probeAt = $state->nextProbeMs;
        $closed = $policy->afterResponse($late, 8, Signal::Success, $probeAt, 2_000, $probeAt + 2_000);
        self::assertFalse($closed->isOpen());
        self::assertSame(1, $closed->limit, 'half of the 3 it had before the outage');
        self::assertSame(CircuitPhase::Closed, $policy->admission($closed, 8, $probeAt + 2_001)->phase);
    }

    public function testAFailedProbeReopensForTwiceTheCooldown(): void
    {
        $policy = self::policy(failures: 1);
        $state = $policy->afterResponse(new ProviderState(), 8, Signal::Unavailable, 0, 10, 10);
        self::assertSame(30_010, $state->nextProbeMs);
        $state = $policy->afterResponse($state, 8, Signal::Transport, 30_010, 5, 30_015);
        self::assertTrue($state->isOpen());
        self::assertSame(60_000, $state->cooldownMs);
        self::assertSame(90_015, $state->nextProbeMs);
        self::assertSame([1, 2], [$state->opens, $state->cooldowns]);
    }

    public function testASlowAnswerIsACongestionSignalButKeepsTheBreakerClosed(): void
    {
        $policy = self::policy(failures: 1);
        $state = $policy->afterResponse(new ProviderState(limit: 8, baselineMs: 2_000, failures: 0), 8, Signal::Success, 0, 9_000, 9_000);
        self::assertSame(4, $state->limit);
        self::assertSame(Signal::Slow, $state->signal);
        self::assertFalse($state->isOpen());
    }

    public function testWithoutTheBreakerFailuresOnlyLowerTheLimit(): void
    {
        $policy = self::policy(breaker: false, failures: 1);
        $state = new ProviderState(limit: 8);
        for ($i = 0; $i < 10; $i++) {
            $state = $policy->afterResponse($state, 8, Signal::Transport, $i * 10_000, 5, $i * 10_000 + 5);
        }
        self::assertFalse($state->isOpen());
        self::assertSame(1, $state->limit);
    }

    public function testWithoutTheAdaptiveLimitTheCeilingHoldsAndSignalsAreStillRecorded(): void
    {
        $policy = self::policy(adaptive: false);
        $state = $policy->afterResponse(new ProviderState(), 8, Signal::Overloaded, 0, 5, 5);
        self::assertSame(8, $policy->limitInForce($state, 8));
        self::assertSame(Signal::Overloaded, $state->signal);
        self::assertSame(1, $state->failures);
    }

    public function testSuccessesGrowTheLimitBackToTheCeilingWhileItBinds(): void
    {
        $policy = self::policy();
        $state = new ProviderState(limit: 2);
        $now = 0;
        for ($i = 0; $i < 2 + 3 + 4; $i++) {
            $state = $policy->adaptive->refused($state, $now); // work waits for the key
            $state = $policy->afterResponse($state, 5, Signal::Success, $now, 2_000, $now += 2_000);
        }
        self::assertSame(5, $state->limit);
    }

    public function testSuccessesDoNotGrowALimitThatDoesNotBind(): void
    {
        $policy = self::policy();
        $state = $policy->adaptive->refused(new ProviderState(limit: 2), 1_000);
        $state = $policy->afterResponse($state, 5, Signal::Success, 1_000, 2_000, 3_000);
        $state = $policy->afterResponse($state, 5, Signal::Success, 3_000, 2_000, 5_000);
        self::assertSame(3, $state->limit, 'two successes while work waited (within two mean request times)');
        for ($now = 20_000; $now < 40_000; $now += 2_000) {
            $state = $policy->afterResponse($state, 5, Signal::Success, $now - 2_000, 2_000, $now);
        }
        self::assertSame(3, $state->limit, 'nothing waited for the key since: the answers say nothing about more load');
    }
}
