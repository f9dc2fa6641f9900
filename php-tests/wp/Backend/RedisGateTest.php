<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\WpTests\Gate\GateTestCase;
use Sluice\WpTests\Support\Provider;
use Sluice\WpTests\Support\Runner;
use Sluice\WpTests\Support\Site;
use SluiceWP\Backend\KeyStatus;
use SluiceWP\Backend\RedisBackend;

/**
 * The gate on the Redis backend, end to end on the fixture pipeline: CLI
 * queue runners and WP-Cron through PHP-FPM, every one of them taking its
 * slots in the test bed's Redis (the test knob `backend` hands the gate a
 * RedisBackend through Sluice's sluice_backend filter). Then the same while
 * Redis is crash-restarted in the middle of the run: the provider never has
 * more than the limit in flight, and nothing is lost.
 */
final class RedisGateTest extends GateTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        RedisTestBed::trust();
        RedisTestBed::emptyStore();
    }

    protected function tearDown(): void
    {
        delete_option('sluice_test_knobs'); // the next tests gate on the backend their settings choose
        parent::tearDown();
    }

    public function testRunnersAndPhpFpmGateThroughRedis(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 2]);
        self::testKnobs(['backend' => 'redis']);
        Provider::reset(latencyMs: 600);
        datamachine_fixture_start_flow('r1', 2);
        datamachine_fixture_start_flow('r2', 2);
        Runner::until(static fn (): bool => Site::unfinishedJobs() === 0, 3, 120.0, 'WP CLI', true);

        self::assertSame(['completed' => 4], Site::jobStatuses());
        self::assertSame(4, Site::processedItems());
        self::assertLessThanOrEqual(1, Provider::stats()['max_in_flight'], 'never two AI requests at once');
        self::assertGreaterThan(0, count(Site::deferrals()), 'runners met the full slot and deferred');
        $status = self::redisStatus();
        self::assertNotNull($status, 'the leases went through Redis');
        self::assertGreaterThanOrEqual(4, $status->acquired);
        self::assertSame(0, $status->active, 'every slot was given back');
        self::assertSame(0, self::keyStatus(self::siteKey())?->acquired ?? 0, 'the extension\'s segment saw none of it');
    }

    /**
     * A burn-in (3 flows x 4 items, 4 runners and WP-Cron, limit 2, a provider
     * that stalls any request above 2) whose Redis is SIGKILLed and started
     * empty while AI steps hold slots: the store notices, holds admissions for
     * the drain time (the request timeout, 3 s), the holders renew into the new
     * store, and the provider never sees a third request.
     */
    public function testARedisRestartInTheMiddleOfABurnInNeverLetsTheProviderPastItsLimit(): void
    {
        Site::configure([], ['request_timeout' => 3, 'retry_base_delay' => 1, 'max_attempts' => 2],
            ['site_limit' => 2, 'throttle_delay' => 1, 'throttle_delay_max' => 2]);
        self::testKnobs(['backend' => 'redis', 'request_timeout' => 3]);
        Provider::reset(latencyMs: 1000, saturateAbove: 2);
        for ($flow = 1; $flow <= 3; $flow++) {
            datamachine_fixture_start_flow("restart$flow", 4);
        }
        $restartedAt = null;
        $epochBefore = RedisTestBed::client()->hGet(RedisTestBed::prefix() . 'epoch', 'id');
        $took = Runner::until(static function () use (&$restartedAt): bool {
            if ($restartedAt === null && Provider::stats()['answered'] >= 3 && Provider::stats()['in_flight'] > 0) {
                RedisTestBed::crashRestart(); // AI steps hold slots and have requests in flight right now
                $restartedAt = microtime(true);
            }
            return Site::unfinishedJobs() === 0;
        }, 4, 180.0, 'WP CLI', true);

        $stats = Provider::stats();
        $epochAfter = RedisTestBed::client()->hGet(RedisTestBed::prefix() . 'epoch', 'id');
        fwrite(STDERR, sprintf("redis restart mid burn-in: 12 items in %.1f s, provider max in flight %d (limit 2), stalled %d, %d deferrals\n",
            $took, $stats['max_in_flight'], $stats['stalled'], count(Site::deferrals())));
        self::assertNotNull($restartedAt, 'Redis was restarted while work was in flight');
        self::assertNotSame($epochBefore, $epochAfter, 'the store noticed it had been emptied (a new epoch)');
        self::assertSame(['completed' => 12], Site::jobStatuses(), 'nothing failed');
        self::assertSame(12, Site::processedItems(), 'nothing lost');
        self::assertLessThanOrEqual(2, $stats['max_in_flight'], 'the provider never had more than the limit in flight');
        self::assertSame(0, $stats['stalled']);
    }

    private static function redisStatus(): ?KeyStatus
    {
        return (new RedisBackend())->operatorView()->keys()[self::siteKey()] ?? null;
    }
}
