<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\WpTests\Gate\GateTestCase;
use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\DatabaseBackend;
use SluiceWP\Backend\KeyStatus;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\NativeBackend;

/**
 * The gate on the database backend, end to end on the fixture pipeline:
 * queue runners in a PHP without the extension (the setting `backend` left
 * at auto), and runners with the extension where the setting says database.
 */
final class DatabaseGateTest extends GateTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        (new DatabaseBackend())->operatorView()->reset(self::siteKey());
    }

    public function testWithoutTheExtensionAutoGatesOnTheDatabaseBackend(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 2]);
        Provider::reset(latencyMs: 800);
        datamachine_fixture_start_flow('db1', 2);
        datamachine_fixture_start_flow('db2', 2);
        $before = self::databaseStatus()?->acquired ?? 0;
        self::runWithoutTheExtensionUntil(static fn (): bool => Site::unfinishedJobs() === 0, 3, 120.0);

        self::assertSame(['completed' => 4], Site::jobStatuses());
        self::assertSame(4, Site::processedItems());
        self::assertLessThanOrEqual(1, Provider::stats()['max_served_in_flight'], 'never two AI requests at once');
        self::assertGreaterThan(0, count(Site::deferrals()), 'runners met the full slot and deferred');
        self::assertArrayNotHasKey('failed', Site::actionStatuses('datamachine_execute_step'));
        $status = self::databaseStatus();
        self::assertNotNull($status, 'the leases went through the database');
        self::assertGreaterThanOrEqual(4, $status->acquired - $before);
        self::assertSame(0, $status->active, 'every slot was given back');
        self::assertGreaterThan(0, $status->throttled);
        self::assertSame(0, self::keyStatus(self::siteKey())?->acquired ?? 0, 'the extension\'s segment saw none of it');
    }

    public function testTheSettingDatabaseMovesRunnersWithTheExtensionToTheDatabase(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 30, 'backend' => 'database']);
        $throttled = self::databaseStatus()?->throttled ?? 0;
        $other = (new DatabaseBackend())->tryAcquire([self::siteKey() => 1], 600, 'a concurrent AI step on another host');
        self::assertInstanceOf(Lease::class, $other);
        datamachine_fixture_start_flow('db3', 1);
        self::runQueueOnce(); // a runner with the extension loaded
        self::assertCount(1, Site::deferrals(), 'the AI step met the database slot and deferred');
        self::assertSame(0, Provider::stats()['total']);
        self::assertSame($throttled + 1, self::databaseStatus()?->throttled);
        (new DatabaseBackend())->release($other);
        $released = (int) self::databaseStatus()?->released;

        self::sluice(['site_limit' => 1, 'backend' => 'database']);
        global $wpdb; // the copy is due now
        $wpdb->query("UPDATE {$wpdb->prefix}actionscheduler_actions SET scheduled_date_gmt = UTC_TIMESTAMP() - INTERVAL 1 SECOND, scheduled_date_local = NOW() - INTERVAL 1 SECOND WHERE status = 'pending'");
        self::runQueueOnce();
        self::assertSame(['completed' => 1], Site::jobStatuses());
        self::assertSame([$released + 1, 0], [self::databaseStatus()?->released, self::databaseStatus()?->active], 'the step took the database slot and gave it back');
        self::assertSame(0, self::keyStatus(self::siteKey())?->acquired ?? 0, 'not the extension\'s');
    }

    private static function databaseStatus(): ?KeyStatus
    {
        return (new DatabaseBackend())->operatorView()->keys()[self::siteKey()] ?? null;
    }

    /** Runner::until()'s loop, with runners in this PHP without its php.ini's extension (the system's CLI configuration). */
    private static function runWithoutTheExtensionUntil(callable $done, int $count, float $timeoutSeconds): void
    {
        $start = microtime(true);
        $runners = [];
        try {
            while (!$done()) {
                self::assertLessThan($timeoutSeconds, microtime(true) - $start, 'the work was not done in time');
                foreach ($runners as $i => $runner) {
                    if (!$runner->running()) {
                        self::assertSame(0, $runner->wait(), 'a runner without the extension failed: ' . $runner->output());
                        unset($runners[$i]);
                    }
                }
                while (count($runners) < $count) {
                    $runners[] = Runner::cliWithoutExtension();
                }
                usleep(100000);
            }
        } finally {
            foreach ($runners as $runner) {
                $runner->wait(60.0);
            }
        }
    }
}
