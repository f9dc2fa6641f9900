<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\Overlap;
use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\NativeBackend;

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

    /** @return array<int, int> action id (a deferred action or its copy: what a ticket's ref names) => job id */
    private static function jobsOfTicketRefs(): array
    {
        $jobOf = [];
        foreach (Site::deferrals() as $event) {
            $jobOf[(int) $event['action_id']] = (int) $event['job_id'];
            $jobOf[(int) $event['copy_action_id']] = (int) $event['job_id'];
        }
        return $jobOf;
    }

    /**
     * The store's own order of service, as the test hooks recorded it right after each deferral
     * (knob record_line): every pair of jobs whose tickets stood in one queue, the first ahead of the second.
     *
     * @return list<array{int, int}>
     */
    private static function ticketOrderPairs(): array
    {
        $jobOf = self::jobsOfTicketRefs();
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

    /**
     * Not a time bound (how soon a runner starts measures the machine): the
     * first queue run after the death hands the dead holder's slot to the next
     * ticket and runs its copy, long before any timer would.
     *
     * @group action-scheduler-hybrid
     */
    public function testKillingTheHolderHandsItsSlotToTheNextTicketOnTheNextQueueRun(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        // The holder keeps its slot 30 s after its provider answered: no request is open, so no drain.
        Site::configure([], ['hold_after_request' => 30]);
        Provider::reset(latencyMs: 200);
        [$victimJob] = datamachine_fixture_start_flow('k1', 1);
        $victim = Runner::cli();
        self::eventually(static fn () => Provider::stats()['answered'] === 1, 20, "the victim's provider request");
        Site::configure([], []);
        [$nextJob] = datamachine_fixture_start_flow('k2', 1);
        // The next step's fetch runs and its AI step waits in line behind the victim (its copy may come back on
        // its timer, set from the estimated wait, while that queue run lasts: it is deferred again, same ticket).
        self::runQueueOnce();
        $deferrals = Site::deferrals();
        self::assertNotEmpty($deferrals);
        self::assertSame([$nextJob], array_values(array_unique(array_map('intval', array_column($deferrals, 'job_id')))));
        $copy = (int) end($deferrals)['copy_action_id'];
        $reclaimedBefore = self::keyStatus(self::siteKey())->reclaimedDead;
        $victim->kill(9);
        $killedAt = microtime(true);
        self::runQueueOnce();
        $next = array_values(array_filter(Site::aiRuns(), static fn (array $run) => $run['job'] !== $victimJob));
        self::assertCount(1, $next, "the next queue run ran the waiting step's copy");
        self::assertSame('complete', array_column(Site::aiActions(), 'status', 'action_id')[$copy] ?? null, 'it was the waiting step\'s copy');
        fwrite(STDERR, sprintf("kill to next step: %.0f ms\n", 1000 * ($next[0]['started'] - $killedAt)));
        self::assertSame($reclaimedBefore + 1, self::keyStatus(self::siteKey())->reclaimedDead, "the dead holder's lease was reclaimed");
    }

    public function testATicketWaitingOnAFullProviderIsNotWokenByAFreedSiteSlot(): void
    {
        self::sluice(['site_limit' => 2, 'provider_limits' => ['x' => 1], 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        Provider::reset(latencyMs: 300);
        // This test holds provider x's only slot (and one site slot).
        $lease = (new \SluiceWP\Backend\NativeBackend())->tryAcquire(
            [self::siteKey() => 2, self::gateKeys()->provider('x', false) => 1], 600, 'test holder on provider x');
        self::assertInstanceOf(\SluiceWP\Backend\Lease::class, $lease);
        // The segment's counters outlive a test (a repeated run of this one on the same bed finds its wakes).
        $wakesBefore = self::keyStatus(self::gateKeys()->provider('x', false))->wakesSent;
        datamachine_fixture_start_flow('px', 1, [], ['default_provider' => 'x']);
        self::runQueueOnce(); // its AI step waits for provider x
        datamachine_fixture_start_flow('py', 1, [], ['default_provider' => 'y']);
        self::runQueueOnce(); // provider y's step takes the free site slot, runs, releases it
        self::runQueueOnce();
        self::assertSame(1, Site::processedItems(), "provider y's item was processed");
        $waiting = Site::aiActions();
        $pending = array_values(array_filter($waiting, static fn (array $a) => $a['status'] === 'pending'));
        self::assertCount(1, $pending, "provider x's step still waits");
        self::assertSame($wakesBefore, self::keyStatus(self::gateKeys()->provider('x', false))->wakesSent, 'and was not woken');
        // Provider x's slot frees: now it is woken.
        (new \SluiceWP\Backend\NativeBackend())->release($lease);
        Runner::until(static fn () => Site::processedItems() === 2, 2, 30);
        self::assertGreaterThanOrEqual($wakesBefore + 1, self::keyStatus(self::gateKeys()->provider('x', false))->wakesSent);
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
        $weights = ['heavy' => 90, 'light' => 10];
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        self::testKnobs(['weights' => ['flow:heavy' => $weights['heavy'], 'flow:light' => $weights['light']], 'record_line' => true]);
        sluice_test_reset_line_record();
        Provider::reset(latencyMs: 200);
        // The whole line forms before the first hand-off (this test holds the only slot meanwhile), so both
        // flows have work waiting from the first turn on, however slowly a loaded machine runs the fetch steps.
        $held = self::holdSiteSlot();
        datamachine_fixture_start_flow('heavy', 16);
        datamachine_fixture_start_flow('light', 16);
        $inLine = static fn (): int => array_sum(array_map(static fn ($q): int => count($q->tickets), (new NativeBackend())->line()));
        Runner::until(static fn () => $inLine() === 32, 3, 120);
        $released = microtime(true);
        (new NativeBackend())->release($held);
        Runner::until(static fn () => Site::processedItems() >= 20, 3, 120);

        $runs = Site::aiRuns();
        $firstSixteen = array_slice($runs, 0, 16);
        $heavy = count(array_filter($firstSixteen, static fn (array $r) => $r['flow'] === 'heavy'));
        // What weighted fair queueing with aging serves in those turns, from the store's own clock: each ticket's
        // first deferral (its age in the recorded line) and each hand-off (the end of the step before it). The
        // aging (sluice.aging_seconds) lifts both weights towards the maximum as tickets wait, so on a slow
        // machine the share comes closer to even: the model follows that; equal weights are the counter-check.
        $firstDeferred = [];
        $jobOf = self::jobsOfTicketRefs();
        foreach (sluice_test_line_record() as $row) {
            foreach ($row['queues'] as $queue) {
                foreach ($queue['tickets'] as $t) {
                    $job = $jobOf[$t['ref']] ?? null;
                    if ($job !== null) {
                        $firstDeferred[$job] = min($firstDeferred[$job] ?? INF, $row['at'] - $t['age_ms'] / 1000);
                    }
                }
            }
        }
        $handoffs = array_merge([$released], array_column(array_slice($runs, 0, 15), 'finished'));
        $queues = [];
        foreach ($runs as $r) {
            $queues[$r['flow']][] = $r['job']; // within a flow, first in first out (the order test checks that)
        }
        $model = static fn (array $w): int => self::weightedFairTurns($w, $queues, $firstDeferred, $handoffs, 'heavy');
        $expected = $model($weights);
        $even = $model(['heavy' => 10, 'light' => 10]);
        fwrite(STDERR, "weights 90:10 -> heavy $heavy of 16 (weighted fair queueing with aging: $expected, equal weights: $even): "
            . implode(' ', array_column($runs, 'flow')) . "\n");
        self::assertCount(32, $firstDeferred, 'every step waited in line');
        self::assertEqualsWithDelta($expected, $heavy, 1, 'heavy got the turns its weight gives it');
    }

    /**
     * The turns $flow gets at the given hand-offs under the waiting line's
     * weighted fair queueing (sluice's waiting_line.cpp): each hand-off serves
     * the head of the queue with the smallest virtual finish time (the queue's
     * last finish + 1 / effective weight, the weight rising linearly with the
     * head's wait to 100 at sluice.aging_seconds), both queues starting even.
     *
     * @param array<string, int>        $weights
     * @param array<string, list<int>>  $queues        flow => jobs in service order
     * @param array<int, float>         $firstDeferred job => time of its first deferral
     * @param list<float>               $handoffs
     */
    private static function weightedFairTurns(array $weights, array $queues, array $firstDeferred, array $handoffs, string $flow): int
    {
        $aging = (float) ini_get('sluice.aging_seconds');
        $finish = array_fill_keys(array_keys($queues), 0.0);
        $turns = 0;
        foreach ($handoffs as $at) {
            $best = null;
            foreach ($queues as $name => $jobs) {
                if ($jobs === []) {
                    continue;
                }
                $age = max(0.0, $at - $firstDeferred[$jobs[0]]);
                $w = $weights[$name] + (100 - $weights[$name]) * min(1.0, $age / $aging);
                $candidate = [$finish[$name] + 1 / $w, $firstDeferred[$jobs[0]], $name];
                $best = $best === null || $candidate < $best ? $candidate : $best;
            }
            [$finish[$best[2]]] = $best;
            array_shift($queues[$best[2]]);
            $turns += $best[2] === $flow ? 1 : 0;
        }
        return $turns;
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

    /**
     * A killed step that runs again keeps its place in line: it first waited
     * (was due) before the two steps deferred behind it, so once the slot its
     * death freed has gone to the first of them, it runs next, not last.
     * Before, its copy took a new ticket at the back and waited behind both.
     */
    public function testAKilledStepThatRunsAgainKeepsItsPlaceInLine(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        self::testKnobs(['requeue_stranded' => true]);
        Site::configure([], ['hold_after_request' => 30]);
        Provider::reset(latencyMs: 200);
        [$victimJob] = datamachine_fixture_start_flow('place', 1);
        $victim = Runner::cli();
        self::eventually(static fn () => Provider::stats()['answered'] === 1, 20, "the victim's provider request");
        Site::configure([], []);
        [$second, $third] = datamachine_fixture_start_flow('place', 2);
        self::runQueueOnce(); // both AI steps wait in line behind the victim, in this order
        // In the order first deferred (on a loaded machine the queue run can outlast a copy's timer, which meets the
        // held slot and is deferred again, keeping its place).
        self::assertSame([$second, $third], array_values(array_unique(array_map('intval', array_column(Site::deferrals(), 'job_id')))));
        // The step the freed slot goes to holds it a while, so the killed step's copy (pulled forward by the same
        // sweep) meets a held slot and waits in line: where it waits is what this test checks.
        Site::configure([], ['hold_after_request' => 4]);
        $victim->kill(9);
        Runner::until(static fn () => Site::processedItems() === 3, 2, 90);
        self::assertSame([$second, $victimJob, $third], array_column(Site::aiRuns(), 'job'), 'the killed step ran before the one deferred after it: '
            . json_encode(array_map(static fn (array $e): array => [$e['event'] ?? 'deferred', $e['job_id'], $e['created_at']], Site::deferrals())));
        global $wpdb;
        $stranded = $wpdb->get_results("SELECT action_id, copy_action_id, reason, placed_at, created_at FROM {$wpdb->prefix}sluice_events WHERE event = 'stranded' ORDER BY id", ARRAY_A);
        // The event of the killed step's death that ran it again (a sweep that also met another process's dead lease,
        // with no action to run again, writes a row of its own).
        $requeued = array_values(array_filter($stranded, static fn (array $row): bool => (int) $row['copy_action_id'] > 0));
        self::assertCount(1, $requeued, 'the killed step ran again once: ' . json_encode($stranded));
        self::assertNotNull($requeued[0]['placed_at'], 'the stranded event keeps the place its work had: ' . json_encode($stranded));
    }

    /** @return array<string, array{bool}> */
    public static function lineOnOrOff(): array
    {
        return ['waiting line on' => [true], 'waiting line off' => [false]];
    }

    /**
     * Stranded work is found whether the waiting line is on or off (every
     * admitted lease remembers its action).
     *
     * @dataProvider lineOnOrOff
     * @group action-scheduler-hybrid
     */
    public function testAStrandedStepRunsAgainOnceAndCompletes(bool $line): void
    {
        self::sluice(['site_limit' => 1, 'waiting_line' => $line]);
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
        // Its story: the killed runner's own rows were never written (SIGKILL ends it before its request's end);
        // the sweep's say the rest, in order, with the job on each.
        $story = \Sluice\WpTests\Cli\WpCli::sluice(['events', '--action=' . $ai[0]['action_id'], '--format=json'])->json();
        self::assertSame(['reclaimed', 'stranded', 'requeued', 'admitted', 'finished'], array_column($story, 'event'), json_encode($story));
        self::assertSame([$jobId], array_values(array_unique(array_column($story, 'job_id'))));
        self::assertSame((int) $ai[1]['action_id'], $story[2]['copy_action_id'], 'requeued names the copy');
    }
}
