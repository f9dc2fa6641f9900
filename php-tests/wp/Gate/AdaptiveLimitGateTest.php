<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use SluiceWP\Provider\Signal;

/**
 * The adaptive limit end to end: the operator allows 4 requests at once to
 * the provider (the ceiling), the provider takes 2 and answers 503 to the
 * rest. Real runners work two flows through it; the limit in force comes
 * down below the ceiling, the waiting line hands slots on only up to it
 * (the key's cap), the provider turns away fewer requests than with the
 * limit fixed at the ceiling, and every item is processed.
 */
final class AdaptiveLimitGateTest extends ProviderTestCase
{
    public function testTheLimitComesDownToWhatTheProviderTakes(): void
    {
        $adaptive = $this->runFlows(true);
        $state = self::providerState();
        self::assertGreaterThan(0, $state->limit, 'the limit changed from the ceiling');
        // It came down (it may have grown back by the end: a round of successes at the limit adds 1).
        self::assertGreaterThan(0, $state->lastDecreaseMs, 'the limit in force came down below the ceiling of 4');
        self::assertLessThanOrEqual(4, $state->limit);
        self::assertSame(Signal::Unavailable, $state->signal, 'the last congestion signal was the provider\'s 503');
        self::assertEqualsWithDelta(microtime(true), $state->signalMs / 1000, 60);
        self::assertSame($state->limit, \Sluice\key_record(self::providerKey())['cap'], 'the waiting line hands slots on up to the limit in force');

        $fixed = $this->runFlows(false);
        self::assertSame(0, self::providerState()->limit, 'with the adaptive limit off the ceiling stays');
        fwrite(STDERR, sprintf("adaptive limit: the provider turned away %d requests (adaptive) and %d (fixed at the ceiling)\n", $adaptive, $fixed));
        self::assertLessThan($fixed, $adaptive, 'the adaptive limit sends fewer requests above the provider\'s capacity');
    }

    /** Two flows of 5 items; returns how many requests the provider turned away above its capacity. */
    private function runFlows(bool $adaptive): int
    {
        Site::reset();
        self::sluice(['site_limit' => 6, 'provider_limits' => ['fake' => 4], 'adaptive_limit' => $adaptive, 'breaker_failures' => 0,
            'throttle_delay' => 1, 'throttle_delay_max' => 5]);
        Site::configure([], ['request_timeout' => 5, 'max_attempts' => 3,
            'provider_turn_attempts' => 5, 'provider_turn_base_delay' => 0.3, 'provider_turn_max_delay' => 2]);
        Provider::reset(latencyMs: 500);
        Provider::configure(['capacity_schedule' => '2', 'over_capacity' => '503']);
        datamachine_fixture_start_flow('a1', 5);
        datamachine_fixture_start_flow('a2', 5);
        Runner::until(static fn (): bool => Site::unfinishedJobs() === 0, 4, 120);
        self::assertSame(['completed' => 10], Site::jobStatuses(), 'no job failed');
        self::assertSame(10, Site::processedItems());
        return (int) (Provider::stats()['rejected']['503'] ?? 0);
    }
}
