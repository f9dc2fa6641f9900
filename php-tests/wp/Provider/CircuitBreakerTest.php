<?php
declare(strict_types=1);

namespace Sluice\WpTests\Provider;

use PHPUnit\Framework\TestCase;
use SluiceWP\Provider\CircuitBreaker;
use SluiceWP\Provider\CircuitPhase;
use SluiceWP\Provider\ProviderState;
use SluiceWP\Provider\Signal;

/** The circuit breaker's rules, as pure arithmetic on a state. */
final class CircuitBreakerTest extends TestCase
{
    public function testOpensAfterTheFailureCountInARow(): void
    {
        $breaker = new CircuitBreaker(5, 30_000, 600_000);
        $state = new ProviderState();
        for ($i = 1; $i <= 4; $i++) {
            $state = $breaker->afterFailure($state, Signal::Transport, 1_000 * $i, 6);
            self::assertSame(CircuitPhase::Closed, $breaker->phase($state, 1_000 * $i), "closed after $i failures");
        }
        $state = $breaker->afterFailure($state, Signal::Timeout, 5_000, 6);
        self::assertSame(CircuitPhase::Open, $breaker->phase($state, 5_000));
        self::assertSame(5_000, $state->openedMs);
        self::assertSame(35_000, $state->nextProbeMs);
        self::assertSame(30_000, $state->cooldownMs);
        self::assertSame(Signal::Timeout, $state->circuitReason);
        self::assertSame(6, $state->limitBeforeOpen);
        self::assertSame([1, 1], [$state->opens, $state->cooldowns]);
        self::assertSame(CircuitPhase::Open, $breaker->phase($state, 34_999));
        self::assertSame(CircuitPhase::HalfOpen, $breaker->phase($state, 35_000), 'the cool-down is over: one probe');
    }

    public function testAnAnswerStartsTheCountAgain(): void
    {
        $breaker = new CircuitBreaker(3);
        $state = new ProviderState();
        $state = $breaker->afterFailure($breaker->afterFailure($state, Signal::ServerError, 1, 1), Signal::ServerError, 2, 1);
        $state = $breaker->afterAnswer($state);
        self::assertSame(0, $state->failures);
        $state = $breaker->afterFailure($breaker->afterFailure($state, Signal::ServerError, 3, 1), Signal::ServerError, 4, 1);
        self::assertSame(CircuitPhase::Closed, $breaker->phase($state, 5), 'two and two failures are not three in a row');
    }

    public function testEachFailedProbeDoublesTheCooldownUpToItsMaximum(): void
    {
        $breaker = new CircuitBreaker(1, 30_000, 100_000);
        $state = $breaker->afterFailure(new ProviderState(), Signal::Transport, 0, 4);
        $expected = [60_000, 100_000, 100_000];
        $now = 30_000;
        foreach ($expected as $i => $cooldown) {
            self::assertSame(CircuitPhase::HalfOpen, $breaker->phase($state, $now));
            $state = $breaker->afterFailure($state, Signal::Transport, $now, 1);
            self::assertSame($cooldown, $state->cooldownMs, "failed probe $i");
            self::assertSame($now + $cooldown, $state->nextProbeMs);
            self::assertSame(CircuitPhase::Open, $breaker->phase($state, $now + $cooldown - 1));
            $now += $cooldown;
        }
        self::assertSame(1, $state->opens, 'a failed probe reopens; it is not a new opening');
        self::assertSame(4, $state->cooldowns);
        self::assertSame(4, $state->limitBeforeOpen, 'the limit before the outage is kept through it');
    }

    public function testTheProbesAnswerClosesIt(): void
    {
        $breaker = new CircuitBreaker(1);
        $state = $breaker->afterAnswer($breaker->afterFailure(new ProviderState(), Signal::Transport, 0, 4));
        self::assertSame(CircuitPhase::Closed, $breaker->phase($state, 40_000));
        self::assertSame([0, 0, 0], [$state->failures, $state->cooldownMs, $state->nextProbeMs]);
        self::assertSame(1, $state->opens);
    }

    public function testRequestsSentBeforeItOpenedDoNotCount(): void
    {
        $breaker = new CircuitBreaker(1);
        $open = $breaker->afterFailure(new ProviderState(), Signal::Transport, 10_000, 4);
        self::assertFalse($breaker->counts($open, 9_999));
        self::assertTrue($breaker->counts($open, 40_000));
        self::assertTrue($breaker->counts(new ProviderState(), 0), 'closed: everything counts');
    }
}
