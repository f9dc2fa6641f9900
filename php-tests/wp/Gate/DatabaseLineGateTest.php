<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\DatabaseBackend;
use SluiceWP\Backend\DatabaseLineSchema;

/**
 * The waiting line of the database backend, end to end on the fixture
 * pipeline with real runners (the setting `backend` says database): a freed
 * slot is reserved for the next ticket and its copy pulled forward, long
 * before the fallback delay would run it.
 */
final class DatabaseLineGateTest extends GateTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        global $wpdb;
        (new DatabaseBackend())->operatorView()->reset(self::siteKey());
        foreach ((new DatabaseLineSchema())->tables() as $table) {
            $wpdb->query("DELETE FROM {$table}");
        }
    }

    public function testFreedDatabaseSlotsGoToTheWaitingStepsByWakes(): void
    {
        // A long fallback delay: only a wake can explain a quick hand-off.
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60, 'throttle_delay_max' => 60, 'backend' => 'database']);
        Provider::reset(latencyMs: 500);
        foreach (['dl1', 'dl2', 'dl3'] as $flow) {
            datamachine_fixture_start_flow($flow, 2);
        }
        $nativeBefore = self::keyStatus(self::siteKey())?->acquired ?? 0; // earlier tests used the extension's segment
        $start = microtime(true);
        Runner::until(static fn () => Site::processedItems() === 6, 3, 150);
        $elapsed = microtime(true) - $start;

        self::assertSame(6, Site::processedItems(), 'every item was processed');
        self::assertSame(['completed' => 6], Site::jobStatuses());
        self::assertLessThanOrEqual(1, Provider::stats()['max_served_in_flight'], 'never two AI requests at once');
        $runs = Site::aiRuns();
        self::assertCount(6, $runs);
        $gaps = [];
        for ($i = 1; $i < count($runs); $i++) {
            $gaps[] = $runs[$i]['started'] - $runs[$i - 1]['finished'];
        }
        sort($gaps);
        $median = $gaps[intdiv(count($gaps), 2)];
        $deferrals = Site::deferrals();
        $waiting = [];
        foreach ($deferrals as $event) {
            $waiting[(string) $event['work_key']] = true;
        }
        fwrite(STDERR, sprintf("database line: %d items in %.1f s, hand-off median %.0f ms, max %.0f ms, %d deferrals of %d waiting items\n",
            6, $elapsed, 1000 * $median, 1000 * max($gaps), count($deferrals), count($waiting)));
        self::assertGreaterThan(-0.05, min($gaps), 'never two AI steps at once');
        self::assertLessThan(5.0, $median, 'freed slots were handed on by wakes, not by the 60 s fallback delay');
        self::assertLessThan(150.0, $elapsed);
        self::assertGreaterThan(0, count($deferrals), 'steps met the full slot and waited in line');
        self::assertLessThanOrEqual(count($waiting) + 2, count($deferrals), 'each waiting item was deferred about once');
        $status = (new DatabaseBackend())->operatorView()->keys()[self::siteKey()] ?? null;
        self::assertNotNull($status, 'the leases went through the database');
        self::assertSame(0, $status->active, 'every slot was given back (no reservation left)');
        self::assertGreaterThanOrEqual(3, $status->wakesSent, 'slots were handed on by wakes');
        self::assertSame([], (new DatabaseBackend())->line(), 'the line is empty');
        self::assertSame($nativeBefore, self::keyStatus(self::siteKey())?->acquired ?? 0, 'the extension\'s segment saw none of it');
    }
}
