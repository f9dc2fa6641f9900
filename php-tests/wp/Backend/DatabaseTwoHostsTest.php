<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Tests\Support\SluiceTestCase;
use Sluice\Support\WordPress\FpmPools;

/**
 * "Two hosts" on one machine (FpmPools: two PHP-FPM masters, each in an IPC
 * namespace with a /dev/shm of its own, sharing the test bed's MariaDB).
 * Concurrent HTTP requests to both take one slot of one key, limit 1, hold it
 * and log the interval. With the native backend each pool has its own
 * segment, so the key gets one slot per pool: the extension cannot give the
 * two one limit. With the database backend the max overlap across both is 1.
 */
final class DatabaseTwoHostsTest extends SluiceTestCase
{
    private const ROUNDS = 6;
    private const HOLD_MS = 150;
    /** Races of ROUNDS rounds at most, until each pool was granted the slot (database) or both held it at once (native). */
    private const MAX_RACES = 6;

    private ?FpmPools $pools = null;
    private mixed $settings = null;

    protected function setUp(): void
    {
        $this->settings = get_option('sluice_settings', []);
        $this->pools = new FpmPools(3);
    }

    protected function tearDown(): void
    {
        $this->pools?->stop();
        update_option('sluice_settings', $this->settings);
    }

    public function testTwoPoolsInSeparateIpcNamespacesHoldOneLimitOnlyThroughTheDatabase(): void
    {
        // Rounds go on (up to MAX_RACES races) until what is measured was given a chance to show: which pool's
        // requests come first is the machine's scheduling, so on a loaded machine one pool may win every one of
        // a few rounds, or the two pools' requests may not meet at all. That takes more rounds, never a looser check.
        $native = $this->raceUntil('native', static fn (array $r): bool => $r['overlap'] >= 2);
        $database = $this->raceUntil('database', static fn (array $r): bool => $r['by']['a'] > 0 && $r['by']['b'] > 0);
        fwrite(STDERR, sprintf(
            "two FPM pools in separate IPC namespaces (%s / %s), key limit 1, 3 requests per pool and round: native max overlap %d (%d granted in %d rounds), database max overlap %d (%d granted in %d rounds: %d by pool a, %d by pool b)\n",
            $database['ipc']['a'], $database['ipc']['b'],
            $native['overlap'], $native['granted'], $native['rounds'], $database['overlap'], $database['granted'], $database['rounds'], $database['by']['a'], $database['by']['b'],
        ));
        self::assertNotSame($database['ipc']['a'], $database['ipc']['b'], 'the pools run in separate IPC namespaces');
        self::assertNotSame($database['ipc']['a'], (string) readlink('/proc/self/ns/ipc'));
        self::assertSame(2, $native['overlap'], 'the extension gives each pool its own slot: separate shared memory, separate limits');
        self::assertSame(1, $database['overlap'], 'the database backend holds one limit for both');
        self::assertGreaterThan(0, $database['by']['a'], 'pool a was granted the slot');
        self::assertGreaterThan(0, $database['by']['b'], 'pool b was granted the slot');
    }

    /**
     * Races of ROUNDS rounds until $seen says the result shows what the test
     * looks for, at most MAX_RACES. The races do not overlap in time, so the
     * max overlap of all is the largest of theirs.
     *
     * @param callable(array{overlap: int, granted: int, by: array<string,int>}): bool $seen
     * @return array{overlap: int, granted: int, by: array<string,int>, ipc: array<string,string>, rounds: int}
     */
    private function raceUntil(string $backend, callable $seen): array
    {
        $total = ['overlap' => 0, 'granted' => 0, 'by' => ['a' => 0, 'b' => 0], 'ipc' => [], 'rounds' => 0];
        for ($race = 0; $race < self::MAX_RACES && ($race === 0 || !$seen($total)); $race++) {
            $result = $this->race($backend);
            $total['overlap'] = max($total['overlap'], $result['overlap']);
            $total['granted'] += $result['granted'];
            foreach ($result['by'] as $pool => $n) {
                $total['by'][$pool] = ($total['by'][$pool] ?? 0) + $n;
            }
            $total['ipc'] = $result['ipc'];
            $total['rounds'] += self::ROUNDS;
        }
        return $total;
    }

    /**
     * One backend for both pools (the setting), then the race.
     *
     * @return array{overlap: int, granted: int, by: array<string,int>, ipc: array<string,string>, backends: list<string>}
     */
    private function race(string $backend): array
    {
        update_option('sluice_settings', array_merge(is_array($this->settings) ? $this->settings : [], ['backend' => $backend]));
        $result = $this->pools?->race(self::key('two-hosts-' . $backend), 1, self::ROUNDS, self::HOLD_MS) ?? self::fail('no pools');
        self::assertSame([$backend], $result['backends'], 'both pools chose their backend from the setting');
        return $result;
    }
}
