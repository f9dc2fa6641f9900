<?php
declare(strict_types=1);

namespace Sluice\WpTests\Runners;

use Sluice\WpTests\Admin\AdminHttp;
use Sluice\WpTests\Cli\WpCli;
use Sluice\WpTests\Gate\GateTestCase;
use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\NativeBackend;

/**
 * An operator runs a deferred AI step by hand: Tools > Scheduled Actions'
 * "Run" link, or `wp action-scheduler action run <id>`. Both call Action
 * Scheduler's process_action() with no claim. With a slot free the step
 * runs at once; with none it keeps its place in line (its ticket moves to a
 * new copy) and the operator is told why it did not run, where they look:
 * the admin notice that would otherwise say "Successfully executed action",
 * and a WP-CLI warning.
 *
 * @group action-scheduler-hybrid
 */
final class OperatorRunTest extends GateTestCase
{
    /** A Data Machine AI step queued on its own (its job's fetch step is not needed here), deferred once: returns its copy's id. */
    private static function deferredAiStep(): int
    {
        [$jobId] = datamachine_fixture_start_flow('op' . random_int(1, 999999), 1);
        global $wpdb;
        $wpdb->query("DELETE FROM {$wpdb->prefix}actionscheduler_actions");
        $engine = datamachine_get_engine_data($jobId);
        $aiStep = (string) array_keys($engine['flow_config'])[1];
        $original = (int) as_schedule_single_action(time(), 'datamachine_execute_step', ['job_id' => $jobId, 'flow_step_id' => $aiStep], 'data-machine');
        self::runQueueOnce();
        self::assertSame('canceled', self::status($original), 'the step met the held slot and was deferred');
        return self::pendingCopy();
    }

    private static function status(int $id): string
    {
        global $wpdb;
        return (string) $wpdb->get_var($wpdb->prepare("SELECT status FROM {$wpdb->prefix}actionscheduler_actions WHERE action_id = %d", $id));
    }

    private static function pendingCopy(): int
    {
        $pending = array_values(array_filter(Site::aiActions(), static fn (array $a): bool => $a['status'] === 'pending'));
        self::assertCount(1, $pending, 'one copy waits');
        return (int) $pending[0]['action_id'];
    }

    /** @return array{ref: int, first_deferred_at: int} the one ticket of the line */
    private static function onlyTicket(): array
    {
        $tickets = [];
        foreach ((new NativeBackend())->line() as $queue) {
            foreach ($queue->tickets as $ticket) {
                $tickets[] = ['ref' => $ticket->ref, 'first_deferred_at' => $ticket->firstDeferredAt];
            }
        }
        self::assertCount(1, $tickets, 'one ticket in line');
        return $tickets[0];
    }

    public function testWpCliRunOfADeferredStepWithNoSlotSaysWhyAndKeepsItsPlace(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        $elsewhere = self::holdSiteSlot();
        $copy = self::deferredAiStep();
        $ticket = self::onlyTicket();
        self::assertSame($copy, $ticket['ref']);

        $run = WpCli::run(['action-scheduler', 'action', 'run', (string) $copy]);

        self::assertSame(0, $run->exitCode, (string) $run);
        $next = self::pendingCopy();
        self::assertNotSame($copy, $next);
        self::assertStringContainsString(
            "Warning: Action $copy (datamachine_execute_step) did not run: no AI slot is free on " . self::siteKey() . " (limit 1, 1 in use). It waits in line as action $next",
            $run->stderr . $run->stdout,
            (string) $run,
        );
        self::assertSame('canceled', self::status($copy));
        self::assertSame(['ref' => $next, 'first_deferred_at' => $ticket['first_deferred_at']], self::onlyTicket(), 'the same ticket moved to the new copy: its place in line is kept');
        self::assertSame(0, Provider::stats()['total'], 'no AI request was made');

        // A slot frees (handed to the waiting ticket): the operator's run now runs the step.
        (new NativeBackend())->release($elsewhere);
        $run = WpCli::run(['action-scheduler', 'action', 'run', (string) $next]);
        self::assertSame(0, $run->exitCode, (string) $run);
        self::assertStringContainsString('Success: Executed 1 action.', $run->stdout, (string) $run);
        self::assertStringNotContainsString('did not run', $run->stderr . $run->stdout);
        self::assertSame('complete', self::status($next));
        self::assertSame(1, Provider::stats()['total'], 'the step made its AI request');
    }

    public function testTheListTablesRunLinkOfADeferredStepWithNoSlotSaysWhyInsteadOfExecuted(): void
    {
        self::sluice(['site_limit' => 1, 'throttle_delay' => 60, 'throttle_delay_max' => 60]);
        $elsewhere = self::holdSiteSlot();
        $copy = self::deferredAiStep();
        $admin = AdminHttp::admin();

        $notice = self::clickRun($admin, $copy);

        $next = self::pendingCopy();
        self::assertStringContainsString('Sluice did not run this AI step now.', $notice);
        self::assertStringContainsString("It waits in line as action $next", $notice);
        self::assertStringContainsString('no AI slot is free on ' . esc_html(self::siteKey()), $notice);
        self::assertStringNotContainsString('Successfully executed action', $notice);
        self::assertSame(0, Provider::stats()['total']);

        (new NativeBackend())->release($elsewhere);
        $notice = self::clickRun($admin, $next);
        self::assertStringContainsString('Successfully executed action', $notice);
        self::assertStringNotContainsString('Sluice did not run', $notice);
        self::assertSame('complete', self::status($next));
        self::assertSame(1, Provider::stats()['total']);
    }

    /** Clicks the action's "Run" link on Tools > Scheduled Actions, follows the redirect and returns the page's notices. */
    private static function clickRun(AdminHttp $admin, int $actionId): string
    {
        $page = $admin->get('/wp-admin/tools.php?page=action-scheduler');
        self::assertSame(200, $page['status'], 'the Scheduled Actions page');
        $found = preg_match('/href="[^"]*row_action=run(?:&|&amp;|&#038;)row_id=' . $actionId . '(?:&|&amp;|&#038;)nonce=([0-9a-f]+)"/', $page['body'], $m);
        self::assertSame(1, $found, "the page offers a Run link for action $actionId");
        $clicked = $admin->get('/wp-admin/tools.php?page=action-scheduler&row_action=run&row_id=' . $actionId . '&nonce=' . $m[1]);
        self::assertSame(302, $clicked['status'], 'Action Scheduler redirects after a row action');
        $after = $admin->get((string) parse_url($clicked['location'], PHP_URL_PATH) . '?' . (string) parse_url($clicked['location'], PHP_URL_QUERY));
        self::assertSame(200, $after['status']);
        preg_match_all('/<div id="message" class="[^"]*">\s*<p>(.*?)<\/p>\s*<\/div>/s', $after['body'], $notices);
        return implode("\n", $notices[1]);
    }
}
