<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

/**
 * An AI step that sleeps between attempts of a failed provider request (the
 * Agents API's in-step retry) gives its slot back meanwhile, so another
 * flow's step runs in that time, and takes it again before its next attempt.
 * The same run with the give-back off shows the difference: the sleeping
 * step holds the only slot and the other flow waits for all of it.
 */
final class BackoffGiveBackTest extends ProviderTestCase
{
    public function testASleepingStepLendsItsSlotToAnotherFlow(): void
    {
        $on = $this->runFlows(true);
        self::assertSame(0, max($on['held']), 'no slot is held while a step sleeps in backoff');
        self::assertLessThan($on['slow_finished'], $on['ok_started'], 'the other flow\'s step ran while the failing one slept');
        self::assertLessThanOrEqual(1, Provider::stats()['max_served_in_flight'], 'the limit held: one request at a time');

        $off = $this->runFlows(false);
        self::assertSame(1, min($off['held']), 'with the give-back off the sleeping step keeps its slot');
        self::assertGreaterThanOrEqual($off['slow_finished'], $off['ok_started'], 'and the other flow waits for the whole backoff');
        fwrite(STDERR, sprintf("give-back: the other flow's step started %.1f s before the failing step ended (give-back on), %.1f s after it (off)\n",
            $on['slow_finished'] - $on['ok_started'], $off['ok_started'] - $off['slow_finished']));
    }

    /** @return array{held: list<int>, ok_started: float, slow_finished: float} */
    private function runFlows(bool $giveBack): array
    {
        Site::reset();
        file_put_contents($this->callLog, '');
        update_option('sluice_test_provider_calls', $this->callLog, true);
        self::sluice(['site_limit' => 1, 'breaker_failures' => 0, 'backoff_give_back' => $giveBack, 'throttle_delay' => 1, 'throttle_delay_max' => 5]);
        Site::configure([], ['request_timeout' => 5, 'max_attempts' => 3,
            'provider_turn_attempts' => 4, 'provider_turn_base_delay' => 1.0, 'provider_turn_max_delay' => 4]);
        Provider::reset(latencyMs: 400);
        // Flow "slow" gets 503 until its step has slept a while; flow "ok" starts once it sleeps.
        Provider::configure(['fail_rules' => [['header' => 'x-fixture-flow', 'value' => 'slow', 'status' => 503, 'until_ms' => 600000]]]);
        datamachine_fixture_start_flow('slow', 1);
        $okStarted = false;
        Runner::until(function () use (&$okStarted): bool {
            if (!$okStarted && $this->calls('retry') !== []) {
                $elapsed = (int) Provider::stats()['observed_ms'];
                Provider::configure(['fail_rules' => [['header' => 'x-fixture-flow', 'value' => 'slow', 'status' => 503, 'until_ms' => $elapsed + 2500]]]);
                datamachine_fixture_start_flow('ok', 1);
                $okStarted = true;
            }
            return $okStarted && Site::unfinishedJobs() === 0;
        }, 2, 90);
        self::assertSame(['completed' => 2], Site::jobStatuses());
        $runs = [];
        foreach (Site::aiRuns() as $run) {
            $runs[$run['flow']] = $run;
        }
        self::assertCount(2, $runs);
        return [
            'held' => array_map(static fn (array $r): int => (int) $r['held_slots'], $this->calls('retry')),
            'ok_started' => (float) $runs['ok']['started'],
            'slow_finished' => (float) $runs['slow']['finished'],
        ];
    }
}
