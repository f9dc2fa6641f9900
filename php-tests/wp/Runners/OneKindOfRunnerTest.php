<?php
declare(strict_types=1);

namespace Sluice\WpTests\Runners;

use Sluice\WpTests\Gate\GateTestCase;
use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\DatabaseBackend;
use SluiceWP\Backend\NativeBackend;

/**
 * Sites with one kind of queue runner (RunnerKinds): only `wp action-scheduler
 * run` under system cron with DISABLE_WP_CRON, only wp-cron.php under system
 * cron, or only WP-Cron and Action Scheduler's async request runner started
 * by an administrator's wp-admin traffic. On each, a freed slot goes to the
 * next deferred copy at once, and a killed holder's slot is handed on and
 * the next copy woken without any new work arriving. Each test prints its
 * hand-off figures.
 */
final class OneKindOfRunnerTest extends GateTestCase
{
    /** @return array<string, array{string}> */
    public static function everyKind(): array
    {
        return ['wp action-scheduler run only' => ['wp-cli'], 'wp-cron.php only' => ['wp-cron'], 'WP-Cron and admin traffic only (async request runner)' => ['admin']];
    }

    /** No runner of another kind: system cron sites set DISABLE_WP_CRON, so no request or WP-CLI run spawns WP-Cron. */
    private static function onlyRunnersOfKind(string $kind): void
    {
        self::testKnobs(['disable_wp_cron' => $kind !== 'admin']);
    }

    /**
     * A lone holder is killed while the next step waits as a copy dated well
     * past the test (so only a wake can run it in time), and no new work
     * arrives: the runners of one kind keep passing. The database backend
     * keeps no mean hold time, so its copy waits on the 60 s timer; on the
     * native backend the copy's date is the estimated wait, from the keys'
     * mean hold time: the flow's tenant key is given a 20 s hold on record
     * first, as a site whose AI steps take that long has.
     *
     * @return array<string, array{string, string}>
     */
    public static function killedHolders(): array
    {
        return [
            'wp action-scheduler run only, database backend' => ['wp-cli', 'database'],
            'wp action-scheduler run only, native backend' => ['wp-cli', 'native'],
            'wp-cron.php only, database backend' => ['wp-cron', 'database'],
        ];
    }

    /**
     * @dataProvider killedHolders
     */
    public function testAKilledLoneHoldersSlotIsHandedOnAndTheNextCopyWokenWithoutNewWork(string $kind, string $backend): void
    {
        self::onlyRunnersOfKind($kind);
        $store = $backend === 'database' ? new DatabaseBackend() : new NativeBackend();
        $store->operatorView()->reset(self::siteKey());
        // A provider and a flow of their own: no earlier run's leases, line or hold times count.
        $run = (string) random_int(100000, 999999);
        $provider = 'lone' . $run;
        $key = self::gateKeys()->provider($provider, false);
        self::sluice(['site_limit' => 10, 'provider_limits' => [$provider => 1], 'tenant_limit' => 5, 'backend' => $backend,
            'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        $primer = $backend === 'native' ? Runner::php('require $loader;
            $lease = (new SluiceWP\Backend\NativeBackend())->tryAcquire([$key => 5], 600, "an earlier AI step of 20 s");
            if (!$lease instanceof SluiceWP\Backend\Lease) { exit(1); }
            sleep(20);
            (new SluiceWP\Backend\NativeBackend())->release($lease);', ['loader' => Site::loader(), 'key' => self::gateKeys()->tenant('flow:lone-next-' . $run)]) : null;
        if ($backend === 'database') {
            // The database's line keeps no mean hold: its capacity counters do (Gate\CountedHold). An earlier AI step
            // of 20 s on the tenant key, so the copy's fallback timer is long and only a wake runs it sooner.
            $store->addCounts([self::gateKeys()->tenant('flow:lone-next-' . $run) => [2 => 1, 3 => 20_000, 4 => 20_000 * 20_000]]);
        }
        // The victim keeps its slot 30 s after its provider answered: no request is open, so no drain.
        Site::configure([], ['hold_after_request' => 30]);
        Provider::reset(latencyMs: 200);
        [$victimJob] = datamachine_fixture_start_flow('lone-victim', 1, [], ['default_provider' => $provider]);
        $victim = $kind === 'wp-cli' ? RunnerKinds::wpCliPass() : Runner::wpCron();
        self::eventually(static fn () => Provider::stats()['answered'] === 1, 30, "the victim's provider request");
        $holders = $store->operatorView()->keys()[$key]->holders ?? [];
        self::assertCount(1, $holders, 'the victim holds the provider slot');
        self::assertSame(0, $primer?->wait(30) ?? 0, 'the tenant key has its mean hold time on record');

        Site::configure([], []);
        datamachine_fixture_start_flow('lone-next-' . $run, 1, [], ['default_provider' => $provider]);
        RunnerKinds::until($kind, static fn (): bool => count(Site::deferrals()) === 1, 45, 1);
        $copy = array_values(array_filter(Site::aiActions(), static fn (array $a): bool => $a['status'] === 'pending'));
        self::assertCount(1, $copy, 'the next step waits as a copy');
        self::assertGreaterThan(gmdate('Y-m-d H:i:s', time() + 14), $copy[0]['scheduled_date_gmt'], 'dated well after the kill: only a wake runs it sooner');

        posix_kill($holders[0]->pid, 9);
        $killedAt = microtime(true);
        unset($victim);
        RunnerKinds::until($kind, static fn (): bool => Site::processedItems() === 1, 30);
        RunnerKinds::settle($kind);

        $next = array_values(array_filter(Site::aiRuns(), static fn (array $run): bool => $run['job'] !== $victimJob));
        self::assertCount(1, $next);
        $killToNext = $next[0]['started'] - $killedAt;
        fwrite(STDERR, sprintf("%s, %s backend: kill to next step %.0f ms\n", $kind, $backend, 1000 * $killToNext));
        $status = $store->operatorView()->keys()[$key];
        self::assertGreaterThanOrEqual(1, $status->reclaimedDead, 'the dead holder was reclaimed');
        self::assertGreaterThanOrEqual(1, $status->wakesSent, 'and its slot handed to the copy by a wake');
        self::assertLessThan(12.0, $killToNext, 'the next step ran within seconds of the kill, not at its copy\'s date');
    }

    /**
     * A line forms behind a slot held elsewhere; once it is released, each
     * freed slot goes to the next copy by a wake (the fallback timer is 60 s).
     * Printed: release to the first step (a wake from outside any runner:
     * the next runner of this kind has to come by), and the hand-offs after
     * it (from one runner's release to the copy it woke).
     *
     * @dataProvider everyKind
     */
    public function testEachFreedSlotGoesToTheNextCopyAtOnce(string $kind): void
    {
        self::onlyRunnersOfKind($kind);
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        Provider::reset(latencyMs: 600);
        $elsewhere = self::holdSiteSlot();
        datamachine_fixture_start_flow('one-kind-a', 3);
        datamachine_fixture_start_flow('one-kind-b', 3);
        RunnerKinds::until($kind, static fn (): bool => count(Site::deferrals()) >= 2, 60);
        (new \SluiceWP\Backend\NativeBackend())->release($elsewhere);
        $releasedAt = microtime(true);
        $took = RunnerKinds::until($kind, static fn (): bool => Site::processedItems() === 6, 120);
        RunnerKinds::settle($kind);

        $releaseToFirst = Site::aiRuns()[0]['started'] - $releasedAt;
        $gaps = Site::handoffGaps();
        self::assertCount(5, $gaps);
        fwrite(STDERR, sprintf(
            "%s: release to first step %.0f ms; then 6 items in %.1f s, hand-off median %.0f ms, p90 %.0f ms, max %.0f ms; %d deferrals\n",
            $kind, 1000 * $releaseToFirst, $took, 1000 * RunnerKinds::percentile($gaps, 0.5), 1000 * RunnerKinds::percentile($gaps, 0.9), 1000 * max($gaps), count(Site::deferrals()),
        ));
        self::assertGreaterThan(-0.05, min($gaps), 'never two AI steps at once');
        self::assertLessThan(10.0, $releaseToFirst, 'the released slot went to the first copy by a wake, not after its 60 s timer');
        self::assertLessThan(5.0, max($gaps), 'every freed slot went to a waiting copy within seconds');
        self::assertGreaterThanOrEqual(2, self::keyStatus(self::siteKey())->wakesSent, 'slots were handed on by wakes');
    }
}
