<?php
declare(strict_types=1);

namespace Sluice\WpTests\Provider;

use PHPUnit\Framework\TestCase;
use Sluice\Support\WordPress\Provider;

/**
 * The fake provider the benchmarks and tests measure against (tools/fake-provider):
 * its capacity schedule, its answers above capacity, latency under load, fail
 * rules, outage windows (connections refused, the control socket still
 * answering) and its count of time above capacity.
 */
final class FakeProviderTest extends TestCase
{
    protected function tearDown(): void
    {
        Provider::reset();
    }

    /**
     * Sends these requests at once (each: extra headers, timeout s).
     *
     * @param list<array{0?: array<string>, 1?: float}> $requests
     * @return list<array{status: int, errno: int, seconds: float, headers: string}>
     */
    private static function together(array $requests): array
    {
        $multi = curl_multi_init();
        $handles = [];
        foreach ($requests as $request) {
            [$headers, $timeout] = [$request[0] ?? [], $request[1] ?? 5.0];
            $h = curl_init(Provider::url() . '/v1/chat/completions');
            curl_setopt_array($h, [CURLOPT_POST => true, CURLOPT_POSTFIELDS => '{"messages":[{"role":"user","content":"hi"}]}',
                CURLOPT_HTTPHEADER => array_merge(['Content-Type: application/json'], $headers), CURLOPT_RETURNTRANSFER => true,
                CURLOPT_HEADER => true, CURLOPT_TIMEOUT_MS => (int) ($timeout * 1000)]);
            curl_multi_add_handle($multi, $h);
            $handles[] = $h;
        }
        do {
            curl_multi_exec($multi, $running);
            curl_multi_select($multi, 0.05);
        } while ($running > 0);
        $errors = []; // a handle's transport error comes from the multi handle's messages, not curl_errno()
        while (($info = curl_multi_info_read($multi)) !== false) {
            $errors[spl_object_id($info['handle'])] = (int) $info['result'];
        }
        $out = [];
        foreach ($handles as $h) {
            $raw = (string) curl_multi_getcontent($h);
            $out[] = ['status' => (int) curl_getinfo($h, CURLINFO_RESPONSE_CODE), 'errno' => $errors[spl_object_id($h)] ?? 0,
                'seconds' => (float) curl_getinfo($h, CURLINFO_TOTAL_TIME), 'headers' => substr($raw, 0, (int) curl_getinfo($h, CURLINFO_HEADER_SIZE))];
            curl_multi_remove_handle($multi, $h);
        }
        curl_multi_close($multi);
        return $out;
    }

    /** @param list<array{status: int}> $answers */
    private static function statuses(array $answers): array
    {
        $s = array_column($answers, 'status');
        sort($s);
        return $s;
    }

    public function testTheCapacityScheduleAndItsAnswerAboveCapacity(): void
    {
        Provider::reset(latencyMs: 300);
        Provider::configure(['capacity_schedule' => '1x1200ms,2', 'over_capacity' => '503']);
        self::assertSame([200, 503], self::statuses(self::together([[], []])), 'capacity 1 first');
        usleep(1_300_000);
        self::assertSame([200, 200], self::statuses(self::together([[], []])), 'then 2');
        Provider::configure(['capacity_schedule' => '1', 'over_capacity' => '429', 'retry_after_s' => 7]);
        $answers = self::together([[], []]);
        self::assertSame([200, 429], self::statuses($answers));
        $limited = $answers[0]['status'] === 429 ? $answers[0] : $answers[1];
        self::assertStringContainsStringIgnoringCase("retry-after: 7\r\n", $limited['headers']);
        Provider::configure(['over_capacity' => '529']);
        self::assertSame([200, 529], self::statuses(self::together([[], []])));
        self::assertSame(['429' => 1, '503' => 1, '529' => 1], Provider::stats()['rejected']);
    }

    public function testLatencyRisesWithLoad(): void
    {
        Provider::reset(latencyMs: 400);
        Provider::configure(['capacity_schedule' => '2', 'over_capacity' => '503', 'latency_per_load' => 1.0]);
        $alone = self::together([[]])[0]['seconds'];
        $pair = array_column(self::together([[], []]), 'seconds');
        sort($pair);
        self::assertGreaterThan(0.55, $alone, '400 ms x (1 + 1/2): one of a capacity of 2 in flight');
        self::assertGreaterThan(0.55, $pair[0], 'the first of two at once');
        self::assertGreaterThan(0.75, $pair[1], 'the second: 400 ms x (1 + 2/2)');
        self::assertLessThan(1.5, $pair[1]);
    }

    public function testALatencyDistributionHasTheMeanAndVariationAsked(): void
    {
        Provider::reset(latencyMs: 250);
        self::assertSame(array_fill(0, 5, 250), Provider::latencySample(5), 'no distribution: the fixed latency');
        foreach (['gamma', 'lognormal'] as $kind) {
            foreach ([0.3, 1.5] as $cv) {
                Provider::configure(['latency_distribution' => ['kind' => $kind, 'mean_ms' => 2000, 'cv' => $cv, 'seed' => 11]]);
                $draws = Provider::latencySample(20000);
                $mean = array_sum($draws) / count($draws);
                $sd = sqrt(array_sum(array_map(static fn (int $x): float => ($x - $mean) ** 2, $draws)) / count($draws));
                self::assertEqualsWithDelta(2000, $mean, 2000 * ($cv > 1 ? 0.05 : 0.01), "$kind cv $cv: the mean");
                self::assertEqualsWithDelta($cv, $sd / $mean, $cv * 0.08, "$kind cv $cv: the coefficient of variation");
                self::assertGreaterThanOrEqual(0, min($draws));
            }
        }
        self::assertSame(self::seeded(50), self::seeded(50), 'a seed draws the same latencies again');
        // An answer waits its drawn latency: cv 0.3 around 400 ms.
        Provider::configure(['latency_distribution' => ['kind' => 'gamma', 'mean_ms' => 400, 'cv' => 0.3]]);
        $seconds = array_column(self::together([[], [], [], []]), 'seconds');
        self::assertGreaterThan(0.1, min($seconds));
        self::assertLessThan(1.5, max($seconds));
        try {
            Provider::configure(['latency_distribution' => ['kind' => 'gamma', 'mean_ms' => 400, 'cv' => -1]]);
            self::fail('a negative cv was taken');
        } catch (\RuntimeException $e) {
            self::assertStringContainsString('latency_distribution.cv', $e->getMessage());
        }
        Provider::configure(['latency_distribution' => null]);
        self::assertSame([250], Provider::latencySample(1), 'null: back to the fixed latency');
    }

    /** @return list<int> the first $n draws of a seeded distribution, set anew */
    private static function seeded(int $n): array
    {
        Provider::configure(['latency_distribution' => ['kind' => 'lognormal', 'mean_ms' => 2000, 'cv' => 1.5, 'seed' => 11]]);
        return Provider::latencySample($n);
    }

    public function testFailRulesAnswerOneFlowsRequestsForAWhile(): void
    {
        Provider::reset(latencyMs: 100);
        Provider::configure(['fail_rules' => [['header' => 'x-fixture-flow', 'value' => '3', 'status' => 503, 'until_ms' => 1000]]]);
        self::assertSame([200, 503], self::statuses(self::together([[['X-Fixture-Flow: 2']], [['X-Fixture-Flow: 3']]])));
        usleep(1_100_000);
        self::assertSame([200], self::statuses(self::together([[['X-Fixture-Flow: 3']]])), 'the rule\'s window is over');
        self::assertSame(['503' => 1], Provider::stats()['failed']);
    }

    public function testAnOutageRefusesConnectionsWhileTheControlSocketAnswers(): void
    {
        Provider::reset(latencyMs: 100);
        Provider::configure(['outages' => [['from_ms' => 300, 'until_ms' => 1300]]]);
        usleep(500_000);
        $during = self::together([[]])[0];
        self::assertContains($during['errno'], [CURLE_COULDNT_CONNECT, CURLE_RECV_ERROR, CURLE_GOT_NOTHING], 'connection refused (cURL error 7), or broken on one opened before');
        self::assertSame(0, $during['status']);
        self::assertTrue(Provider::stats()['down'], 'the control socket answers during the outage');
        usleep(1_000_000);
        self::assertSame(200, self::together([[]])[0]['status'], 'listening again after it');
        $records = Provider::timeline();
        self::assertCount(1, $records, 'a refused connection never reached it');
        self::assertSame('answered', $records[0]['outcome']);
    }

    public function testItCountsTheTimeItHadMoreInFlightThanItsCapacity(): void
    {
        Provider::reset(latencyMs: 200);
        Provider::configure(['capacity_schedule' => '1', 'over_capacity' => 'stall']);
        $answers = self::together([[[], 5], [[], 1.0]]);
        self::assertSame([0, 200], self::statuses($answers), 'one answered, one stalled into the client\'s timeout');
        usleep(100_000);
        $stats = Provider::stats();
        self::assertEqualsWithDelta(0.2, $stats['over_capacity_ms'] / 1000, 0.15, 'two were in flight over a capacity of 1 while the first was served');
        self::assertGreaterThan($stats['over_capacity_ms'], $stats['observed_ms']);
    }
}
