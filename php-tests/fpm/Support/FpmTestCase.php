<?php
declare(strict_types=1);

namespace Sluice\FpmTests;

use PHPUnit\Framework\TestCase;
use Sluice\Support\Overlap;

/**
 * Helpers of the FPM suite: unique keys, the server-side view (status() from
 * a root CLI process on the same segment), overlap of the hold intervals the
 * endpoints report, and consistency checks of the whole table.
 */
abstract class FpmTestCase extends TestCase
{
    /** A key no other test (or earlier run on a kept segment) used. */
    protected static function key(string $purpose): string
    {
        return 'fpm-' . $purpose . '-' . bin2hex(random_bytes(4));
    }

    /** status() as a root CLI process sees it: key => entry. */
    protected static function status(): array
    {
        return Cli::ok(['status'])['status'];
    }

    protected static function keyStatus(string $key): array
    {
        $all = self::status();
        self::assertArrayHasKey($key, $all, "key $key is not in the segment");
        return $all[$key];
    }

    protected static function info(): array
    {
        return Cli::ok(['status'])['info'];
    }

    /** Figures go to stderr: PHPUnit is strict about output during tests. */
    protected static function note(string $text): void
    {
        fwrite(STDERR, "\n    [fpm] $text");
    }

    /**
     * The most hold intervals open at one instant: the witness Overlap, which
     * the extension's suite and the demo use too.
     *
     * @param list<array{0:int,1:int}> $intervals
     */
    protected static function maxOverlap(array $intervals): int
    {
        self::assertSame([], Overlap::backwards($intervals), 'every interval ends after it starts');
        return Overlap::max($intervals);
    }

    /** @return list<array{0:int,1:int}> the hold intervals of the granted responses */
    protected static function grantedIntervals(array $results): array
    {
        $out = [];
        foreach ($results as $r) {
            if ($r['status'] === 200 && ($r['body']['result'] ?? '') === 'granted') {
                $out[] = [$r['body']['started'], $r['body']['ended']];
            }
        }
        return $out;
    }

    /** @return array<int,int> HTTP status => count */
    protected static function byStatus(array $results): array
    {
        $counts = [];
        foreach ($results as $r) {
            $counts[$r['status']] = ($counts[$r['status']] ?? 0) + 1;
        }
        ksort($counts);
        return $counts;
    }

    /**
     * Every answer is a grant (200) or a throttle (429) with a JSON body that
     * says so: throttling is never an error page.
     */
    protected static function assertGrantedOrThrottled(array $results, int $limit): void
    {
        foreach ($results as $r) {
            $where = "{$r['path']} answered {$r['status']}: " . trim($r['raw']) . ($r['curl_error'] ?? '');
            self::assertContains($r['status'], [200, 429], $where);
            self::assertIsArray($r['body'], $where);
            if ($r['status'] === 200) {
                self::assertSame('granted', $r['body']['result'], $where);
                self::assertTrue($r['body']['released'], $where);
            } else {
                self::assertSame('throttled', $r['body']['result'], $where);
                self::assertSame($limit, $r['body']['refusal']['limit'], $where);
                self::assertSame($limit, $r['body']['refusal']['active'], $where);
            }
        }
    }

    /**
     * The table agrees with itself: per key, active = holders listed, active ≤
     * limit, peak ≤ limit for keys whose limit never changed, no leases in use
     * beyond those listed.
     */
    protected static function assertConsistent(array $status, array $info): void
    {
        $listed = 0;
        foreach ($status as $key => $s) {
            $holding = array_values(array_filter($s['holders'], fn($h) => !$h['waiting']));
            self::assertSame($s['active'], count($holding), "key $key: active vs holders");
            self::assertLessThanOrEqual($s['limit'], $s['active'], "key $key: active over its limit");
            $listed += count($s['holders']);
        }
        self::assertSame($listed, $info['leases_in_use'], 'leases_in_use vs holders listed over all keys');
    }

    /**
     * Polls $probe every 20 ms until it returns a truthy value, driving the
     * requests of $http meanwhile (curl_multi only moves when driven).
     */
    protected static function waitFor(callable $probe, float $timeout, string $what, ?Http $http = null): mixed
    {
        $deadline = microtime(true) + $timeout;
        do {
            $v = $probe();
            if ($v) {
                return $v;
            }
            if ($http !== null) {
                $until = microtime(true) + 0.02;
                do {
                    $http->poll(0.005);
                } while (microtime(true) < $until);
            } else {
                usleep(20000);
            }
        } while (microtime(true) < $deadline);
        self::fail("timed out after {$timeout} s waiting for: $what");
    }

    /** The pids of the FPM pool's workers (from FPM's status page). */
    protected static function fpmWorkers(): array
    {
        return array_map(fn($p) => (int) $p['pid'], Http::fpmStatus()['processes']);
    }
}
