<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\RedisTestBed;
use Sluice\WpTests\Gate\GateTestCase;
use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\RedisRestartRun;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\KeyStatus;
use SluiceWP\Backend\RedisBackend;

/**
 * The gate on the Redis backend, end to end on the fixture pipeline: CLI
 * queue runners and WP-Cron through PHP-FPM, every one of them taking its
 * slots in the test bed's Redis (the setting `backend` = redis, SLUICE_REDIS
 * from the test site's must-use plugin). Then the same while
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
        delete_option('sluice_test_knobs');
        delete_option('sluice_settings'); // the next tests gate on the backend their own settings choose
        parent::tearDown();
    }

    public function testRunnersAndPhpFpmGateThroughRedis(): void
    {
        self::sluice(['backend' => 'redis', 'site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 2]);
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
     * A burn-in (RedisRestartRun: 3 flows x 4 items, 4 runners and WP-Cron,
     * limit 2, a provider that stalls any request above 2) whose Redis is
     * SIGKILLed and started empty while AI steps hold slots: the store notices,
     * holds admissions for the drain time (the request timeout, 3 s), the
     * holders renew into the new store, and the provider never sees a third
     * request.
     */
    public function testARedisRestartInTheMiddleOfABurnInNeverLetsTheProviderPastItsLimit(): void
    {
        $r = RedisRestartRun::run(flows: 3, items: 4, limit: 2, latencyMs: 1000, requestTimeout: 3, runners: 4);
        fwrite(STDERR, sprintf("redis restart mid burn-in: %d items in %.1f s, provider max in flight %d (limit 2), stalled %d, %d deferrals\n",
            $r['items'], $r['took'], $r['max_in_flight'], $r['stalled'], $r['deferrals']));
        self::assertTrue($r['restarted'], 'Redis was restarted while work was in flight');
        self::assertTrue($r['epoch_changed'], 'the store noticed it had been emptied (a new epoch)');
        self::assertSame([12, 0, 12], [$r['completed'], $r['failed'], $r['processed']], 'nothing failed, nothing lost');
        self::assertLessThanOrEqual(2, $r['max_in_flight'], 'the provider never had more than the limit in flight');
        self::assertSame(0, $r['stalled']);
    }

    private static function redisStatus(): ?KeyStatus
    {
        return (new RedisBackend())->operatorView()->keys()[self::siteKey()] ?? null;
    }
}
