<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

/**
 * A long-lived runner process that read a job's engine data before another
 * runner's fetch committed the packet claim (Data Machine caches engine data
 * per process in the object cache group `datamachine_engine_data`) must still
 * run the job's AI step, admitted or deferred by Sluice, with the claim: no
 * "Pipeline step omitted claimed packets", the claim processed once, one
 * publication. Process X reads the job, a second process runs the fetch, then
 * X runs the AI step through Action Scheduler.
 */
final class StaleEngineDataTest extends GateTestCase
{
    /** @return array<string, array{bool}> */
    public static function runs(): array
    {
        return ['admitted' => [false], 'deferred, then its copy' => [true]];
    }

    /** @dataProvider runs */
    public function testAStepRunsFromTheClaimAnotherRunnerCommitted(bool $deferred): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 1]);
        [$jobId] = datamachine_fixture_start_flow('s1', 1);
        $signals = sys_get_temp_dir() . '/sluice-stale-engine-' . getmypid();
        @unlink($signals . '.fetched');
        @unlink($signals . '.released');
        $x = Runner::php('require ' . var_export(Site::loader(), true) . ';
            $wait = static function (string $file): void { while (!file_exists($file)) { usleep(10000); } };
            $pending = static fn (): array => as_get_scheduled_actions(["hook" => "datamachine_execute_step", "status" => "pending",
                "args" => ["job_id" => $jobId, "flow_step_id" => "ps1-ai_s1"]], "ids");
            datamachine_get_engine_data($jobId);
            echo "cached\n";
            $wait($signals . ".fetched");
            $original = (int) current($pending());
            ActionScheduler::runner()->process_action($original, "WP CLI");
            if ($deferred) {
                echo "deferred ", implode(",", $pending()), "\n";
                $wait($signals . ".released");
                ActionScheduler::runner()->process_action((int) current($pending()), "WP CLI");
            }
            echo "ran\n";', ['jobId' => $jobId, 'signals' => $signals, 'deferred' => $deferred]);
        $x->expectLine('cached');

        $fetch = Runner::php('require ' . var_export(Site::loader(), true) . ';
            $ids = as_get_scheduled_actions(["hook" => "datamachine_execute_step", "status" => "pending",
                "args" => ["job_id" => $jobId, "flow_step_id" => "ps1-fetch_s1"]], "ids");
            ActionScheduler::runner()->process_action((int) current($ids), "WP CLI");', ['jobId' => $jobId]);
        self::assertSame(0, $fetch->wait(30), 'the fetch ran: ' . $fetch->output());
        $holder = $deferred ? self::holdSiteSlot() : null;
        touch($signals . '.fetched');
        if ($deferred) {
            self::eventually(static fn (): bool => str_contains($x->output(), 'deferred '), 30, 'X to defer the AI step');
            self::assertSame(1, count(Site::deferrals()), 'the AI step was deferred: ' . $x->output());
            unset($holder);
            touch($signals . '.released');
        }
        self::assertSame(0, $x->wait(60), 'X ran the AI step: ' . $x->output());
        @unlink($signals . '.fetched');
        @unlink($signals . '.released');
        self::runQueueOnce();

        global $wpdb;
        self::assertSame(['completed' => 1], Site::jobStatuses(), $x->output());
        self::assertSame([], $wpdb->get_col($wpdb->prepare("SELECT message FROM {$wpdb->prefix}datamachine_logs WHERE job_id = %d AND message LIKE %s",
            $jobId, '%omitted claimed packets%')), "Data Machine released the job's claim");
        self::assertSame([['job_id' => (string) $jobId, 'status' => 'processed']], $wpdb->get_results($wpdb->prepare(
            "SELECT job_id, status FROM {$wpdb->prefix}datamachine_processed_items WHERE item_identifier = %s", 'item-s1-1'), ARRAY_A), 'the claim was processed once');
        self::assertSame('1', (string) $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$wpdb->prefix}datamachine_logs WHERE job_id = %d AND message = %s",
            $jobId, 'Fixture published the item')), 'one publication');
    }
}
