<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\RedisTestBed;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\CapacityCounters;
use SluiceWP\Backend\DatabaseBackend;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Backend\RedisBackend;

/**
 * The gate counts each AI step's decisions into the store's capacity
 * counters, on every key the step takes (here the site key and the
 * provider's key): 4 AI steps through a limit of 1 with 3 CLI runners, some
 * deferred and woken again, are 4 arrivals (a deferred copy running again is
 * none), 4 admissions, 4 completions with their hold times, one deferral per
 * deferral in the event log and one provider request per request the
 * provider answered. Before, nothing was counted.
 */
final class CapacityRecordingTest extends GateTestCase
{
    protected function tearDown(): void
    {
        delete_option('sluice_settings'); // the next tests gate on the backend their own settings choose
        parent::tearDown();
    }

    /** @return array<string, array{string, bool}> */
    public static function backends(): array
    {
        // Without the waiting line a deferred copy carries no ticket: the event log tells it from a new step.
        return ['native' => ['native', true], 'database' => ['database', true], 'redis' => ['redis', true], 'native, no waiting line' => ['native', false]];
    }

    /** @dataProvider backends */
    public function testEveryDecisionOfAnAiStepIsCountedOnEachOfItsKeys(string $backend, bool $line): void
    {
        if ($backend === 'redis') {
            RedisTestBed::trust();
        }
        $store = match ($backend) {
            'native' => new NativeBackend(),
            'database' => new DatabaseBackend(),
            default => new RedisBackend(),
        };
        self::sluice(['backend' => $backend, 'site_limit' => 1, 'provider_limits' => ['fake' => 2], 'throttle_delay' => 1, 'throttle_delay_max' => 2,
            'waiting_line' => $line]);
        Provider::reset(latencyMs: 300);
        $keys = [self::siteKey(), self::gateKeys()->provider('fake', false)];
        $since = intdiv(time(), 60);
        $before = array_map(static fn (string $key): array => self::totals($store, $key, $since), $keys);

        datamachine_fixture_start_flow('counted-a', 2);
        datamachine_fixture_start_flow('counted-b', 2);
        Runner::until(static fn (): bool => Site::unfinishedJobs() === 0, 3, 90);
        self::assertSame(['completed' => 4], Site::jobStatuses());
        $deferrals = count(Site::deferrals());
        self::assertGreaterThan(0, $deferrals, 'runners met the full slot and deferred');
        $requests = (int) Provider::stats()['answered'];

        foreach ($keys as $i => $key) {
            $after = self::totals($store, $key, $since);
            $added = array_map(static fn (int $a, int $b): int => $a - $b, $after, $before[$i]);
            [$arrivals, $admissions, $completions, $holdMs, $holdMsSquared, $waitMs, $deferred, $providerRequests] = $added;
            self::assertSame([4, 4, 4], [$arrivals, $admissions, $completions], "{$key}: arrivals, admissions, completions");
            self::assertSame($deferrals, $deferred, "{$key}: one deferral per deferral in the event log");
            self::assertSame($requests, $providerRequests, "{$key}: one provider request per request answered");
            self::assertGreaterThanOrEqual(4 * 300, $holdMs, "{$key}: each step held its slot for at least its 300 ms request");
            self::assertGreaterThanOrEqual(intdiv($holdMs * $holdMs, 4), $holdMsSquared, "{$key}: the squares of the hold times");
            self::assertGreaterThan(0, $waitMs, "{$key}: the deferred steps waited");
        }
    }

    /** @return list<int> a key's counters summed over the minutes since $since */
    private static function totals(CapacityCounters $store, string $key, int $since): array
    {
        $sum = array_fill(0, 8, 0);
        foreach ($store->minuteCounts()[$key] ?? [] as $minute) {
            if ($minute->minute >= $since) {
                foreach ($minute->toList() as $i => $n) {
                    $sum[$i] += $n;
                }
            }
        }
        return $sum;
    }
}
