<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\RedisTestBed;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\RedisBackend;
use SluiceWP\Backend\RedisConfig;
use Sluice\Support\WordPress\Site;

require_once __DIR__ . '/BackendContractTestCase.php';

/**
 * The Redis backend on a Redis Cluster (a one-node Cluster owning every
 * slot, reached through phpredis's RedisCluster with the setting `cluster`)
 * against the backend contract. Redis 7 refuses a script (with a shebang, as
 * Sluice's are) that touches keys of another slot than its declared key, so
 * this suite passing shows that every record of an install shares its one
 * hash tag; the first test shows that the Cluster does refuse such a script.
 */
final class RedisClusterBackendTest extends BackendContractTestCase
{
    protected function backend(): Backend
    {
        return new RedisBackend(self::config(), 0);
    }

    protected function childBackendCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $backend = new SluiceWP\Backend\RedisBackend(SluiceWP\Backend\RedisConfig::fromArray(' . var_export(['cluster' => ['127.0.0.1:' . RedisTestBed::cluster()]], true) . '), 0);';
    }

    private static function config(): RedisConfig
    {
        return RedisConfig::fromArray(['cluster' => ['127.0.0.1:' . RedisTestBed::cluster()]]);
    }

    public function testTheClusterRefusesAScriptThatLeavesItsSlot(): void
    {
        $node = new \Redis();
        $node->connect('127.0.0.1', RedisTestBed::cluster());
        $prefix = self::config()->keyPrefix();
        $inside = $node->eval("#!lua\nreturn redis.call('SET', KEYS[1] .. 'probe', 1)", [$prefix . 'epoch'], 1);
        self::assertTrue($inside, 'a key under the install\'s prefix is in its slot');
        self::assertFalse($node->eval("#!lua\nreturn redis.call('SET', 'sluice:elsewhere', 1)", [$prefix . 'epoch'], 1));
        self::assertStringContainsString('do not hash to the same slot', (string) $node->getLastError());
    }

    public function testLeasesAndTheLineWorkThroughTheCluster(): void
    {
        $b = $this->backend();
        [$site, $provider] = [self::key('site'), self::key('provider')];
        $holder = $b->tryAcquire([$site => 1, $provider => 1], 60, 'holder');
        self::assertInstanceOf(Lease::class, $holder);
        $ref = random_int(1_000_000, 2_000_000_000);
        self::assertTrue($b->enqueue([$site => 1, $provider => 1], $ref, 'tenant-c', 10, 0)->isNew);
        self::assertTrue($b->release($holder));
        self::assertSame([$ref], array_map(static fn ($w) => $w->ref, array_filter($b->takeWakes(64), static fn ($w) => $w->ref === $ref)));
        $woken = $b->tryAcquireFor([$site => 1, $provider => 1], 60, 'woken', $ref);
        self::assertInstanceOf(Lease::class, $woken);
        $b->operatorView()->sweep();
        self::assertSame(1, $b->operatorView()->keys()[$site]->active, 'the woken copy holds the slot');
        self::assertTrue($b->release($woken));
    }
}
