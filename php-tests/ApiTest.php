<?php
declare(strict_types=1);

namespace Sluice\Tests;

use Sluice\Lease;
use Sluice\Limiter;
use Sluice\Tests\Support\Child;
use Sluice\Tests\Support\Segments;
use Sluice\Tests\Support\SluiceTestCase;

/** The public API in one process: leases, limits, views and operator functions. */
final class ApiTest extends SluiceTestCase
{
    public function testTryAcquireGrantsUpToTheLimitThenRefuses(): void
    {
        $key = self::key('api-limit');
        $limiter = new Limiter([$key => 2]);
        $a = $limiter->tryAcquire();
        $b = $limiter->tryAcquire();
        self::assertInstanceOf(Lease::class, $a);
        self::assertInstanceOf(Lease::class, $b);
        self::assertNull($limiter->tryAcquire());
        self::assertSame(['key' => $key, 'limit' => 2, 'active' => 2, 'kind' => 'slot', 'retry_after_ms' => 0, 'level' => 0.0], $limiter->lastRefusal());
        self::assertNotSame($a->token(), $b->token());

        self::assertTrue($a->release());
        $c = $limiter->tryAcquire();
        self::assertInstanceOf(Lease::class, $c);
        self::assertNull($limiter->lastRefusal(), 'a grant clears the refusal');

        $s = self::countersOf($key);
        self::assertSame(2, $s['active']);
        self::assertSame(2, $s['limit']);
        self::assertSame(2, $s['peak']);
        self::assertSame(3, $s['acquired']);
        self::assertSame(1, $s['throttled']);
        self::assertSame(1, $s['released']);
        self::assertSame(0, $s['reclaimed_dead']);
        self::assertSame(0, $s['reclaimed_expired']);
        self::assertSame(0, $s['waiters']);
    }

    public function testLeaseBasics(): void
    {
        $key = self::key('api-lease');
        $limiter = new Limiter([$key => 1], 30);
        self::assertNull($limiter->lastRefusal(), 'no call yet');
        $lease = $limiter->tryAcquire('job 42');
        self::assertNotNull($lease);
        self::assertMatchesRegularExpression('/^[0-9a-f]{40}$/', $lease->token());
        self::assertSame($lease->token(), $lease->token());
        self::assertSame([$key], $lease->keys());
        self::assertTrue($lease->isHeld());
        self::assertTrue($lease->renew(60));
        self::assertTrue($lease->release());
        self::assertFalse($lease->isHeld());
        self::assertFalse($lease->release(), 'release is idempotent and says so');
        self::assertFalse($lease->renew(60), 'a released lease cannot be renewed');
        self::assertSame(0, self::statusOf($key)['active']);
    }

    public function testTokensAreDistinctAndUnguessableLooking(): void
    {
        $limiter = new Limiter([self::key('api-tokens') => 64]);
        $leases = [];
        for ($i = 0; $i < 64; $i++) {
            $leases[] = $limiter->tryAcquire();
        }
        $tokens = array_map(fn (Lease $l) => $l->token(), $leases);
        self::assertCount(64, array_unique($tokens));
        // The random part (after the 8-digit record index) uses every hex digit.
        $random = implode('', array_map(fn (string $t) => substr($t, 8), $tokens));
        self::assertCount(16, count_chars($random, 1));
    }

    public function testLimiterAccessors(): void
    {
        $site = self::key('api-site');
        $limiter = new Limiter([$site => 3, 'provider:acc' => 1], 45);
        self::assertSame([$site => 3, 'provider:acc' => 1], $limiter->limits());
        self::assertSame(45, $limiter->ttl());
        self::assertSame((int) ini_get('sluice.default_ttl'), (new Limiter([$site => 3]))->ttl(), '0 = sluice.default_ttl');
        self::assertSame(600, (new Limiter([$site => 3]))->ttl());
    }

    public function testIntegerArrayKeysBecomeStringKeys(): void
    {
        $n = random_int(100000, 999999);
        $limiter = new Limiter([$n => 1]);  // PHP stores it as an int key
        $lease = $limiter->tryAcquire();
        self::assertSame([(string) $n], $lease->keys());
        self::assertArrayHasKey((string) $n, \Sluice\status());
        self::assertSame([$n => 1], $limiter->limits());
    }

    public function testTwoKeysAreAllOrNothing(): void
    {
        $site = self::key('api-site');
        $provider = self::key('api-provider');
        $a = new Limiter([$site => 3, $provider => 1]);
        $first = $a->tryAcquire('first');
        self::assertNotNull($first);
        self::assertSame([$site, $provider], $first->keys());

        // The provider key is full: the second attempt takes nothing on the site key.
        self::assertNull($a->tryAcquire('second'));
        self::assertSame(['key' => $provider, 'limit' => 1, 'active' => 1, 'kind' => 'slot', 'retry_after_ms' => 0, 'level' => 0.0], $a->lastRefusal());
        self::assertSame(1, self::statusOf($site)['active']);
        self::assertSame(1, self::statusOf($provider)['active']);
        self::assertSame(1, self::statusOf($site)['acquired']);

        // A limiter on the site key alone still has two slots.
        $siteOnly = new Limiter([$site => 3]);
        $x = $siteOnly->tryAcquire();
        $y = $siteOnly->tryAcquire();
        self::assertNotNull($x);
        self::assertNotNull($y);
        self::assertNull($siteOnly->tryAcquire());
        self::assertSame(['key' => $site, 'limit' => 3, 'active' => 3, 'kind' => 'slot', 'retry_after_ms' => 0, 'level' => 0.0], $siteOnly->lastRefusal());

        // Releasing the two-key lease frees both keys at once.
        self::assertTrue($first->release());
        self::assertSame(2, self::statusOf($site)['active']);
        self::assertSame(0, self::statusOf($provider)['active']);
    }

    public function testStatusDescribesHolders(): void
    {
        $key = self::key('api-status');
        $limiter = new Limiter([$key => 2], 120);
        $lease = $limiter->tryAcquire('flow step 7');
        $status = \Sluice\status();
        self::assertArrayHasKey($key, $status);
        $entry = $status[$key];
        self::assertSame(['limit', 'active', 'peak', 'peak_since', 'waiters', 'acquired', 'throttled', 'released',
            'reclaimed_dead', 'reclaimed_expired', 'mean_hold_ms', 'queued', 'reserved', 'wakes_sent', 'wakes_lapsed',
            'wakes_missed', 'holders'], array_keys($entry));
        self::assertCount(1, $entry['holders']);
        $h = $entry['holders'][0];
        self::assertSame(['token', 'pid', 'label', 'age_ms', 'ttl_left_ms', 'waiting', 'request_open', 'drain_left_ms',
            'owner_dead', 'ref', 'reservation', 'scope'], array_keys($h));
        self::assertSame($lease->token(), $h['token']);
        self::assertSame(getmypid(), $h['pid']);
        self::assertSame('flow step 7', $h['label']);
        self::assertGreaterThanOrEqual(0, $h['age_ms']);
        self::assertLessThan(5000, $h['age_ms']);
        self::assertGreaterThan(115000, $h['ttl_left_ms']);
        self::assertLessThanOrEqual(120000, $h['ttl_left_ms']);
        self::assertFalse($h['waiting']);
        self::assertFalse($h['request_open']);
        self::assertSame(0, $h['drain_left_ms']);
        self::assertFalse($h['owner_dead']);
        self::assertSame('', $h['scope'], 'a limiter without a scope');
        $scoped = (new Limiter([$key => 2], 120, 'a1b2c3d4e5/7'))->tryAcquire();
        self::assertSame(['', 'a1b2c3d4e5/7'], array_column(self::statusOf($key)['holders'], 'scope'));
        $scoped->release();
    }

    /**
     * `peak` is the most slots held at once under the limit in force, since `peak_since`: a limit-1 key does not
     * show 2 from an earlier limit-2 run, and reset() starts it again.
     */
    public function testPeakCountsSinceTheLimitInForceAndSaysSinceWhen(): void
    {
        $key = self::key('api-peak');
        $created = time();
        $two = new Limiter([$key => 2]);
        $a = $two->tryAcquire();
        $b = $two->tryAcquire();
        $s = self::statusOf($key);
        self::assertSame(2, $s['peak']);
        self::assertEqualsWithDelta($created, $s['peak_since'], 1);
        $a->release();
        $b->release();
        sleep(1);
        $changed = time();
        $one = (new Limiter([$key => 1]))->tryAcquire();
        $s = self::statusOf($key);
        self::assertSame(1, $s['limit']);
        self::assertSame(1, $s['peak'], 'the peak of the limit-2 run is not this limit\'s');
        self::assertGreaterThanOrEqual($changed, $s['peak_since']);
        $one->release();
        self::assertSame(1, self::statusOf($key)['peak'], 'kept while the limit stays');
        sleep(1);
        $reset = time();
        \Sluice\reset($key);
        $s = self::statusOf($key);
        self::assertSame(0, $s['peak']);
        self::assertGreaterThanOrEqual($reset, $s['peak_since']);
    }

    public function testLongLabelsAreTruncated(): void
    {
        $key = self::key('api-label');
        $lease = (new Limiter([$key => 1]))->tryAcquire(str_repeat('x', 500));
        self::assertNotNull($lease);
        self::assertSame(str_repeat('x', 96), self::statusOf($key)['holders'][0]['label']);
    }

    public function testLeasesAndLimitersEqualOnlyThemselves(): void
    {
        $limiter = new Limiter([self::key('api-equal') => 2]);
        $first = $limiter->tryAcquire();
        $second = $limiter->tryAcquire();
        self::assertNotNull($first);
        self::assertNotNull($second);
        self::assertTrue($first == $first);
        self::assertFalse($first == $second, 'two leases are two leases');
        self::assertSame(1, array_search($second, [$first, $second]), 'non-strict search finds the right one');
        self::assertFalse($limiter == new Limiter([self::key('api-other') => 1]));
    }

    public function testTruncatedLabelsStayValidUtf8(): void
    {
        $key = self::key('api-label-utf8');
        // 1 + 40 x 3 bytes: byte 96 falls inside the 32nd euro sign.
        $lease = (new Limiter([$key => 1]))->tryAcquire('a' . str_repeat('€', 40));
        self::assertNotNull($lease);
        $label = self::statusOf($key)['holders'][0]['label'];
        self::assertSame('a' . str_repeat('€', 31), $label, 'cut before the character that would not fit');
        self::assertNotFalse(json_encode(\Sluice\status()), 'status() encodes as JSON');
    }

    public function testSegmentInfo(): void
    {
        $key = self::key('api-info');
        $before = \Sluice\segment_info();
        $lease = (new Limiter([$key => 1]))->tryAcquire();
        $info = \Sluice\segment_info();
        self::assertSame(['name', 'generation', 'size_bytes', 'max_keys', 'slots_per_key', 'max_leases',
            'key_count', 'leases_in_use', 'repairs', 'max_tickets', 'tickets_in_use', 'corruption_repairs',
            'corruption_resets', 'slots_per_key_setting'], array_keys($info));
        self::assertSame('sluice.max_slots_per_key', $info['slots_per_key_setting'], 'what raises slots_per_key');
        self::assertSame(Segments::shmName(Segments::main()), $info['name']);
        self::assertGreaterThanOrEqual(1, $info['generation']);
        self::assertSame(256, $info['max_keys']);
        self::assertSame(64, $info['slots_per_key']);
        self::assertSame(4096, $info['max_leases']);
        self::assertSame(filesize(\Sluice\segment_path()), $info['size_bytes']);
        self::assertSame($before['key_count'] + 1, $info['key_count']);
        self::assertSame($before['leases_in_use'] + 1, $info['leases_in_use']);
        $lease->release();
        self::assertSame($before['leases_in_use'], \Sluice\segment_info()['leases_in_use']);
    }

    public function testSegmentPathIsDerivedFromTheLayoutVersion(): void
    {
        self::assertIsInt(\Sluice\LAYOUT_VERSION);
        self::assertGreaterThanOrEqual(1, \Sluice\LAYOUT_VERSION);
        $prefix = '/dev/shm/sluice.v' . \Sluice\LAYOUT_VERSION . '.';
        self::assertSame($prefix . Segments::main(), \Sluice\segment_path());
        self::assertSame(\Sluice\segment_path(), \Sluice\segment_path(null));
        self::assertSame($prefix . 'other-site_1.a', \Sluice\segment_path('other-site_1.a'));
        self::assertSame('/dev/shm' . \Sluice\segment_info()['name'], \Sluice\segment_path(), 'the file of the segment in use');
        self::assertFileExists(\Sluice\segment_path());

        $r = Child::run(<<<'PHP'
            try { echo json_encode(Sluice\segment_path()), "\n"; }
            catch (Sluice\SegmentException $e) { echo json_encode($e->getMessage()), "\n"; }
            PHP, [], ['sluice.segment' => 'bad/name']);
        self::assertStringContainsString('invalid configuration: sluice.segment may contain only', $r->json());
    }

    public function testReleaseAndRenewByToken(): void
    {
        $key = self::key('api-token');
        $lease = (new Limiter([$key => 1], 60))->tryAcquire();
        $token = $lease->token();

        self::assertTrue(\Sluice\renew($token, 2));
        $ttlLeft = self::statusOf($key)['holders'][0]['ttl_left_ms'];
        self::assertLessThanOrEqual(2000, $ttlLeft);
        self::assertGreaterThan(1000, $ttlLeft);
        self::assertTrue($lease->renew(300));
        self::assertGreaterThan(290000, self::statusOf($key)['holders'][0]['ttl_left_ms']);

        self::assertTrue(\Sluice\release($token));
        self::assertFalse($lease->isHeld(), 'the object sees a release by token');
        self::assertFalse(\Sluice\release($token), 'a second release by token is refused');
        self::assertFalse(\Sluice\renew($token, 10));
        self::assertFalse($lease->release());
        self::assertSame(0, self::statusOf($key)['active']);
        self::assertSame(1, self::statusOf($key)['released']);

        // A well-formed token that was never issued.
        self::assertFalse(\Sluice\release(str_repeat('0', 8) . str_repeat('ab', 16)));
        self::assertFalse(\Sluice\release('ffffffff' . str_repeat('12', 16)), 'record index out of range');
    }

    public function testReleaseByTokenFromAnotherProcess(): void
    {
        $key = self::key('api-xproc');
        $lease = (new Limiter([$key => 1]))->tryAcquire();
        $r = Child::run('echo json_encode([Sluice\release($token), Sluice\release($token)]), "\n";',
            ['token' => $lease->token()]);
        self::assertSame([true, false], $r->json(), $r->describe());
        self::assertFalse($lease->isHeld());
        self::assertNotNull((new Limiter([$key => 1]))->tryAcquire());
    }

    public function testResetDropsEveryLeaseOfAKey(): void
    {
        $key = self::key('api-reset');
        $other = self::key('api-other');
        $limiter = new Limiter([$key => 3]);
        $a = $limiter->tryAcquire();
        $b = $limiter->tryAcquire();
        $keep = (new Limiter([$other => 1]))->tryAcquire();

        self::assertSame(2, \Sluice\reset($key));
        self::assertFalse($a->isHeld());
        self::assertFalse($b->isHeld());
        self::assertFalse($a->release());
        self::assertTrue($keep->isHeld(), 'other keys are untouched');
        self::assertSame(0, self::statusOf($key)['active']);
        self::assertSame(0, \Sluice\reset($key));
        self::assertSame(0, \Sluice\reset(self::key('api-never-used')));
        self::assertNotNull($limiter->tryAcquire());
    }

    public function testResetOfOneKeyDropsMultiKeyLeasesEverywhere(): void
    {
        $site = self::key('api-site');
        $provider = self::key('api-provider');
        $lease = (new Limiter([$site => 2, $provider => 2]))->tryAcquire();
        self::assertSame(1, \Sluice\reset($provider));
        self::assertFalse($lease->isHeld());
        self::assertSame(0, self::statusOf($site)['active']);
    }

    public function testSweepReclaimsExpiredLeases(): void
    {
        $key = self::key('api-sweep');
        $lease = (new Limiter([$key => 5], 1))->tryAcquire();
        $live = (new Limiter([$key => 5], 60))->tryAcquire();
        usleep(1100000);
        $swept = \Sluice\sweep();
        self::assertSame(['reclaimed_dead', 'reclaimed_expired'], array_keys($swept));
        self::assertGreaterThanOrEqual(1, $swept['reclaimed_expired']);
        self::assertFalse($lease->isHeld());
        self::assertTrue($live->isHeld());
        $s = self::countersOf($key);
        self::assertSame(1, $s['reclaimed_expired']);
        self::assertSame(1, $s['active']);
        self::assertSame(0, \Sluice\sweep()['reclaimed_expired'], 'nothing left to sweep');
    }

    public function testAnExpiredLeaseIsReclaimedByTheNextAcquire(): void
    {
        $key = self::key('api-expire');
        $limiter = new Limiter([$key => 1], 1);
        $old = $limiter->tryAcquire();
        self::assertNull($limiter->tryAcquire());
        usleep(1100000);
        $new = $limiter->tryAcquire();
        self::assertNotNull($new);
        self::assertFalse($old->isHeld());
        self::assertFalse($old->release());
        self::assertTrue($new->isHeld());
        self::assertSame(1, self::countersOf($key)['reclaimed_expired']);
    }

    public function testLimitersShareKeys(): void
    {
        $key = self::key('api-share');
        $a = new Limiter([$key => 2]);
        $b = new Limiter([$key => 2]);
        $x = $a->tryAcquire();
        $y = $b->tryAcquire();
        self::assertNotNull($x);
        self::assertNotNull($y);
        self::assertNull($a->tryAcquire());
        self::assertNull($b->tryAcquire());
    }

    public function testClonedLimiterWorksIndependently(): void
    {
        $key = self::key('api-clone');
        $a = new Limiter([$key => 2], 30);
        $b = clone $a;
        unset($a);
        self::assertSame([$key => 2], $b->limits());
        self::assertSame(30, $b->ttl());
        self::assertNotNull($b->tryAcquire());
    }

    public function testClassesAreFinalAndLeasesCannotBeMadeOrCopied(): void
    {
        foreach ([Limiter::class, Lease::class] as $class) {
            self::assertTrue((new \ReflectionClass($class))->isFinal(), "$class is final");
        }
        self::assertTrue(is_subclass_of(\Sluice\SegmentException::class, \Sluice\Exception::class));
        self::assertTrue(is_subclass_of(\Sluice\CapacityException::class, \Sluice\Exception::class));
        self::assertTrue(is_subclass_of(\Sluice\Exception::class, \RuntimeException::class));

        $lease = (new Limiter([self::key('api-final') => 1]))->tryAcquire();
        foreach ([
            'new Lease' => fn () => new Lease(),
            'clone Lease' => fn () => clone $lease,
            'serialize Lease' => fn () => serialize($lease),
            'serialize Limiter' => fn () => serialize(new Limiter([self::key('api-ser') => 1])),
            'newInstanceWithoutConstructor' => fn () => (new \ReflectionClass(Lease::class))->newInstanceWithoutConstructor(),
        ] as $what => $attempt) {
            try {
                $attempt();
                self::fail("$what should fail");
            } catch (\Throwable $e) {
                self::assertNotInstanceOf(\PHPUnit\Framework\AssertionFailedError::class, $e, $what);
            }
        }
        self::assertTrue($lease->isHeld(), 'the failed copies changed nothing');
    }

    public function testVarDumpShowsState(): void
    {
        $key = self::key('api-dump');
        $limiter = new Limiter([$key => 1], 9);
        $lease = $limiter->tryAcquire();
        ob_start();
        var_dump($limiter, $lease);
        $dump = ob_get_clean();
        self::assertStringContainsString($key, $dump);
        self::assertStringContainsString('["ttl"]=>' . "\n  int(9)", $dump);
        self::assertStringContainsString($lease->token(), $dump);
    }

    public function testPhpinfoSection(): void
    {
        $r = Child::run(<<<'PHP'
            ob_start(); phpinfo(INFO_MODULES); $before = ob_get_clean();
            Sluice\segment_info();
            ob_start(); phpinfo(INFO_MODULES); $after = ob_get_clean();
            echo json_encode([$before, $after]), "\n";
            PHP);
        [$before, $after] = $r->json();
        self::assertStringContainsString('Sluice support => enabled', $before);
        self::assertStringContainsString('Shared memory name => ' . Segments::shmName(Segments::main()), $before);
        self::assertStringContainsString('Attached in this process => no', $before);
        self::assertStringContainsString('sluice.max_leases => 4096 => 4096', $before);
        self::assertStringContainsString('sluice.test_hooks => 1 => 1', $before);
        self::assertStringContainsString('Attached in this process => yes', $after);
        self::assertMatchesRegularExpression('/Generation => \d+/', $after);
        self::assertStringContainsString('Capacity => 256 keys, 64 slots per key, 4096 leases', $after);
        self::assertMatchesRegularExpression('/Leases in use => \d+/', $after);
        self::assertMatchesRegularExpression('/Repairs after crashes => \d+/', $after);
        self::assertSame(phpversion('sluice'), '0.1.0');
    }
}
