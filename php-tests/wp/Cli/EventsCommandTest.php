<?php
declare(strict_types=1);

namespace Sluice\WpTests\Cli;

use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Site;
use Sluice\WpTests\Gate\GateTestCase;
use SluiceWP\Gate\AiWork;
use SluiceWP\Gate\ScheduledAction;
use SluiceWP\Backend\Lease;
use SluiceWP\Log\EventLog;
use SluiceWP\Log\EventLogSchema;

/**
 * One line of sight per item: every decision about an AI step is a row of
 * the event log with its action, job, flow step and provider, the request's
 * rows go in one INSERT, and `wp sluice events` tells one item's story in order.
 */
final class EventsCommandTest extends GateTestCase
{
    /** @group action-scheduler-hybrid */
    public function testADeferredStepThatIsWokenAndAdmittedTellsItsStoryInOrder(): void
    {
        // A long fallback delay: only a wake brings the copy back within this test.
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        Provider::reset(latencyMs: 100);
        $slot = self::holdSiteSlot();
        [$job] = datamachine_fixture_start_flow('story', 1);
        self::runQueueOnce(); // the fetch runs, the AI step is deferred: the test holds the only slot
        $deferrals = Site::deferrals();
        self::assertCount(1, $deferrals, 'the AI step was deferred once');
        $original = (int) $deferrals[0]['action_id'];
        $copy = (int) $deferrals[0]['copy_action_id'];
        self::assertGreaterThan($original, $copy);

        (new \SluiceWP\Backend\NativeBackend())->release($slot); // the store reserves the slot for the ticket
        self::runQueueOnce(); // the queue run's sweep pulls the copy forward; it is admitted and runs
        self::assertSame(1, Site::processedItems(), 'the item was processed');

        $result = WpCli::sluice(['events', '--action=' . $original, '--format=json']);
        self::assertSame(0, $result->exitCode, (string) $result);
        $rows = $result->json();
        self::assertSame(['deferred', 'woken', 'admitted', 'finished'], array_column($rows, 'event'), (string) $result);
        self::assertSame([$original, $copy, $copy, $copy], array_column($rows, 'action_id'));
        self::assertSame($copy, $rows[0]['copy_action_id'], 'the deferral links the original to its copy');
        self::assertSame('ai_concurrency_limit', $rows[0]['reason']);
        foreach ($rows as $row) {
            self::assertSame($job, $row['job_id'], "the {$row['event']} row names the job");
            self::assertStringContainsString('-ai_', (string) $row['flow_step_id'], "the {$row['event']} row names the flow step");
        }
        self::assertSame(self::siteKey(), $rows[2]['lease_key'], 'the admission names its key');
        self::assertSame(1, $rows[2]['limit_n']);
        self::assertGreaterThan(0, $rows[2]['duration_ms'], 'the admission says how long it waited since its deferral');
        // The copy's own story and the job's are the same rows.
        self::assertSame($rows, WpCli::sluice(['events', '--action=' . $copy, '--format=json'])->json());
        $ofJob = WpCli::sluice(['events', '--job=' . $job, '--format=json'])->json();
        self::assertSame(array_column($rows, 'id'), array_column($ofJob, 'id'));
        self::assertSame([], WpCli::sluice(['events', '--action=' . $original, '--since=2099-01-01', '--format=json'])->json(), 'nothing since a later time');
        self::assertCount(4, WpCli::sluice(['events', '--action=' . $original, '--since=10m', '--format=json'])->json());
    }

    public function testTheRequestsRowsGoInOneInsertAndADeferralIsWrittenAtOnce(): void
    {
        global $wpdb;
        $log = new EventLog();
        $work = new AiWork(new ScheduledAction(9001, 'datamachine_execute_step', ['job_id' => 77], 'data-machine', 10, false, time()), 'fake', 77, 'f-ai_1');
        $lease = new Lease('t', [self::siteKey() => 2, 'sluice/provider:fake' => 1]);
        $inserts = [];
        $count = static function (string $query) use (&$inserts): string {
            if (stripos($query, 'INSERT') === 0 && str_contains($query, EventLogSchema::table())) {
                $inserts[] = $query;
            }
            return $query;
        };
        add_filter('query', $count);
        try {
            $log->woken(9001, 500);
            $log->admitted($work, $lease, 1200);
            $log->finished($work, 800, false);
            self::assertSame([], $inserts, 'nothing is written while the step runs');
            self::assertTrue($log->flush());
        } finally {
            remove_filter('query', $count);
        }
        self::assertCount(1, $inserts, 'one INSERT for the three rows');
        $rows = $wpdb->get_results($wpdb->prepare('SELECT event, job_id, flow_step_id, lease_key, limit_n, duration_ms FROM ' . EventLogSchema::table() . ' WHERE action_id = %d ORDER BY at_ms, id', 9001), ARRAY_A);
        self::assertSame(['woken', 'admitted', 'finished'], array_column($rows, 'event'));
        self::assertSame(['sluice/provider:fake', '1', '1200'], [$rows[1]['lease_key'], $rows[1]['limit_n'], $rows[1]['duration_ms']], 'the admission names the tightest key, its limit and the wait');
        self::assertSame(['77', 'f-ai_1', '800'], [$rows[2]['job_id'], $rows[2]['flow_step_id'], $rows[2]['duration_ms']]);
    }

    /** A process that switched blogs (a network's sweep) writes each row to the log of the blog it was about. */
    public function testEachRowGoesToTheLogOfTheBlogItWasAbout(): void
    {
        global $wpdb;
        $home = $wpdb->prefix;
        $mainTable = EventLogSchema::table();
        $otherTable = $home . 'evtest_sluice_events';
        $wpdb->query("CREATE TABLE IF NOT EXISTS {$otherTable} LIKE {$mainTable}");
        $wpdb->query("DELETE FROM {$otherTable}");
        $log = new EventLog();
        try {
            $wpdb->prefix = $home . 'evtest_'; // as switch_to_blog() sets it
            $log->woken(9101, 0);
        } finally {
            $wpdb->prefix = $home;
        }
        $log->woken(9102, 0);
        self::assertTrue($log->flush());
        self::assertSame(['9101'], $wpdb->get_col("SELECT action_id FROM {$otherTable}"), "the other blog's row went to its log");
        self::assertSame(['9102'], $wpdb->get_col("SELECT action_id FROM {$mainTable} WHERE action_id IN (9101, 9102)"), "and this blog's to this one's");
        $wpdb->query("DROP TABLE {$otherTable}");
    }

    public function testBadInputIsRefusedByName(): void
    {
        foreach ([
            [['--action=12x'], '--action'],
            [['--job=-3'], '--job'],
            [['--limit=0'], '--limit'],
            [['--since=the day before'], '--since'],
            [['--format=xml'], 'format'],
        ] as [$args, $named]) {
            $result = WpCli::sluice(array_merge(['events'], $args));
            self::assertSame(1, $result->exitCode, (string) $result);
            self::assertStringContainsString($named, $result->stderr, implode(' ', $args));
        }
    }
}
