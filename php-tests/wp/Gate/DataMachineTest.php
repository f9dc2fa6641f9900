<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;

/** What Sluice does with Data Machine's own settings, limiter and resume actions. */
final class DataMachineTest extends GateTestCase
{
    public function testDataMachinesSettingsAreSluicesDefaults(): void
    {
        Site::configure(['pipeline_ai_concurrency_limit' => 2, 'pipeline_ai_throttle_delay' => 7,
                         'pipeline_ai_provider_concurrency_limits' => ['fake' => 1]], []);
        $config = \SluiceWP\Plugin::instance()->config;
        self::assertSame(2, $config->siteLimit());
        self::assertSame(7, $config->throttleDelay());
        self::assertSame(1, $config->providerLimit('fake'));
        self::assertSame(0, $config->providerLimit('other'));
        // Sluice's own setting wins over Data Machine's, and Sluice's filter over both.
        self::sluice(['site_limit' => 4]);
        self::assertSame(4, $config->siteLimit());
        $filter = static fn () => 5;
        add_filter('sluice_pipeline_ai_concurrency', $filter);
        self::assertSame(5, $config->siteLimit());
        remove_filter('sluice_pipeline_ai_concurrency', $filter);
    }

    public function testAStepTakesTheSiteAndTheProviderKeyInOneCall(): void
    {
        Site::configure(['pipeline_ai_concurrency_limit' => 3, 'pipeline_ai_provider_concurrency_limits' => ['fake' => 1]], []);
        Provider::reset(latencyMs: 1500);
        datamachine_fixture_start_flow('p1', 1);
        $runner = Runner::cli();
        $providerKey = self::gateKeys()->provider('fake', false);
        self::eventually(static fn () => (self::keyStatus($providerKey)?->active ?? 0) === 1, 15, 'the provider key to be held');
        $site = self::keyStatus(self::siteKey());
        self::assertSame([3, 1], [$site->limit, $site->active]);
        self::assertSame($site->holders[0]->token, self::keyStatus($providerKey)->holders[0]->token, 'one lease over both keys');
        $runner->wait();
    }

    public function testDataMachinesOwnLimiterStandsDownWhileSluiceGates(): void
    {
        // Data Machine would allow 1 at a time; Sluice allows 2: Data Machine must not throttle a second time.
        Site::configure(['pipeline_ai_concurrency_limit' => 1], []);
        self::sluice(['site_limit' => 2, 'throttle_delay' => 1, 'throttle_delay_max' => 1]);
        Provider::reset(latencyMs: 1200);
        datamachine_fixture_start_flow('n1', 2);
        Runner::until(static fn () => Site::unfinishedJobs() === 0, 2, 60);
        self::assertSame(2, Provider::stats()['max_served_in_flight'], 'two AI steps ran at once, as Sluice allows');
        self::assertSame([], Site::actionStatuses('datamachine_resume_ai_step'), "Data Machine's limiter never parked a job");
        global $wpdb;
        self::assertSame('0', (string) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}datamachine_logs WHERE message = 'Pipeline AI step deferred by concurrency limit'"));
    }

    /**
     * datamachine_resume_ai_step is left ungated: Data Machine accepts a resume
     * only under its exact action id, so a deferred copy would strand the job;
     * and with its limiter switched off Data Machine schedules none.
     */
    public function testAResumeActionLeftFromBeforeSluiceRunsUngated(): void
    {
        self::sluice(['site_limit' => 1]);
        $other = self::holdSiteSlot();
        [$jobId] = datamachine_fixture_start_flow('r1', 1);
        global $wpdb;
        $wpdb->query("DELETE FROM {$wpdb->prefix}actionscheduler_actions");
        as_schedule_single_action(time(), 'datamachine_resume_ai_step', ['job_id' => $jobId, 'flow_step_id' => 'pr1-ai_r1',
            'operation_generation' => 0, 'operation_claim_token' => '', 'ai_resume_generation' => 1], 'data-machine-ai-resume-' . $jobId, true);
        self::runQueueOnce();
        self::assertSame(['complete' => 1], Site::actionStatuses('datamachine_resume_ai_step'), 'it ran, not deferred');
        self::assertSame('pass', Site::recorded('sluice_test_decisions')[0]['decision']);
        self::assertSame(1, Provider::stats()['answered'], 'its AI request went out');
        unset($other);
    }
}
