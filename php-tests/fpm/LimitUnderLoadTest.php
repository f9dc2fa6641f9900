<?php
declare(strict_types=1);

namespace Sluice\FpmTests;

/**
 * Many concurrent HTTP requests through nginx and FPM contend for one key:
 * never more than the limit hold at once, and the rest are told "throttled"
 * (429 + JSON), never an error.
 */
final class LimitUnderLoadTest extends FpmTestCase
{
    public function testTwentyFourClientsHoldingTwoHundredMsNeverExceedLimitTwo(): void
    {
        Stack::ensure(['workers' => 8]);
        $key = self::key('load');
        $clients = 24;
        $t0 = hrtime(true);
        $results = Http::untilGranted($clients,
            fn(int $i, int $n) => "hold.php?key=$key&limit=2&ms=200&label=client-$i-$n");
        $wallMs = (hrtime(true) - $t0) / 1e6;

        self::assertGrantedOrThrottled($results, 2);
        $counts = self::byStatus($results);
        $granted = $counts[200] ?? 0;
        $throttled = $counts[429] ?? 0;
        self::assertSame($clients, $granted, 'every client is granted in the end');
        self::assertGreaterThan(0, $throttled, 'with 24 clients on limit 2 some requests must be throttled');

        // What the clients saw: server-reported hold intervals never overlap by more than 2.
        $intervals = self::grantedIntervals($results);
        $overlap = self::maxOverlap($intervals);
        self::assertLessThanOrEqual(2, $overlap, 'more than 2 requests held a slot at once');
        self::assertSame(2, $overlap, 'the limit was used (two holders at once at some point)');
        $pids = array_unique(array_map(fn($r) => $r['body']['pid'], $results));
        self::assertGreaterThanOrEqual(4, count($pids), 'requests were spread over the FPM workers');
        // 24 holds of 200 ms two at a time cannot take less than 2.4 s.
        self::assertGreaterThanOrEqual(2400, $wallMs);

        // What the server counted.
        $s = self::keyStatus($key);
        self::assertSame(2, $s['limit']);
        self::assertLessThanOrEqual(2, $s['peak']);
        self::assertSame(2, $s['peak']);
        self::assertSame(0, $s['active']);
        self::assertSame($granted, $s['acquired']);
        self::assertSame($granted, $s['released']);
        self::assertSame($throttled, $s['throttled']);
        self::assertSame(0, $s['reclaimed_dead'] + $s['reclaimed_expired']);
        self::assertConsistent(self::status(), self::info());
        self::note(sprintf('limit 2, %d clients x 200 ms: %d granted, %d throttled (429), 0 errors, '
            . 'max overlap %d, peak %d, %d workers, %.2f s', $clients, $granted, $throttled, $overlap, $s['peak'],
            count($pids), $wallMs / 1000));
    }
}
