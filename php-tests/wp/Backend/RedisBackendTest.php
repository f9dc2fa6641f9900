<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\RedisTestBed;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\RedisBackend;
use SluiceWP\Backend\RedisBackendException;
use SluiceWP\Backend\RedisConfig;
use SluiceWP\Backend\RedisScripts;
use SluiceWP\Backend\Refusal;
use Sluice\Support\WordPress\Site;

require_once __DIR__ . '/BackendContractTestCase.php';

/**
 * The Redis backend (the test bed's own Redis, through phpredis) against the
 * backend contract, plus what only it promises: one round trip per acquire
 * and per release, scripts that Redis forgot are loaded again, one hash tag
 * for every record of the install, leases of other hosts, an unreachable
 * Redis.
 */
final class RedisBackendTest extends BackendContractTestCase
{
    use SharedStoreTests;

    protected function setUp(): void
    {
        parent::setUp();
        RedisTestBed::trust();
    }

    protected function backend(): Backend
    {
        return new RedisBackend();
    }

    protected function childBackendCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $backend = new SluiceWP\Backend\RedisBackend();';
    }

    protected function moveToAnotherHost(Lease $lease): void
    {
        // A process of another host that this host cannot see (pid 999999 of it, say).
        RedisTestBed::client()->hMSet(RedisTestBed::prefix() . 'l:' . $lease->token, ['hid' => 'ffffffffffffffff', 'pid' => '999999', 'st' => '1']);
    }

    /** It keeps a mean hold time per key (the line's wait estimate; the database backend keeps none). */
    public function testItKeepsAMeanHoldTime(): void
    {
        $b = $this->backend();
        $key = self::key();
        $lease = $this->lease($b->tryAcquire([$key => 1], 60, 'held 50 ms'));
        usleep(50_000);
        $b->release($lease);
        self::assertGreaterThanOrEqual(45, $b->operatorView()->keys()[$key]->meanHoldMs);
    }

    public function testAnUncontendedAcquireAndReleaseTakeOneRoundTripEach(): void
    {
        $b = $this->backend();
        $limits = [self::key('site') => 3, self::key('provider') => 2];
        $b->release($this->lease($b->tryAcquire($limits, 60, 'warm-up'))); // connected, scripts loaded
        $before = RedisScripts::$roundTrips;
        $lease = $this->lease($b->tryAcquire($limits, 60, 'pair'));
        self::assertSame(1, RedisScripts::$roundTrips - $before, 'round trips for one acquire');
        self::assertTrue($b->release($lease));
        self::assertSame(2, RedisScripts::$roundTrips - $before, 'round trips for one acquire + release pair');
    }

    /** A provider request's mark and the lease's renewal are one script (the gate does both before each request). */
    public function testARequestStartRenewsInTheSameRoundTrip(): void
    {
        $b = $this->backend();
        $key = self::key();
        $lease = $this->lease($b->tryAcquire([$key => 1], 60, 'short ttl'));
        self::assertTrue($b->requestFinished($lease)); // the script is known to Redis from here on
        $before = RedisScripts::$roundTrips;
        self::assertTrue($b->requestStarted($lease, 30, 600));
        self::assertSame(1, RedisScripts::$roundTrips - $before);
        $holder = $b->operatorView()->keys()[$key]->holders[0];
        self::assertTrue($holder->requestOpen);
        self::assertGreaterThan(590_000, $holder->ttlLeftMs, 'renewed to 600 s');
        self::assertGreaterThan(25_000, $holder->drainLeftMs);
        $b->release($lease);
    }

    /** SCRIPT FLUSH (or a restart, or a failover) makes Redis answer NOSCRIPT: the script is loaded once and the call repeated. */
    public function testScriptsRedisForgotAreLoadedAgain(): void
    {
        $b = $this->backend();
        $key = self::key();
        $b->release($this->lease($b->tryAcquire([$key => 1], 60, 'before')));
        RedisTestBed::client()->script('flush');
        $before = RedisScripts::$roundTrips;
        $lease = $this->lease($b->tryAcquire([$key => 1], 60, 'after the flush'));
        self::assertSame(3, RedisScripts::$roundTrips - $before, 'EVALSHA (NOSCRIPT), SCRIPT LOAD, EVALSHA');
        self::assertInstanceOf(Refusal::class, $b->tryAcquire([$key => 1], 60, 'the slot is held'));
        self::assertTrue($b->release($lease));
    }

    /** Every record of the install lives under one prefix with one hash tag: one Redis Cluster slot. */
    public function testEveryRecordOfTheInstallCarriesItsOneHashTag(): void
    {
        $b = $this->backend();
        [$site, $provider] = [self::key('site'), self::key('provider')];
        $holder = $this->lease($b->tryAcquire([$site => 1, $provider => 1], 60, 'holder'));
        $b->enqueue([$site => 1, $provider => 1], random_int(1_000_000, 2_000_000_000), 'tenant-h', 10, 0);
        $prefix = RedisTestBed::prefix();
        self::assertMatchesRegularExpression('/^sluice:\{[0-9a-f]{10}\}:$/', $prefix);
        $redis = RedisTestBed::client();
        $names = [];
        $cursor = null;
        do {
            foreach ($redis->scan($cursor, '*', 1000) ?: [] as $name) {
                $names[] = $name;
            }
        } while ($cursor > 0);
        self::assertGreaterThan(10, count($names));
        self::assertSame([], array_values(array_filter($names, static fn (string $n): bool => !str_starts_with($n, $prefix))), 'no record outside the install\'s prefix');
        $b->operatorView()->reset($site);
        foreach ($b->line() as $queue) {
            foreach ($queue->keys === [$provider => 1, $site => 1] || $queue->keys === [$site => 1, $provider => 1] ? $queue->tickets : [] as $t) {
                $b->cancelTicket($t->ticket);
            }
        }
        unset($holder);
    }

    /** A Redis that does not answer is reported, and its calls throw (the gate then runs the work ungated and says so): never a refusal. */
    public function testAnUnreachableRedisSaysSoAndThrowsInsteadOfRefusing(): void
    {
        $closed = stream_socket_server('tcp://127.0.0.1:0');
        self::assertNotFalse($closed);
        $port = (int) substr((string) strrchr((string) stream_socket_get_name($closed, false), ':'), 1);
        fclose($closed); // nothing listens there now
        $b = new RedisBackend(RedisConfig::fromArray(['port' => $port, 'timeout' => 0.5]));
        self::assertStringContainsString("127.0.0.1:{$port}", (string) $b->unavailableReason());
        self::assertStringContainsString('unreachable', (string) $b->unavailableReason());
        $this->expectException(RedisBackendException::class);
        $b->tryAcquire([self::key() => 1], 60, 'nowhere');
    }

    private function lease(Lease|Refusal $result): Lease
    {
        self::assertInstanceOf(Lease::class, $result);
        return $result;
    }
}
