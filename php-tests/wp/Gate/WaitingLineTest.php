<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\Overlap;
use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

/**
 * The waiting line, end to end on the fixture pipeline with real runners: a
 * freed slot goes at once to the next ticket (reserved for it, its copy
 * pulled forward), fairly across flows, with aging; a tenant's cap holds;
 * a dead holder's slot is handed on by the sweep; a stranded step runs again.
 */
final class WaitingLineTest extends GateTestCase
{
    private static function median(array $values): float
    {
        sort($values);
        return (float) $values[intdiv(count($values), 2)];
    }

    /**
     * The store's own order of service, as the test hooks recorded it right after each deferral
     * (knob record_line): every pair of jobs whose tickets stood in one queue, the first ahead of the second.
     *
     * @return list<array{int, int}>
     */
    private static function ticketOrderPairs(): array
    {
        $jobOf = [];
        foreach (Site::deferrals() as $event) {
            $jobOf[(int) $event['action_id']] = (int) $event['job_id'];
            $jobOf[(int) $event['copy_action_id']] = (int) $event['job_id'];
        }
        $pairs = [];
        foreach (sluice_test_line_record() as $row) {
            foreach ($row['kind'] === 'deferred' ? $row['queues'] : [] as $queue) {
                $jobs = array_map(static fn (array $t): int => $jobOf[$t['ref']] ?? 0, $queue['tickets']);
                for ($i = 0; $i < count($jobs); $i++) {
                    for ($j = $i + 1; $j < count($jobs); $j++) {
                        $pairs[$jobs[$i] . '>' . $jobs[$j]] = [$jobs[$i], $jobs[$j]];
                    }
                }
            }
        }
        return array_values($pairs);
    }

    /**
     * The gate's decisions on actions the store had reserved a slot for just
     * before (knob record_line): a woken copy is admitted, never deferred.
     *
     * @return array{admitted: int, refused: list<string>}
     */
    private static function decisionsOnReservedSlots(): array
    {
        $admitted = 0;
        $refused = [];
        foreach (sluice_test_line_record() as $row) {
            if ($row['kind'] === 'decision' && $row['reserved']) {
                $row['decision'] === 'admit' ? $admitted++ : $refused[] = "action {$row['action']}: {$row['decision']}";
            }
        }
        return ['admitted' => $admitted, 'refused' => $refused];
    }

    /** @group action-scheduler-hybrid */
    public function testAFreedSlotGoesToTheOldestTicketWithinASecondNotToANewcomer(): void
    {
        // A long fallback delay: only a wake can explain a quick hand-off.
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        self::testKnobs(['record_line' => true]);
        sluice_test_reset_line_record();
        Provider::reset(latencyMs: 700);
        datamachine_fixture_start_flow('h1', 5);
        Runner::until(static fn () => Site::processedItems() === 5, 3, 90);

        $gaps = Site::handoffGaps();
        self::assertCount(4, $gaps);
        fwrite(STDERR, sprintf("hand-off: median %.0f ms, max %.0f ms\n", 1000 * self::median($gaps), 1000 * max($gaps)));
        self::assertLessThan(1.0, max($gaps), 'every freed slot was taken by the next step within a second');
        self::assertGreaterThan(-0.05, min($gaps), 'never two AI steps at once');
        // Oldest first, in the store's own order: whenever one ticket stood ahead of another, its step ran first.
        // (Not the event log's order: two runners deferring at once may write their rows in either order.)
        $runOrder = [];
        foreach (array_column(Site::aiRuns(), 'job') as $position => $job) {
            $runOrder[$job] ??= $position;
        }
        $pairs = self::ticketOrderPairs();
        self::assertNotEmpty($pairs, 'tickets waited in line together');
        foreach ($pairs as [$ahead, $behind]) {
            self::assertArrayHasKey($ahead, $runOrder);
            self::assertLessThan($runOrder[$behind], $runOrder[$ahead], "job $ahead's ticket was ahead of job $behind's: it ran first");
        }
        // Not to a newcomer: a copy the store had reserved the freed slot for took it, every time. (How many copies
        // were seen reserved before the gate decided varies: one claimed on its timer may meet its reservation later.)
        $reserved = self::decisionsOnReservedSlots();
        self::assertSame([], $reserved['refused'], 'a woken copy was admitted to the slot reserved for it, never deferred');
        $key = self::keyStatus(self::siteKey());
        self::assertGreaterThanOrEqual(3, $key->wakesSent, 'slots were handed on by wakes');
        // A copy that ran on its fallback timer before its turn (the timer comes from the estimated wait, which a
        // loaded machine outlasts) is deferred again and keeps its ticket; only that may defer an item twice.
        $waiting = count(array_unique(array_column(Site::deferrals(), 'job_id')));
        fwrite(STDERR, sprintf("line: %d order pairs checked, %d reserved copies admitted, %d deferrals of %d waiting items\n",
            count($pairs), $reserved['admitted'], count(Site::deferrals()), $waiting));
    }

    /** @group action-scheduler-hybrid */
    public function testKillingTheHolderHandsItsSlotToTheNextTicketWithinTwoSeconds(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        // The holder keeps its slot 30 s after its provider answered: no request is open, so no drain.
        Site::configure([], ['hold_after_request' => 30]);
        Provider::reset(latencyMs: 200);
        [$victimJob] = datamachine_fixture_start_flow('k1', 1);
        $victim = Runner::cli();
        self::eventually(static fn () => Provider::stats()['answered'] === 1, 20, "the victim's provider request");
        Site::configure([], []);
        datamachine_fixture_start_flow('k2', 1);
        // The next step's fetch runs and its AI step waits in line behind the victim.
        self::runQueueOnce();
        self::assertCount(1, Site::deferrals());
        $victim->kill(9);
        $killedAt = microtime(true);
        Runner::until(static fn () => Site::processedItems() === 1, 2, 30);
        $next = array_values(array_filter(Site::aiRuns(), static fn (array $run) => $run['job'] !== $victimJob));
        self::assertCount(1, $next);
        $handoff = $next[0]['started'] - $killedAt;
        fwrite(STDERR, sprintf("kill to next step: %.0f ms\n", 1000 * $handoff));
        self::assertLessThan(2.0, $handoff, "the dead holder's slot went to the next ticket within 2 s");
    }

    public function testATicketWaitingOnAFullProviderIsNotWokenByAFreedSiteSlot(): void
    {
        self::sluice(['site_limit' => 2, 'provider_limits' => ['x' => 1], 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        Provider::reset(latencyMs: 300);
        // This test holds provider x's only slot (and one site slot).
        $lease = (new \SluiceWP\Backend\NativeBackend())->tryAcquire(
            [self::siteKey() => 2, self::gateKeys()->provider('x', false) => 1], 600, 'test holder on provider x');
        self::assertInstanceOf(\SluiceWP\Backend\Lease::class, $lease);
        datamachine_fixture_start_flow('px', 1, [], ['default_provider' => 'x']);
        self::runQueueOnce(); // its AI step waits for provider x
        datamachine_fixture_start_flow('py', 1, [], ['default_provider' => 'y']);
        self::runQueueOnce(); // provider y's step takes the free site slot, runs, releases it
        self::runQueueOnce();
        self::assertSame(1, Site::processedItems(), "provider y's item was processed");
        $waiting = Site::aiActions();
        $pending = array_values(array_filter($waiting, static fn (array $a) => $a['status'] === 'pending'));
        self::assertCount(1, $pending, "provider x's step still waits");
        self::assertSame(0, self::keyStatus(self::gateKeys()->provider('x', false))->wakesSent, 'and was not woken');
        // Provider x's slot frees: now it is woken.
        (new \SluiceWP\Backend\NativeBackend())->release($lease);
        Runner::until(static fn () => Site::processedItems() === 2, 2, 30);
        self::assertGreaterThanOrEqual(1, self::keyStatus(self::gateKeys()->provider('x', false))->wakesSent);
    }

    /** The wake races runners claiming the same copies: every action runs exactly once. */
    public function testRacingTheWakeAgainstClaimingRunnersRunsEveryActionOnce(): void
    {
        sluice_test_reset_runs();
        $ids = [];
        for ($n = 1; $n <= 150; $n++) {
            $ids[] = (int) as_schedule_single_action(time() + 2, 'sluice_test_counted_task', [$n], 'sluice-race');
        }
        $puller = Runner::php('require ' . var_export(Site::loader(), true) . ';
            $scheduler = new SluiceWP\Scheduler\ActionSchedulerAdapter();
            $deadline = microtime(true) + 8;
            while (microtime(true) < $deadline) {
                foreach ($ids as $id) { $scheduler->pullForward($id); }
            }
            echo "done\n";', ['ids' => $ids]);
        global $wpdb;
        $ran = static fn (): int => (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}counted_task_runs");
        Runner::until(static fn () => $ran() === 150, 3, 60);
        $puller->wait(30);
        self::assertStringContainsString('done', $puller->output());
        self::assertSame('150', (string) $wpdb->get_var("SELECT SUM(runs) FROM {$wpdb->prefix}counted_task_runs"), 'no action ran twice');
        self::assertSame(['complete' => 150], Site::actionStatuses('sluice_test_counted_task'));
    }

    public function testSmallFlowsAreServedBeforeABigFlowsEighthItem(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        Provider::reset(latencyMs: 250);
        datamachine_fixture_start_flow('big', 20);
        datamachine_fixture_start_flow('s1', 2);
        datamachine_fixture_start_flow('s2', 2);
        Runner::until(static fn () => Site::processedItems() === 24, 3, 120);
        $runs = Site::aiRuns();
        $big = array_values(array_filter($runs, static fn (array $r) => $r['flow'] === 'big'));
        $small = array_values(array_filter($runs, static fn (array $r) => $r['flow'] !== 'big'));
        self::assertCount(4, $small);
        self::assertLessThan($big[7]['started'], max(array_column($small, 'finished')), 'every small item finished before the big flow\'s 8th item started');
    }

    public function testCompletionsFollowTheWeights(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        self::testKnobs(['weights' => ['flow:heavy' => 30, 'flow:light' => 10]]);
        Provider::reset(latencyMs: 200);
        datamachine_fixture_start_flow('heavy', 16);
        datamachine_fixture_start_flow('light', 16);
        Runner::until(static fn () => Site::processedItems() >= 20, 3, 120);
        // While both flows had work waiting: the first 16 AI steps after the line formed.
        $firstSixteen = array_slice(Site::aiRuns(), 1, 16);
        $heavy = count(array_filter($firstSixteen, static fn (array $r) => $r['flow'] === 'heavy'));
        fwrite(STDERR, "weights 30:10 -> heavy $heavy of 16: " . implode(' ', array_column(Site::aiRuns(), 'flow')) . "\n");
        self::assertEqualsWithDelta(12, $heavy, 1.6, 'heavy got 3 of every 4 turns, within 10 %');
    }

    /**
     * Aging: a weight-1 flow against a weight-100 flow that keeps the line
     * full. Without aging it would get one turn in a hundred; its ticket's
     * weight rises to the top by sluice.aging_seconds (24 s on the test bed),
     * so it is served by then (plus one service time and the runners' pace).
     */
    public function testALowWeightFlowIsServedWithinTheAgingBound(): void
    {
        $aging = (int) ini_get('sluice.aging_seconds');
        self::assertGreaterThan(0, $aging);
        self::sluice(['site_limit' => 1, 'throttle_delay' => 120, 'throttle_delay_max' => 120]);
        self::testKnobs(['weights' => ['flow:high' => 100, 'flow:low' => 1]]);
        Provider::reset(latencyMs: 500);
        $serviceSeconds = 0.5;
        $highItems = (int) ceil(($aging + 10) / $serviceSeconds);
        datamachine_fixture_start_flow('high', $highItems);
        datamachine_fixture_start_flow('low', 1);
        $start = microtime(true);
        Runner::until(static function (): bool {
            if (count(array_filter(Site::aiRuns(), static fn (array $r) => $r['flow'] === 'low')) === 0) {
                return false;
            }
            as_unschedule_all_actions('datamachine_execute_step'); // the rest of the high flow is not needed
            return true;
        }, 3, $aging + 40);
        $lowStarted = array_values(array_filter(Site::aiRuns(), static fn (array $r) => $r['flow'] === 'low'))[0]['started'];
        $highBefore = count(array_filter(Site::aiRuns(), static fn (array $r) => $r['flow'] === 'high' && $r['started'] < $lowStarted));
        fwrite(STDERR, sprintf("aging: the low-weight item started after %.1f s, behind %d high-weight items\n", $lowStarted - $start, $highBefore));
        self::assertLessThan($aging + 6, $lowStarted - $start, 'served within the aging bound');
        self::assertLessThan($highItems - 5, $highBefore, 'while the high-weight flow still had work waiting');
        self::assertGreaterThan(5, $highBefore, 'the weights did count before aging took over');
    }

    public function testATenantCapHoldsBesideTheSiteLimit(): void
    {
        self::sluice(['site_limit' => 3, 'tenant_limit' => 1, 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        Provider::reset(latencyMs: 600);
        datamachine_fixture_start_flow('t1', 4);
        datamachine_fixture_start_flow('t2', 4);
        Runner::until(static fn () => Site::processedItems() === 8, 4, 90);
        // The AI steps' own start and end times are the witness.
        $intervals = static fn (?string $flow): array => array_values(array_map(
            static fn (array $r): array => [$r['started'], $r['finished']],
            array_filter(Site::aiRuns(), static fn (array $r) => $flow === null || $r['flow'] === $flow),
        ));
        self::assertSame(1, Overlap::max($intervals('t1')), 'flow t1 never ran more than 1 AI step at once');
        self::assertSame(1, Overlap::max($intervals('t2')), 'nor did flow t2');
        self::assertSame(2, Overlap::max($intervals(null)), 'the two flows ran side by side');
        self::assertSame(1, self::keyStatus(self::gateKeys()->tenant('flow:t1'))->peak);
    }

    /** @group action-scheduler-hybrid */
    public function testAStrandedStepRunsAgainOnceAndCompletes(): void
    {
        self::sluice(['site_limit' => 1]);
        self::testKnobs(['requeue_stranded' => true]);
        Site::configure([], ['hold_after_request' => 30]);
        Provider::reset(latencyMs: 200);
        [$jobId] = datamachine_fixture_start_flow('st', 1);
        $victim = Runner::cli();
        self::eventually(static fn () => Provider::stats()['answered'] === 1, 20, "the victim's provider request");
        Site::configure([], []);
        $victim->kill(9);
        // The next queue run sweeps: the dead step is marked failed and an identical one runs.
        Runner::until(static fn () => Site::processedItems() === 1, 2, 30);
        $ai = Site::aiActions();
        self::assertSame('failed', $ai[0]['status'], 'the dead runner\'s action is failed, with a message');
        global $wpdb;
        $log = $wpdb->get_col($wpdb->prepare("SELECT message FROM {$wpdb->prefix}actionscheduler_logs WHERE action_id = %d", $ai[0]['action_id']));
        self::assertNotEmpty(preg_grep('/runner of this action \(pid \d+\) died/', $log));
        self::assertSame('complete', $ai[1]['status'], 'its copy completed');
        self::assertSame($ai[0]['args'], $ai[1]['args']);
        self::assertSame(['completed' => 1], Site::jobStatuses(), "job $jobId completed");
        self::assertSame(1, Site::processedItems(), 'the item was processed once');
        $stranded = $wpdb->get_row("SELECT * FROM {$wpdb->prefix}sluice_events WHERE event = 'stranded'", ARRAY_A);
        self::assertSame([(string) $ai[0]['action_id'], (string) $ai[1]['action_id'], 'runner_died_requeued'],
            [$stranded['action_id'], $stranded['copy_action_id'], $stranded['reason']]);
    }
}
