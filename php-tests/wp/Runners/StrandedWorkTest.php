<?php
declare(strict_types=1);

namespace Sluice\WpTests\Runners;

use Sluice\WpTests\Gate\GateTestCase;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\DatabaseBackend;
use SluiceWP\Backend\RedisBackend;

/**
 * Work whose runner died (a stranded entry: the dead holder's lease,
 * reclaimed, with its action id) is marked failed and run again as a copy
 * only while it is still in progress, with one guarded UPDATE; an action
 * that completed or that Action Scheduler's cleaner failed meanwhile is left
 * as it is and never runs again; the sweep never stops half-way, and an entry
 * it could not deal with goes back for the next sweep. The races are forced
 * at the one instant that matters (a hook between the sweep's read and its
 * write) and also run between processes.
 */
final class StrandedWorkTest extends GateTestCase
{
    private const HOOK = 'sluice_test_counted_task';
    private const GROUP = 'sluice-stranded';

    /**
     * The stores keep their stranded records across tests (Site::reset() empties the extension's only), and
     * action ids start at 1 again after each reset: every store starts this test with none.
     */
    protected function setUp(): void
    {
        parent::setUp();
        foreach ([new DatabaseBackend(), new RedisBackend()] as $store) {
            if ($store->unavailableReason() !== null) {
                continue;
            }
            while (($left = $store->takeStranded(1000)) !== []) {
                array_map([$store, 'ackStranded'], $left);
            }
        }
    }

    /** @return list<int> ids of $n counted tasks, in progress as if a runner had started them */
    private static function actionsInProgress(int $n, int $first = 1): array
    {
        $ids = [];
        for ($i = $first; $i < $first + $n; $i++) {
            $id = (int) as_schedule_single_action(time(), self::HOOK, [$i], self::GROUP);
            \ActionScheduler::store()->log_execution((string) $id); // in-progress, attempts 1: what a runner writes first
            $ids[] = $id;
        }
        return $ids;
    }

    /**
     * A process takes one gate lease per action (the lease remembers the
     * action id, as the gate's does) and is SIGKILLed: each lease is a dead
     * holder's, and the next sweep reclaims it into a stranded entry.
     *
     * @param list<int> $ids
     */
    private static function holderDiesHolding(array $ids): void
    {
        $holder = Runner::php('require $loader;
            $line = SluiceWP\Plugin::instance()->backends->backend();
            $leases = [];
            foreach ($ids as $id) {
                $leases[] = $lease = $line->tryAcquireFor([$key => 64], 600, "test holder of action $id", $id);
                if (!$lease instanceof SluiceWP\Backend\Lease) { echo "refused\n"; exit(1); }
            }
            echo "held\n";
            sleep(120);', ['loader' => Site::loader(), 'ids' => $ids, 'key' => self::siteKey()]);
        $holder->expectLine('held');
        $holder->kill(9);
    }

    /** @param array<string, mixed> $vars see bin/sweep.php */
    private static function sweep(array $vars = []): string
    {
        $sweep = Runner::php('require $script;', ['script' => __DIR__ . '/bin/sweep.php'] + $vars);
        self::assertSame(0, $sweep->wait(), 'the sweep process failed: ' . $sweep->output());
        self::assertStringContainsString('swept', $sweep->output());
        return $sweep->output();
    }

    /** @return array{status: string, copies: list<string>, logs: list<string>} the action, its copies' statuses (cancelled ones included), its log */
    private static function fate(int $id): array
    {
        global $wpdb;
        $table = $wpdb->prefix . 'actionscheduler_actions';
        $row = $wpdb->get_row($wpdb->prepare("SELECT status, args FROM {$table} WHERE action_id = %d", $id), ARRAY_A);
        $copies = $wpdb->get_col($wpdb->prepare("SELECT status FROM {$table} WHERE hook = %s AND args = %s AND action_id > %d ORDER BY action_id", self::HOOK, $row['args'], $id));
        $logs = $wpdb->get_col($wpdb->prepare("SELECT message FROM {$wpdb->prefix}actionscheduler_logs WHERE action_id = %d ORDER BY log_id", $id));
        return ['status' => (string) $row['status'], 'copies' => array_map('strval', $copies), 'logs' => array_map('strval', $logs)];
    }

    /** @return list<string> copies that will run (not cancelled) */
    private static function liveCopies(int $id): array
    {
        return array_values(array_filter(self::fate($id)['copies'], static fn (string $s): bool => $s !== 'canceled'));
    }

    private static function requeued(int $id): bool
    {
        $fate = self::fate($id);
        return $fate['status'] === 'failed' && count(self::liveCopies($id)) === 1
            && preg_grep('/runner of this action \(pid \d+\) died/', $fate['logs']) !== [];
    }

    /** @return array<int, int> action id => stranded events written for it */
    private static function strandedEvents(): array
    {
        global $wpdb;
        $counts = [];
        foreach ($wpdb->get_col("SELECT action_id FROM {$wpdb->prefix}sluice_events WHERE event = 'stranded'") as $id) {
            $counts[(int) $id] = ($counts[(int) $id] ?? 0) + 1;
        }
        return $counts;
    }

    /** @group action-scheduler-hybrid */
    public function testAnActionThatCompletesBetweenTheReadAndTheWriteIsNeitherOverwrittenNorRunAgain(): void
    {
        self::sluice(['site_limit' => 64]);
        [$a, $b, $c] = self::actionsInProgress(3);
        self::holderDiesHolding([$a, $b, $c]);

        $out = self::sweep(['race' => 'complete', 'raceAction' => $b]);

        self::assertStringContainsString('intervened', $out, 'the race was forced');
        $fate = self::fate($b);
        self::assertSame('complete', $fate['status'], 'the completed action was not overwritten to failed');
        self::assertSame([], self::liveCopies($b), 'and does not run again: ' . print_r($fate, true));
        self::assertTrue(self::requeued($a), 'the entry before it was dealt with: ' . print_r(self::fate($a), true));
        self::assertTrue(self::requeued($c), 'and the entry after it: ' . print_r(self::fate($c), true));
        self::assertEquals([$a => 1, $b => 1, $c => 1], self::strandedEvents(), 'each entry recorded once');
    }

    /** @group action-scheduler-hybrid */
    public function testAnActionTheCleanerFailsBetweenTheReadAndTheWriteDoesNotStopTheSweep(): void
    {
        self::sluice(['site_limit' => 64]);
        [$a, $b, $c] = self::actionsInProgress(3);
        self::holderDiesHolding([$a, $b, $c]);

        $out = self::sweep(['race' => 'cleaner', 'raceAction' => $b]);

        self::assertStringContainsString('intervened', $out, 'the race was forced');
        self::assertSame('failed', self::fate($b)['status']);
        self::assertSame([], self::liveCopies($b), 'the action Action Scheduler failed is its to end: no copy runs');
        self::assertTrue(self::requeued($a), print_r(self::fate($a), true));
        self::assertTrue(self::requeued($c), 'the sweep went on past it: ' . print_r(self::fate($c), true));
        self::assertEquals([$a => 1, $b => 1, $c => 1], self::strandedEvents(), 'no entry was dropped');
    }

    /** @return list<array{string}> */
    public static function backends(): array
    {
        return [['native'], ['database'], ['redis']];
    }

    /** @dataProvider backends */
    public function testAnEntryThatCannotBeDealtWithGoesBackForTheNextSweep(string $backend): void
    {
        self::sluice(['site_limit' => 64, 'backend' => $backend]);
        [$a, $b, $c] = self::actionsInProgress(3);
        self::holderDiesHolding([$a, $b, $c]);

        self::sweep(['throwForArg' => 2]); // dealing with task 2 ($b) throws
        self::assertTrue(self::requeued($a), print_r(self::fate($a), true));
        self::assertTrue(self::requeued($c), 'the sweep went on past the entry that threw: ' . print_r(self::fate($c), true));
        self::assertSame('in-progress', self::fate($b)['status'], 'the entry that threw changed nothing');
        self::assertStringContainsString("could not deal with the stranded action $b now", Site::sluiceErrors(), 'and said so');
        self::assertEquals([$a => 1, $c => 1], self::strandedEvents());

        self::sweep();
        self::assertTrue(self::requeued($b), 'the entry that went back was dealt with by the next sweep: ' . print_r(self::fate($b), true));
        self::assertEquals([$a => 1, $b => 1, $c => 1], self::strandedEvents(), 'each entry recorded once');
        Site::reset(); // the logged error was the point of this test
    }

    /**
     * The sweeping process dies of a fatal error half-way (the entry it was
     * dealing with, and the ones it had claimed after it, were neither acked
     * nor returned): they come back at its end, and the next sweep deals
     * with them; what it had dealt with stays dealt with, once.
     *
     * @dataProvider backends
     */
    public function testASweepThatDiesHalfWayLosesNoEntry(string $backend): void
    {
        self::sluice(['site_limit' => 64, 'backend' => $backend]);
        [$a, $b, $c] = self::actionsInProgress(3);
        self::holderDiesHolding([$a, $b, $c]);

        $dying = Runner::php('require $script;', ['script' => __DIR__ . '/bin/sweep.php', 'fatalForArg' => 2]);
        self::assertNotSame(0, $dying->wait(), 'the sweep died: ' . $dying->output());
        self::assertStringContainsString('dying', $dying->output());
        $dealt = array_keys(self::strandedEvents());
        self::assertNotContains($b, $dealt, 'the entry it died on was not dealt with');
        self::assertSame('in-progress', self::fate($b)['status']);

        self::sweep();
        foreach ([$a, $b, $c] as $id) {
            self::assertTrue(self::requeued($id), "action $id was dealt with: " . print_r(self::fate($id), true));
        }
        self::assertEquals([$a => 1, $b => 1, $c => 1], self::strandedEvents(), 'each entry dealt with exactly once');
        Site::reset(); // the fatal error in the site's log was the point of this test
    }

    /**
     * Task 2's action is stranded (its holder killed) and the sweep that
     * deals with it dies where $knob says (bin/sweep.php; its value is task
     * 2's argument, or its action id for fatalAfterFailing). Returns the action id.
     */
    private static function aSweepDies(string $backend, string $knob): int
    {
        self::sluice(['site_limit' => 64, 'backend' => $backend]);
        [, $b] = self::actionsInProgress(2);
        self::holderDiesHolding([$b]);
        $dying = Runner::php('require $script;', ['script' => __DIR__ . '/bin/sweep.php', $knob => $knob === 'fatalAfterFailing' ? $b : 2]);
        self::assertNotSame(0, $dying->wait(), 'the sweep died: ' . $dying->output());
        self::assertStringContainsString('dying', $dying->output());
        return $b;
    }

    /**
     * The sweeping process dies between its two writes for one entry: the
     * copy of the stranded action is stored (held back), the original not yet
     * marked failed. The entry comes back and the next sweep deals with it:
     * the action still runs again exactly once, not once as the dead sweep's
     * copy and once more as the next sweep's.
     *
     * @dataProvider backends
     */
    public function testASweepThatDiesAfterSchedulingACopyRunsTheActionAgainOnce(string $backend): void
    {
        $b = self::aSweepDies($backend, 'fatalAfterCopyForArg');
        self::assertSame('in-progress', self::fate($b)['status'], 'it died before the original was marked');

        self::sweep();
        self::assertSame('failed', self::fate($b)['status']);
        self::assertCount(1, self::liveCopies($b), 'action ' . $b . ' runs again once: ' . print_r(self::fate($b), true));
        Site::reset(); // the fatal error in the site's log was the point of this test
    }

    /**
     * As above, but the dead sweep's copy ran (its hold-back ended, a runner
     * took it) before the entry came back: the next sweep marks the original
     * failed and stores no second copy.
     *
     * @dataProvider backends
     */
    public function testACopyLeftByADeadSweepThatRanAlreadyIsNotStoredAgain(string $backend): void
    {
        $b = self::aSweepDies($backend, 'fatalAfterCopyForArg');
        self::assertSame(['pending'], self::fate($b)['copies']);
        global $wpdb;
        // What a runner leaves once it ran the copy (here without running it: no queue run may sweep first).
        $wpdb->query($wpdb->prepare("UPDATE {$wpdb->prefix}actionscheduler_actions SET status = 'complete', attempts = 1, last_attempt_gmt = UTC_TIMESTAMP() WHERE action_id > %d AND hook = %s AND status = 'pending'", $b, self::HOOK));

        self::sweep();
        self::assertSame('failed', self::fate($b)['status']);
        self::assertSame(['complete'], self::liveCopies($b), 'action ' . $b . ' ran again once: ' . print_r(self::fate($b), true));
        Site::reset(); // the fatal error in the site's log was the point of this test
    }

    /**
     * The sweep dies after marking the original failed, before its copy is
     * pulled forward: the next sweep keeps that copy (the work's one run
     * again, not cancelled as the copy of an action that ended) and pulls it
     * forward.
     *
     * @dataProvider backends
     */
    public function testASweepThatDiesAfterMarkingTheOriginalFailedStillRunsItsCopy(string $backend): void
    {
        $b = self::aSweepDies($backend, 'fatalAfterFailing');
        self::assertSame('failed', self::fate($b)['status'], 'it died after the original was marked');
        self::assertSame(['pending'], self::fate($b)['copies']);

        self::sweep();
        self::assertSame(['pending'], self::liveCopies($b), 'action ' . $b . ' runs again once: ' . print_r(self::fate($b), true));
        global $wpdb;
        $due = $wpdb->get_var($wpdb->prepare("SELECT scheduled_date_gmt <= UTC_TIMESTAMP() FROM {$wpdb->prefix}actionscheduler_actions WHERE action_id > %d AND hook = %s AND status = 'pending'", $b, self::HOOK));
        self::assertSame('1', (string) $due, 'and now, not when its hold-back ends');
        Site::reset(); // the fatal error in the site's log was the point of this test
    }

    /**
     * Processes race for real: one sweeps while another runs Action
     * Scheduler's cleaner with a failure period of 0 over the same in-progress
     * actions, from the same instant, several rounds. Every entry is dealt
     * with once, no action both failed by the cleaner and run again, none
     * run twice, and the sweep never stops on the cleaner's writes.
     */
    public function testASweepRacingActionSchedulersCleanerDealsWithEveryEntryOnce(): void
    {
        self::sluice(['site_limit' => 64]);
        $barrier = sys_get_temp_dir() . '/sluice-stranded-race-' . getmypid();
        $loader = Site::loader();
        $all = [];
        for ($round = 0; $round < 4; $round++) {
            $ids = self::actionsInProgress(24, 1 + 24 * $round);
            $all = array_merge($all, $ids);
            self::holderDiesHolding($ids);
            @unlink($barrier);
            $wait = 'while (!file_exists($barrier)) { usleep(500); }';
            $sweeper = Runner::php('require $script;', ['script' => __DIR__ . '/bin/sweep.php', 'barrier' => $barrier]);
            $cleaner = Runner::php('require $loader; echo "ready\n";' . $wait . '
                // One action per pass, a few ms apart: the cleaner and the sweep go through the same actions side by side.
                add_filter("action_scheduler_cleanup_batch_size", static fn () => 1);
                $cleaner = new ActionScheduler_QueueCleaner();
                $deadline = microtime(true) + 3;
                while (microtime(true) < $deadline) {
                    try { $cleaner->mark_failures(0); } catch (Throwable $e) { /* its own mark_failure throws when the sweep got there first */ }
                    usleep(random_int(0, 4000));
                }
                echo "cleaned\n";', ['loader' => $loader, 'barrier' => $barrier]);
            $sweeper->expectLine('ready');
            $cleaner->expectLine('ready');
            touch($barrier);
            self::assertSame(0, $sweeper->wait(), $sweeper->output());
            self::assertSame(0, $cleaner->wait(), $cleaner->output());
            self::assertStringContainsString("swept", $sweeper->output());
        }
        @unlink($barrier);

        $events = self::strandedEvents();
        $requeued = 0;
        foreach ($all as $id) {
            $fate = self::fate($id);
            self::assertSame(1, $events[$id] ?? 0, "the entry of action $id was dealt with exactly once");
            self::assertSame('failed', $fate['status'], "action $id ended failed, by the sweep or the cleaner");
            $live = self::liveCopies($id);
            $ours = preg_grep('/runner of this action \(pid \d+\) died/', $fate['logs']) !== [];
            self::assertLessThanOrEqual(1, count($live), "action $id runs again at most once");
            self::assertSame($ours, count($live) === 1, "action $id runs again exactly when the sweep failed it: " . print_r($fate, true));
            $requeued += count($live);
        }
        fwrite(STDERR, sprintf("stranded race: %d entries, %d run again by the sweep, %d failed by the cleaner first\n", count($all), $requeued, count($all) - $requeued));
    }
}
