<?php
/**
 * Action Scheduler's runners beyond the WP-Cron queue run, pinned against whichever Action Scheduler the test
 * site loaded: `wp action-scheduler run` (ActionScheduler_WPCLI_QueueRunner: the cleaner and the claim come
 * before action_scheduler_before_process_queue, which never fires on a pass whose first claim is empty),
 * `wp action-scheduler action run <id>` and the list table's "Run" link (process_action() with no claim, in their
 * own contexts), and the async request runner an admin request sends at its shutdown. Each through the real
 * `wp` binary or over HTTP.
 */

declare(strict_types=1);

namespace Sluice\WpTests\Conformance;

use Sluice\WpTests\Admin\AdminHttp;
use Sluice\WpTests\Cli\WpCli;

/** @group action-scheduler-hybrid */
final class RunnerConformanceTest extends ConformanceTestCase
{
    /** Leaves the async runner to the test that is about it: every admin request would otherwise send one. */
    private function lockAsyncRunner(): void
    {
        update_option('action_scheduler_lock_async-request-runner', 'conformance|' . (time() + 300), false);
    }

    protected function tearDown(): void
    {
        delete_option('action_scheduler_lock_async-request-runner');
        putenv('SLUICE_CONFORMANCE_EVENTS');
        parent::tearDown();
    }

    /**
     * `wp --require=bin/wp-cli-fixtures.php <args>` with the runner fixtures' event log.
     *
     * @param list<string> $args
     * @return array{0: WpCli, 1: list<array{0: string, 1: string, 2: string}>} the run, its events (pid, event, what)
     */
    private function wp(array $args): array
    {
        $events = $this->tempFile('events');
        putenv('SLUICE_CONFORMANCE_EVENTS=' . $events);
        $run = WpCli::run(array_merge(['--require=' . __DIR__ . '/bin/wp-cli-fixtures.php'], $args));
        putenv('SLUICE_CONFORMANCE_EVENTS');
        $lines = array_filter(explode("\n", (string) file_get_contents($events)));
        return [$run, array_map(static fn (string $line): array => explode(' ', $line, 3), array_values($lines))];
    }

    /** An action of the runner fixtures' counting callback (bin/queue-runner.php's and `wp`'s, not PHP-FPM's): "ran <tag>". */
    private function scheduleCounted(string $tag, ?int $when = null): int
    {
        $id = (int) as_schedule_single_action($when ?? time() - 1, 'sluice_conformance_count', [$tag], self::GROUP);
        self::assertGreaterThan(0, $id);
        return $id;
    }

    /** An action whose callback every process of the site has (the test hooks mu-plugin's counted task). */
    private function scheduleSiteTask(int $n, ?int $when = null): int
    {
        sluice_test_reset_runs();
        $id = (int) as_schedule_single_action($when ?? time() - 1, 'sluice_test_counted_task', [$n], self::GROUP);
        self::assertGreaterThan(0, $id);
        return $id;
    }

    /** @param list<array{0: string, 1: string, 2: string}> $events @return list<string> "event what" */
    private static function named(array $events): array
    {
        return array_map(static fn (array $e): string => $e[1] . ' ' . $e[2], $events);
    }

    public function testWpCliRunWithNothingDueClaimsNothingAndFiresNoQueueHook(): void
    {
        $this->scheduleCounted('later', time() + 3600);
        [$run, $events] = $this->wp(['action-scheduler', 'run']);
        self::assertSame(0, $run->exitCode, (string) $run);
        self::assertStringContainsString('Success: 0 scheduled tasks completed.', $run->stdout, (string) $run);
        self::assertSame([], self::named($events), 'no before_process_queue, no after_process_queue: run() is never called');
    }

    public function testWpCliRunClaimsBeforeItFiresBeforeProcessQueueOnEachBatch(): void
    {
        $first = $this->scheduleCounted('first');
        $second = $this->scheduleCounted('second');
        [$run, $events] = $this->wp(['action-scheduler', 'run', '--batch-size=1']);
        self::assertSame(0, $run->exitCode, (string) $run);
        self::assertStringContainsString('2 batches executed.', $run->stdout, (string) $run);
        self::assertSame([
            'before_process_queue claimed=1', "before_execute $first", "begin_execute $first", 'ran first', "after_execute $first", "completed_action $first", 'after_process_queue -',
            'before_process_queue claimed=1', "before_execute $second", "begin_execute $second", 'ran second', "after_execute $second", "completed_action $second", 'after_process_queue -',
        ], self::named($events), 'each batch: the claim is staked, then before_process_queue fires');
        self::assertSame(['action started via WP CLI', 'action complete via WP CLI'], array_values(array_slice($this->logs($first), 1)));
    }

    public function testWpCliActionRunRunsAnyPendingActionWithNoClaimEvenBeforeItIsDue(): void
    {
        $later = $this->scheduleCounted('by-hand', time() + 3600);
        [$run, $events] = $this->wp(['action-scheduler', 'action', 'run', (string) $later]);
        self::assertSame(0, $run->exitCode, (string) $run);
        self::assertStringContainsString('Success: Executed 1 action.', $run->stdout, (string) $run);
        self::assertSame(["before_execute $later", "begin_execute $later", 'ran by-hand', "after_execute $later", "completed_action $later"], self::named($events), 'no queue run: no claim, no queue hook');
        self::assertSame('0', $this->row($later)['claim_id']);
        self::assertSame(['action created', 'action started via Action Scheduler CLI', 'action complete via Action Scheduler CLI'], $this->logs($later));

        [$again] = $this->wp(['action-scheduler', 'action', 'run', (string) $later]);
        self::assertStringContainsString('Warning: 1 action ignored.', $again->stderr, (string) $again);
        self::assertStringContainsString('Success: Executed 0 actions.', $again->stdout, (string) $again);
    }

    public function testTheListTablesRunLinkRunsThePendingActionWithNoClaimAndSaysSo(): void
    {
        $this->lockAsyncRunner();
        $later = $this->scheduleSiteTask(1, time() + 3600);
        $admin = AdminHttp::admin();
        $page = $admin->get('/wp-admin/tools.php?page=action-scheduler');
        self::assertSame(200, $page['status']);
        self::assertSame(1, preg_match('/href="[^"]*row_action=run(?:&|&amp;|&#038;)row_id=' . $later . '(?:&|&amp;|&#038;)nonce=([0-9a-f]+)"/', $page['body'], $m), 'a Run link for the pending action');

        $bad = $admin->get("/wp-admin/tools.php?page=action-scheduler&row_action=run&row_id={$later}&nonce=0123456789");
        self::assertSame(302, $bad['status']);
        self::assertSame('pending', $this->row($later)['status'], 'a bad nonce runs nothing');

        $clicked = $admin->get("/wp-admin/tools.php?page=action-scheduler&row_action=run&row_id={$later}&nonce={$m[1]}");
        self::assertSame(302, $clicked['status']);
        self::assertStringNotContainsString('row_action', $clicked['location'], 'back to the page without the row action');
        self::assertSame('complete', $this->row($later)['status']);
        self::assertSame('0', $this->row($later)['claim_id']);
        self::assertContains('action started via Admin List Table', $this->logs($later));
        $after = $admin->get((string) parse_url($clicked['location'], PHP_URL_PATH) . '?' . (string) parse_url($clicked['location'], PHP_URL_QUERY));
        self::assertStringContainsString('Successfully executed action: <strong><code>sluice_test_counted_task</code></strong>', $after['body']);
    }

    public function testAnAdminRequestSendsTheAsyncRequestRunnerAtMostOnceAMinute(): void
    {
        delete_option('action_scheduler_lock_async-request-runner');
        $due = $this->scheduleSiteTask(2);
        $admin = AdminHttp::admin();
        self::assertSame(200, $admin->get('/wp-admin/index.php')['status']);

        $deadline = microtime(true) + 20;
        while ($this->row($due)['status'] !== 'complete' && microtime(true) < $deadline) {
            usleep(100000);
        }
        self::assertSame('complete', $this->row($due)['status'], 'the loopback request ran the due action');
        self::assertContains('action started via Async Request', $this->logs($due));
        wp_cache_delete('alloptions', 'options');
        wp_cache_delete('action_scheduler_lock_async-request-runner', 'options');
        $lock = (string) get_option('action_scheduler_lock_async-request-runner');
        self::assertMatchesRegularExpression('/^[0-9a-f.]+\|\d+$/', $lock, 'the shutdown took the option lock');
        $expiry = (int) explode('|', $lock)[1];
        self::assertEqualsWithDelta(time() + 60, $expiry, 25, 'for a minute');
        sleep(8); // the runner's chain sleeps 5 s, then ends with nothing due: not in the next test's queue
    }
}
