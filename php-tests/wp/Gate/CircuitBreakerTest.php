<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

/**
 * The circuit breaker end to end, on each store: the provider refuses
 * connections for a few seconds in the middle of a flow run by real queue
 * runners. The breaker opens after its failure count, AI steps are deferred
 * (reason provider_circuit_open, in Sluice's and Data Machine's logs)
 * instead of calling the provider, one probe per cool-down reaches it, the
 * probe after the outage closes the breaker, no job fails and every item is
 * processed.
 */
final class CircuitBreakerTest extends ProviderTestCase
{
    /** @return array<string, array{string}> */
    public static function backends(): array
    {
        return ['native' => ['native'], 'database' => ['database'], 'redis' => ['redis']];
    }

    /** @dataProvider backends */
    public function testAnOutageOpensTheCircuitAndAProbeClosesIt(string $backend): void
    {
        self::sluice(['site_limit' => 4, 'provider_limits' => ['fake' => 2], 'backend' => $backend,
            'breaker_failures' => 2, 'breaker_cooldown' => 2, 'breaker_cooldown_max' => 8, 'throttle_delay' => 1, 'throttle_delay_max' => 10]);
        Site::configure([], ['request_timeout' => 3, 'retry_base_delay' => 1, 'max_attempts' => 3,
            'provider_turn_attempts' => 3, 'provider_turn_base_delay' => 0.3, 'provider_turn_max_delay' => 2]);
        Provider::reset(latencyMs: 600);
        datamachine_fixture_start_flow('cb', 8);
        // The outage starts once two answers are in (runners take a while to start on a busy machine). It lasts
        // at least 3.3 s and until an AI step came while the circuit was open: whatever limit the provider has in
        // force, a waiting copy's timer or Data Machine's retry of a failed step brings one, but when depends on
        // how many steps were in flight and on the machine, so the test ends the outage only after that (probes
        // that come meanwhile fail and open the circuit again for twice the cool-down).
        $outageStart = null;
        $outageEnd = null;
        Runner::until(function () use (&$outageStart, &$outageEnd): bool {
            if ($outageStart === null && count($this->calls('request')) >= 2) {
                $elapsed = (int) Provider::stats()['observed_ms'];
                Provider::configure(['outages' => [['from_ms' => $elapsed + 100, 'until_ms' => $elapsed + 600000]]]);
                $outageStart = microtime(true) + 0.1;
            }
            if ($outageStart !== null && $outageEnd === null && microtime(true) >= $outageStart + 3.3 && self::circuitDeferrals() !== []) {
                Provider::configure(['outages' => []]);
                $outageEnd = microtime(true);
            }
            return $outageEnd !== null && Site::unfinishedJobs() === 0;
        }, 3, 120);

        if (getenv('SLUICE_TEST_DEBUG')) {
            fwrite(STDERR, (string) file_get_contents($this->callLog));
        }
        self::assertSame(['completed' => 8], Site::jobStatuses(), 'no job failed');
        self::assertSame(8, Site::processedItems());
        $circuit = $this->calls('circuit');
        $opens = array_values(array_filter($circuit, static fn (array $c): bool => $c['what'] === 'circuit_opened'));
        self::assertNotEmpty($opens, 'the breaker opened during the outage');
        self::assertSame('circuit_closed', end($circuit)['what'], 'a probe after the outage closed it');
        self::assertNotNull($outageEnd, 'the outage came in the middle of the run');
        $firstOpen = (float) $opens[0]['at'];
        self::assertLessThan($outageEnd, $firstOpen);
        $probes = array_filter($this->calls('request'), static fn (array $r): bool => (float) $r['start'] > $firstOpen && (float) $r['start'] < $outageEnd);
        $cooldowns = array_filter($circuit, static fn (array $c): bool => in_array($c['what'], ['circuit_opened', 'circuit_reopened'], true) && (float) $c['at'] < $outageEnd);
        self::assertLessThanOrEqual(count($cooldowns), count($probes), 'at most one probe per cool-down reached the provider during the outage');
        $deferred = self::circuitDeferrals();
        self::assertNotEmpty($deferred, 'AI steps were deferred while the circuit was open');
        global $wpdb;
        self::assertGreaterThan(0, (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}datamachine_logs WHERE message LIKE '%provider circuit open%'"), 'and Data Machine\'s log says why');
        self::assertNotEmpty(self::events(['circuit_opened']), 'the event log has the opening');
        $state = self::providerState($backend);
        self::assertFalse($state->isOpen());
        self::assertGreaterThanOrEqual(1, $state->opens);
        fwrite(STDERR, sprintf("circuit on %s: %d probes in the outage for %d cool-downs, %d deferrals while open, %d requests refused by Sluice\n",
            $backend, count($probes), count($cooldowns), count($deferred), count($this->calls('refused'))));
    }

    /** @return list<array<string, mixed>> the event log's deferrals of AI steps for an open circuit */
    private static function circuitDeferrals(): array
    {
        return array_values(array_filter(Site::deferrals(), static fn (array $e): bool => $e['reason'] === 'provider_circuit_open'));
    }
}
