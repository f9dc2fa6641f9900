<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\RedisTestBed;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\CapacityCounters;
use SluiceWP\Backend\RedisBackend;
use SluiceWP\Backend\RedisCapacityCounters;
use SluiceWP\Backend\RedisConfig;
use SluiceWP\Backend\RedisScripts;
use SluiceWP\Backend\RedisStore;

require_once __DIR__ . '/CapacityCountersContractTestCase.php';

/** Capacity counters in the test bed's Redis: the contract, one round trip per call, hashes that expire by themselves. */
final class RedisCapacityCountersTest extends CapacityCountersContractTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        RedisTestBed::trust();
    }

    protected function store(): CapacityCounters
    {
        return new RedisBackend();
    }

    protected function childStoreCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $store = new SluiceWP\Backend\RedisBackend();';
    }

    protected function addAt(array $countsByKey, int $minute): void
    {
        (new RedisCapacityCounters(new RedisStore(RedisConfig::fromSite(), 300)))->add($countsByKey, $minute);
    }

    /** A Redis that does not answer (nothing listens on its port). */
    protected function twoCallsToAFailingStore(): array
    {
        $store = new RedisBackend(RedisConfig::fromArray(['host' => '127.0.0.1', 'port' => 1, 'timeout' => 0.5]));
        return self::logOf(static function () use ($store): void {
            $store->addCounts([self::key('lost') => [0 => 1]]);
            $store->addCounts([self::key('lost') => [0 => 1, 6 => 1]]);
        });
    }

    public function testACallIsOneRoundTripAndItsHashesExpire(): void
    {
        $store = $this->store();
        $key = self::key('trip');
        $store->addCounts([self::key('load') => [0 => 1]]); // the script loaded
        $before = RedisScripts::$roundTrips;
        $store->addCounts([$key => [0 => 1], self::key('other') => [6 => 1]]);
        self::assertSame(1, RedisScripts::$roundTrips - $before);
        $minute = $store->minuteCounts()[$key][0]->minute;
        $ttl = RedisTestBed::client()->ttl(RedisTestBed::prefix() . 'c:' . $key . ':' . $minute);
        self::assertGreaterThan(60, $ttl);
        self::assertLessThanOrEqual(17 * 60, $ttl, 'gone 17 minutes after its minute began');
    }
}
