<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

/**
 * Data Machine issue #1820's acceptance list, one test an item, on the
 * fixture pipeline (fetch -> ai -> publish) with real queue runners.
 */
final class AcceptanceTest extends GateTestCase
{
    public function testTheFirstAiStepTakesASlotForAsLongAsItsProviderRequestRuns(): void
    {
        self::sluice(['site_limit' => 1]);
        Provider::reset(latencyMs: 1500);
        [$jobId] = datamachine_fixture_start_flow('1', 1);
        $runner = Runner::cli();
        self::eventually(static fn () => (self::keyStatus(self::siteKey())?->active ?? 0) === 1, 10, 'the AI step to hold the site slot');
        $holder = self::keyStatus(self::siteKey())->holders[0];
        self::assertStringContainsString("job $jobId", $holder->label);
        self::assertStringContainsString('fake', $holder->label, 'the provider is in the label');
        self::eventually(static fn () => Provider::stats()['in_flight'] === 1, 10, 'the provider request');
        self::assertTrue(self::keyStatus(self::siteKey())->holders[0]->requestOpen, 'the open request is marked on the lease');
        self::assertSame(0, $runner->wait());
        self::assertSame(['completed' => 1], Site::jobStatuses());
        self::assertSame(0, self::keyStatus(self::siteKey())->active, 'released when the step ended');
        self::assertSame([], Site::deferrals());
    }

    public function testASecondAiStepIsRescheduledNotFailedAndNotMarkedProcessed(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 30]);
        $other = self::holdSiteSlot(); // a concurrent AI step holds the only slot
        [$jobId] = datamachine_fixture_start_flow('2', 1);
        self::runQueueOnce();

        $ai = Site::aiActions();
        self::assertCount(2, $ai, 'the original and its copy');
        [$original, $copy] = $ai;
        self::assertSame('canceled', $original['status'], 'the original is cancelled, not failed');
        self::assertSame('0', (string) $original['attempts'], 'no attempt of the action was used');
        self::assertSame('pending', $copy['status']);
        self::assertSame($original['args'], $copy['args']);
        self::assertSame($original['group_id'], $copy['group_id']);
        self::assertSame($original['priority'], $copy['priority']);
        $wait = strtotime($copy['scheduled_date_gmt'] . ' UTC') - time();
        self::assertGreaterThanOrEqual(0, $wait, 'the copy waits for its turn (or a wake)');
        self::assertSame((string) $copy['action_id'], (string) \Sluice\line()[0]['tickets'][0]['ref'], 'its ticket follows the copy');
        self::assertSame(['processing' => 1], Site::jobStatuses(), 'the job is neither failed nor finished');
        self::assertSame(0, Site::processedItems(), 'no item was marked processed');
        self::assertArrayNotHasKey('retry', datamachine_get_engine_data($jobId), 'no retry attempt was used');
        self::assertSame(0, Provider::stats()['total'], 'the provider was not called');
        self::assertSame(1, count(Site::deferrals()));
        unset($other);
    }

    public function testConcurrentAiStepsAllCompleteAtTheLimitWithoutFailing(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 2]);
        Provider::reset(latencyMs: 1000);
        datamachine_fixture_start_flow('3', 2);
        datamachine_fixture_start_flow('4', 2);
        Runner::until(static fn () => Site::unfinishedJobs() === 0, 3, 90);
        self::assertSame(['completed' => 4], Site::jobStatuses());
        self::assertSame(4, Site::processedItems());
        self::assertLessThanOrEqual(1, Provider::stats()['max_served_in_flight'], 'never two AI requests at once');
        self::assertGreaterThan(0, count(Site::deferrals()), 'runners met a full slot and deferred');
        self::assertArrayNotHasKey('failed', Site::actionStatuses('datamachine_execute_step'));
    }

    public function testTheSlotIsReleasedWhenTheStepThrows(): void
    {
        self::sluice(['site_limit' => 1]);
        Site::configure([], ['fail_mode' => 'exception']);
        datamachine_fixture_start_flow('5', 1);
        self::runQueueOnce();
        $ai = Site::aiActions();
        self::assertSame('failed', $ai[0]['status'], 'Action Scheduler marked the throwing step failed');
        self::assertSame(0, self::keyStatus(self::siteKey())->active);
        self::assertCount(1, Site::recorded('sluice_test_releases'), 'released once, by the gate');
    }

    public function testTheSlotIsReleasedOnAFatalError(): void
    {
        self::sluice(['site_limit' => 1]);
        Site::configure([], ['fail_mode' => 'fatal']);
        datamachine_fixture_start_flow('6', 1);
        Runner::cli()->wait();
        [$step] = Site::aiActions();
        self::assertSame('failed', $step['status']);
        global $wpdb;
        $log = (string) $wpdb->get_var($wpdb->prepare("SELECT message FROM {$wpdb->prefix}actionscheduler_logs WHERE action_id = %d AND message LIKE 'unexpected shutdown%%'", $step['action_id']));
        self::assertStringContainsString('Maximum execution time', $log, 'the fatal-error monitor saw the E_ERROR');
        self::assertSame(0, self::keyStatus(self::siteKey())->active, 'the fatal error did not keep the slot');
        // Then the next AI step is admitted at once.
        Site::configure([], []);
        datamachine_fixture_start_flow('7', 1);
        self::runQueueOnce();
        self::assertSame(1, Site::processedItems());
        self::assertSame([], Site::deferrals());
    }

    public function testNonAiStepsAreNotBlockedWhileEverySlotIsTaken(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60]);
        $other = self::holdSiteSlot();
        [$jobA, $jobB] = datamachine_fixture_start_flow('8', 2);
        // A publish step of another job, queued while the slot is taken.
        datamachine_fixture_schedule_step($jobB, 'p8-publish_8', time());
        self::runQueueOnce();
        $statuses = Site::actionStatuses('datamachine_execute_step');
        self::assertSame(2 + 1, $statuses['complete'] ?? 0, 'both fetch steps and the publish step ran');
        self::assertSame(2, count(Site::deferrals()), 'only the two AI steps waited');
        self::assertSame(1, Site::processedItems());
        unset($other, $jobA);
    }

    public function testTheCurl28RetryPolicyStillWorksWhileASlotIsHeld(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 1]);
        Site::configure([], ['request_timeout' => 2, 'retry_base_delay' => 1]);
        // Another client fills the provider (capacity 1) for 6 s: the step's request stalls into cURL 28
        // (even when a loaded machine is slow to start the runner).
        Provider::reset(latencyMs: 6000, saturateAbove: 1);
        $hog = Runner::php('echo file_get_contents($url, false, stream_context_create(["http" => ["method" => "POST", "content" => "{}", "timeout" => 10]])) === false ? "x" : "ok";', ['url' => Provider::url() . '/v1/chat/completions']);
        usleep(200000);
        [$jobId] = datamachine_fixture_start_flow('9', 1);
        self::runQueueOnce();
        $engine = datamachine_get_engine_data($jobId);
        self::assertSame(1, $engine['retry']['attempts'] ?? null, 'the retry policy counted one attempt');
        self::assertSame('transport_connect_timeout', $engine['retry']['last_class']);
        self::assertStringContainsString('cURL error 28', $engine['retry']['last_message']);
        self::assertSame(0, self::keyStatus(self::siteKey())->active, 'the slot went back when the failed step ended');
        $hog->wait(15);
        Provider::reset(latencyMs: 300, saturateAbove: 1);
        Runner::until(static fn () => Site::unfinishedJobs() === 0, 2, 60);
        self::assertSame(['completed' => 1], Site::jobStatuses(), 'the retry ran through the gate and completed');
    }

    public function testTheThrottleIsLoggedWithItsMetadataInBothLogs(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 30]);
        $other = self::holdSiteSlot();
        [$jobId] = datamachine_fixture_start_flow('10', 1);
        self::runQueueOnce();

        global $wpdb;
        $row = $wpdb->get_row("SELECT * FROM {$wpdb->prefix}datamachine_logs WHERE message LIKE '%deferred by Sluice%'", ARRAY_A);
        self::assertNotNull($row, "a row in Data Machine's log");
        self::assertSame('warning', $row['level']);
        $context = json_decode($row['context'], true);
        foreach (['job_id' => $jobId, 'flow_step_id' => 'p10-ai_10', 'provider' => 'fake', 'reason' => 'ai_concurrency_limit',
                  'limit' => 1, 'active' => 1, 'attempt' => 1] as $field => $value) {
            self::assertSame($value, $context[$field], "field $field");
        }
        self::assertGreaterThanOrEqual(1, $context['rescheduled_for_seconds']);
        self::assertSame(0, $context['tickets_ahead'], 'its place in the waiting line');
        [$event] = Site::deferrals();
        self::assertSame([(string) $jobId, 'p10-ai_10', 'fake', 'ai_concurrency_limit', '1', '1', '1'],
            [$event['job_id'], $event['flow_step_id'], $event['provider'], $event['reason'], $event['limit_n'], $event['active_n'], $event['attempt']]);
        self::assertSame(self::siteKey(), $event['lease_key']);
        unset($other);
    }

    /** The gate keys on the step type and the provider only, never on where items came from. */
    public function testTheGateHasNoSourceSpecificLogic(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 2, 'throttle_delay_max' => 2, 'ai_hooks' => ['sluice_test_ai_task']]);
        $other = self::holdSiteSlot();
        datamachine_fixture_start_flow('11', 1, ['handler' => 'rss']);
        datamachine_fixture_start_flow('12', 1, ['handler' => 'reddit']);
        as_schedule_single_action(time(), 'sluice_test_ai_task', [], 'anything');
        self::runQueueOnce();
        self::assertCount(3, Site::deferrals(), 'two Data Machine AI steps of different sources and one other AI task, alike');
        unset($other);
        self::sluice(['site_limit' => 1, 'throttle_delay' => 1, 'ai_hooks' => ['sluice_test_ai_task']]);
        Runner::until(static fn () => Site::unfinishedJobs() === 0 && count(Site::recorded('sluice_test_ai_task_runs')) === 1, 2, 60);
        self::assertSame(2, Site::processedItems());
    }
}
