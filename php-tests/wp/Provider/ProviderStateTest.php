<?php
declare(strict_types=1);

namespace Sluice\WpTests\Provider;

use PHPUnit\Framework\TestCase;
use SluiceWP\Provider\ProviderState;
use SluiceWP\Provider\Signal;

/** The stored record of a provider's state: every field survives, damage reads as a fresh state. */
final class ProviderStateTest extends TestCase
{
    public function testEveryFieldSurvivesTheRecord(): void
    {
        $state = new ProviderState(
            limit: 7, successes: 3, lastDecreaseMs: 1_765_000_000_001, signal: Signal::Overloaded, signalMs: 1_765_000_000_002,
            baselineMs: 2_100, meanMs: 2_300, circuit: ProviderState::OPEN, failures: 5, openedMs: 1_765_000_000_003,
            nextProbeMs: 1_765_000_030_003, cooldownMs: 30_000, circuitReason: Signal::Transport, limitBeforeOpen: 6, opens: 2, cooldowns: 9,
            lastRefusedMs: 1_765_000_000_004, plateau: 5,
        );
        $bytes = $state->encode();
        self::assertSame(ProviderState::BYTES, strlen($bytes));
        self::assertEquals($state, ProviderState::decode($bytes));
    }

    public function testARecordThatDoesNotDecodeIsAFreshState(): void
    {
        $fresh = new ProviderState();
        self::assertEquals($fresh, ProviderState::decode(''));
        self::assertEquals($fresh, ProviderState::decode(str_repeat("\xff", ProviderState::BYTES)), 'another format version');
        self::assertEquals($fresh, ProviderState::decode(substr((new ProviderState(limit: 3))->encode(), 0, -1)), 'cut short');
        $unknownSignal = (new ProviderState(signal: Signal::Timeout))->encode();
        $unknownSignal[15] = "\x63"; // the signal byte (after version, limit, successes, last decrease): a code no Signal has
        self::assertNull(ProviderState::decode($unknownSignal)->signal);
    }

    public function testOnlyMaterialChangesAreWorthAWrite(): void
    {
        $state = new ProviderState(limit: 4, baselineMs: 2_000, meanMs: 2_000);
        self::assertFalse($state->differsMateriallyFrom($state->with(['baselineMs' => 2_100, 'meanMs' => 1_900])));
        self::assertTrue($state->differsMateriallyFrom($state->with(['baselineMs' => 2_200])));
        self::assertTrue($state->differsMateriallyFrom($state->with(['successes' => 1])));
        self::assertTrue($state->differsMateriallyFrom($state->with(['signal' => Signal::Slow])));
    }
}
