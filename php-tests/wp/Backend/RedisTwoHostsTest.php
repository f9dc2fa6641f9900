<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\RedisTestBed;
use Sluice\Tests\Support\SluiceTestCase;
use Sluice\Support\WordPress\FpmPools;

/**
 * "Two hosts" on one machine (FpmPools: two PHP-FPM masters, each in an IPC
 * namespace with a /dev/shm of its own) sharing the test bed's Redis: rounds
 * of concurrent requests to both pools each take a slot of one key, limit 2,
 * and hold it. With the native backend each pool has its own segment (up to
 * 4 at once); with the Redis backend both hold one limit of 2.
 */
final class RedisTwoHostsTest extends SluiceTestCase
{
    private const ROUNDS = 6;
    private const HOLD_MS = 150;
    private const LIMIT = 2;

    private ?FpmPools $pools = null;
    private mixed $settings = null;

    protected function setUp(): void
    {
        RedisTestBed::trust();
        $this->settings = get_option('sluice_settings', []);
        $this->pools = new FpmPools(3);
    }

    protected function tearDown(): void
    {
        $this->pools?->stop();
        update_option('sluice_settings', $this->settings);
    }

    /** Both pools read the setting `backend` (SLUICE_REDIS comes from the test site's must-use plugin). */
    private function useBackend(string $backend): void
    {
        update_option('sluice_settings', array_merge(is_array($this->settings) ? $this->settings : [], ['backend' => $backend]));
    }

    public function testTwoPoolsInSeparateIpcNamespacesHoldOneLimitThroughRedis(): void
    {
        $this->useBackend('native');
        $native = $this->pools?->race(self::key('two-hosts-native'), self::LIMIT, self::ROUNDS, self::HOLD_MS) ?? self::fail('no pools');
        $this->useBackend('redis');
        $redis = $this->pools->race(self::key('two-hosts-redis'), self::LIMIT, self::ROUNDS, self::HOLD_MS);
        fwrite(STDERR, sprintf(
            "two FPM pools in separate IPC namespaces (%s / %s), key limit %d, %d rounds x 3 requests per pool: native max overlap %d (%d granted), redis max overlap %d (%d granted: %d by pool a, %d by pool b)\n",
            $redis['ipc']['a'], $redis['ipc']['b'], self::LIMIT, self::ROUNDS,
            $native['overlap'], $native['granted'], $redis['overlap'], $redis['granted'], $redis['by']['a'], $redis['by']['b'],
        ));
        self::assertSame(['native'], $native['backends']);
        self::assertSame(['redis'], $redis['backends'], 'both pools took their slots from Redis');
        self::assertNotSame($redis['ipc']['a'], $redis['ipc']['b'], 'the pools run in separate IPC namespaces');
        self::assertSame(2 * self::LIMIT, $native['overlap'], 'the extension gives each pool its own slots');
        self::assertSame(self::LIMIT, $redis['overlap'], 'Redis holds one limit for both pools');
        self::assertGreaterThan(0, $redis['by']['a']);
        self::assertGreaterThan(0, $redis['by']['b']);
    }
}
