<?php
declare(strict_types=1);

namespace Sluice\ApacheTests;

use Sluice\ApacheTests\Support\Apache;
use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use Sluice\WpTests\Gate\GateTestCase;

/**
 * The gate end to end through WordPress served by Apache: the Data Machine
 * fixture's pipeline run only by WP-Cron requests to Apache (no CLI runner),
 * limit 1, two jobs: one AI step is admitted in an Apache child, the other is
 * deferred while it holds the slot, handed the slot when it frees, and runs;
 * both jobs complete and the provider never serves two at once.
 */
final class GateTest extends GateTestCase
{
    public function testAnAiStepIsAdmittedAndAnotherDeferredInsideApacheChildren(): void
    {
        $children = Apache::children();
        self::sluice(['site_limit' => 1]);
        Provider::reset(latencyMs: 2000);
        datamachine_fixture_start_flow('1', 2);
        $siteKey = self::siteKey();

        $first = Runner::wpCron();
        self::eventually(static fn () => count(\Sluice\status()[$siteKey]['holders'] ?? []) === 1, 30, 'an AI step to hold the site slot');
        $holder = \Sluice\status()[$siteKey]['holders'][0];
        self::assertContains($holder['pid'], $children, 'the admitted AI step runs in an Apache child: ' . json_encode($holder));
        $second = Runner::wpCron();
        self::eventually(static fn () => count(Site::deferrals()) >= 1, 30, 'the other AI step to be deferred while the slot is held');
        self::assertSame(1, count(\Sluice\status()[$siteKey]['holders']), 'deferred, not run beside the holder');

        Runner::until(static fn () => Site::unfinishedJobs() === 0, 0, 60, wpCron: true);
        $first->wait();
        $second->wait();
        self::assertSame(['completed' => 2], Site::jobStatuses());
        self::assertSame(2, Site::processedItems());
        self::assertSame(1, Provider::stats()['max_served_in_flight'], 'never two AI requests at once');
        self::assertArrayNotHasKey('failed', Site::actionStatuses('datamachine_execute_step'));
        $runs = Site::aiRuns();
        self::assertCount(2, $runs);
        foreach ($runs as $run) {
            self::assertContains($run['pid'], $children, 'every AI step ran in an Apache child');
        }
        self::assertSame(0, \Sluice\status()[$siteKey]['active']);
    }
}
