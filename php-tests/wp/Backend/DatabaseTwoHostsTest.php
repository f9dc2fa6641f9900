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
        $native = $this->race('native');
        $database = $this->race('database');
        fwrite(STDERR, sprintf(
            "two FPM pools in separate IPC namespaces (%s / %s), key limit 1, %d rounds x 3 requests per pool: native max overlap %d (%d granted), database max overlap %d (%d granted: %d by pool a, %d by pool b)\n",
            $database['ipc']['a'], $database['ipc']['b'], self::ROUNDS,
            $native['overlap'], $native['granted'], $database['overlap'], $database['granted'], $database['by']['a'], $database['by']['b'],
        ));
        self::assertNotSame($database['ipc']['a'], $database['ipc']['b'], 'the pools run in separate IPC namespaces');
        self::assertNotSame($database['ipc']['a'], (string) readlink('/proc/self/ns/ipc'));
        self::assertSame(2, $native['overlap'], 'the extension gives each pool its own slot: separate shared memory, separate limits');
        self::assertSame(1, $database['overlap'], 'the database backend holds one limit for both');
        self::assertGreaterThan(0, $database['by']['a']);
        self::assertGreaterThan(0, $database['by']['b']);
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
