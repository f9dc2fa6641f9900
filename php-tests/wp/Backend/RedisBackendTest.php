<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\RedisBackend;
use SluiceWP\Backend\RedisBackendException;
use SluiceWP\Backend\RedisConfig;
use SluiceWP\Backend\RedisScripts;
use SluiceWP\Backend\Refusal;

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
        return 'require ' . var_export(dirname(__DIR__) . '/load-wordpress.php', true) . ';
            $backend = new SluiceWP\Backend\RedisBackend();';
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

    public function testCountersAndPeak(): void
    {
        $b = $this->backend();
        $key = self::key();
        $one = $this->lease($b->tryAcquire([$key => 2], 60, 'one'));
        $two = $this->lease($b->tryAcquire([$key => 2], 60, 'two'));
        self::assertInstanceOf(Refusal::class, $b->tryAcquire([$key => 2], 60, 'three'));
        $b->release($one);
        $b->release($two);
        $status = $b->operatorView()->keys()[$key];
        self::assertSame([2, 0, 2, 2, 1, 2], [$status->limit, $status->active, $status->peak, $status->acquired, $status->throttled, $status->released]);
        self::assertGreaterThan(0, $status->meanHoldMs, 'it keeps a mean hold time, for the line\'s wait estimate');
    }

    /** A lease of another host (or another pid namespace) is never judged dead here: only its TTL frees it. */
    public function testALeaseOfAnotherHostComesBackOnlyByItsTtl(): void
    {
        $b = $this->backend();
        $key = self::key('remote');
        $lease = $this->lease($b->tryAcquire([$key => 1], 2, 'remote'));
        // The holder becomes a process of another host that this host cannot see (pid 1 of it, say).
        RedisTestBed::client()->hMSet(RedisTestBed::prefix() . 'l:' . $lease->token, ['hid' => 'ffffffffffffffff', 'pid' => '999999', 'st' => '1']);
        self::assertInstanceOf(Refusal::class, $b->tryAcquire([$key => 1], 60, 'local'));
        $b->operatorView()->sweep(); // (other tests' lapsed reservations may go now; this lease may not)
        self::assertSame([1, 0], [$b->operatorView()->keys()[$key]->active, $b->operatorView()->keys()[$key]->reclaimedDead], 'nothing this host can judge dead');
        usleep(2_100_000);
        self::assertInstanceOf(Lease::class, $b->tryAcquire([$key => 1], 60, 'after the ttl'));
        self::assertSame(1, $b->operatorView()->keys()[$key]->reclaimedExpired);
    }

    public function testHoldersNameTheirHost(): void
    {
        $b = $this->backend();
        $key = self::key();
        $lease = $this->lease($b->tryAcquire([$key => 1], 60, 'here'));
        self::assertSame((string) gethostname(), $b->operatorView()->keys()[$key]->holders[0]->host);
        $b->release($lease);
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
