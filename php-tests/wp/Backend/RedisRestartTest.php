<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\RedisTestBed;
use Sluice\Tests\Support\SluiceTestCase;
use Sluice\Support\WordPress\Runner;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\RedisBackend;
use SluiceWP\Backend\RedisStore;
use SluiceWP\Backend\Refusal;
use Sluice\Support\WordPress\Site;

/**
 * A Redis restarted without persistence has forgotten every lease while
 * their holders still run. The backend notices (the store's epoch is gone)
 * and admits nothing for the drain time; holders that renew meanwhile enter
 * their leases again. Done for real: the test bed's Redis is SIGKILLed and
 * started empty on the same port.
 */
final class RedisRestartTest extends SluiceTestCase
{
    private const DRAIN = 2;

    protected function setUp(): void
    {
        RedisTestBed::trust();
    }

    protected function tearDown(): void
    {
        RedisTestBed::trust(); // the next tests find a trusted store
    }

    public function testAStoreThatLostItsRecordsAdmitsNothingForTheDrainTime(): void
    {
        $b = new RedisBackend(null, self::DRAIN);
        [$key, $other] = [self::key('restart'), self::key('restart-other')];
        $holder = $b->tryAcquire([$key => 1], 600, 'held across the restart');
        self::assertInstanceOf(Lease::class, $holder);
        // Another process holds a slot of its own and goes on after the restart, without renewing.
        $child = Runner::php('require ' . var_export(Site::loader(), true) . ';
            $backend = new SluiceWP\Backend\RedisBackend(null, 2);
            $lease = $backend->tryAcquire([$key => 2], 600, "child");
            echo $lease instanceof SluiceWP\Backend\Lease ? "held\n" : "refused\n";
            sleep(60);', ['key' => $other]);
        $child->expectLine('held');

        RedisTestBed::crashRestart();
        $restarted = microtime(true);
        $refusal = $b->tryAcquire([$other => 2], 60, 'a newcomer right after the restart');
        self::assertInstanceOf(Refusal::class, $refusal, 'the empty store is not trusted');
        self::assertSame([$other, 2, 2], [$refusal->key, $refusal->limit, $refusal->active], 'every slot counts as held');
        self::assertTrue($b->renew($holder, 600), 'the holder renews: its lease is entered again');
        self::assertSame(1, $b->operatorView()->keys()[$key]->active);

        $granted = null;
        while ($granted === null && microtime(true) - $restarted < 10) {
            $try = $b->tryAcquire([$other => 2], 60, 'after the drain');
            $granted = $try instanceof Lease ? $try : null;
            usleep(50_000);
        }
        $waited = microtime(true) - $restarted;
        self::assertNotNull($granted, 'admissions resumed after the drain');
        self::assertGreaterThan(self::DRAIN - 0.2, $waited, 'not before the drain time');
        self::assertLessThan(self::DRAIN + 2, $waited);
        self::assertInstanceOf(Refusal::class, $b->tryAcquire([$key => 1], 60, 'newcomer'), 'the renewed holder still counts');
        self::assertTrue($b->release($holder));
        self::assertInstanceOf(Lease::class, $b->tryAcquire([$key => 1], 60, 'after its release'));
        $child->kill(9);
    }

    /** The install's very first use of a Redis has nothing to distrust; once it has used one, losing the store is noticed. */
    public function testTheInstallsFirstUseTrustsTheEmptyStore(): void
    {
        $b = new RedisBackend(null, 60);
        delete_site_option(RedisStore::EPOCH_OPTION);
        RedisTestBed::client()->flushAll();
        self::assertInstanceOf(Lease::class, $b->tryAcquire([self::key('first') => 1], 60, 'first use'));
        self::assertNotSame('', get_site_option(RedisStore::EPOCH_OPTION, ''), 'the store\'s epoch is remembered in the database');
        RedisTestBed::client()->flushAll();
        self::assertInstanceOf(Refusal::class, $b->tryAcquire([self::key('second') => 1], 60, 'after a flush'), 'a flushed store is held for the drain');
    }
}
