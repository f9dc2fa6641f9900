<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\Process;
use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use Sluice\WpTests\Cli\WpCli;
use SluiceWP\Backend\DatabaseBackend;

/**
 * Backend "auto" is resolved once for every process of the site: PHP-FPM
 * (with the extension) chooses native first, and queue runners without the
 * extension then do not quietly keep a store of their own (the database,
 * each store granting the whole limit, as before): they say that they cannot
 * use the site's store, and their AI work runs ungated under Data Machine's
 * own limiter, counted and shown as degraded health, while no process of
 * the site runs the queue through the store; once PHP-FPM does (WP-Cron),
 * it waits for PHP-FPM instead.
 */
final class OneStorePerSiteTest extends GateTestCase
{
    protected function tearDown(): void
    {
        $unexpected = array_filter(explode("\n", Site::sluiceErrors()), static fn (string $line): bool =>
            $line !== '' && !str_contains($line, 'cannot use the site\'s lease store') && !str_contains($line, 'error while deciding on action'));
        self::assertSame([], array_values($unexpected), "Sluice's code logged errors on the site");
    }

    public function testRunnersWithoutTheExtensionAreRefusedTheSitesNativeStoreAndSaySo(): void
    {
        // Data Machine's own limit is 1 too: what limits AI work where Sluice cannot.
        Site::configure(['pipeline_ai_concurrency_limit' => 1], [], ['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 2]);
        Provider::reset(latencyMs: 300);
        $before = (new DatabaseBackend())->operatorView()->keys()[self::siteKey()]->acquired ?? 0;
        // A page view through PHP-FPM (with the extension) is the site's first process to choose: native.
        $page = Process::execute(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', Site::url() . '/'], 30.0);
        self::assertSame('200', $page->stdout);
        wp_cache_flush();
        self::assertSame(['native', 'fpm-fcgi'], [get_option('sluice_store')['backend'] ?? null, get_option('sluice_store')['by'] ?? null]);

        datamachine_fixture_start_flow('no-ext', 2);
        self::runWithoutTheExtensionUntil(static fn (): bool => Site::processedItems() === 2, 60.0);
        self::assertSame(['completed' => 2], Site::jobStatuses());
        self::assertSame(1, Provider::stats()['max_served_in_flight'], "Data Machine's own limiter held them to its limit");
        self::assertSame($before, (new DatabaseBackend())->operatorView()->keys()[self::siteKey()]->acquired ?? 0, 'no second store: the database backend granted nothing');

        wp_cache_flush();
        $ungated = get_option('sluice_ungated');
        self::assertGreaterThanOrEqual(2, $ungated['count'] ?? 0, 'every AI step that ran ungated was counted');
        self::assertStringContainsString('not loaded', (string) $ungated['last_error']);
        $record = [];
        foreach (get_option('sluice_process_stores') as $key => $candidate) {
            $record = str_starts_with($key, 'cli:root:') && empty($candidate['extension']) ? $candidate : $record;
        }
        self::assertFalse($record['extension'] ?? true);
        self::assertStringContainsString("the site's store is native, chosen by a fpm-fcgi process", (string) ($record['error'] ?? ''));

        $report = WpCli::sluice(['report'])->json(); // a CLI process with the extension: it uses the native store
        self::assertSame('degraded', $report['health']['state']);
        $codes = array_column($report['health']['problems'], 'code');
        self::assertContains('process_refused', $codes);
        self::assertContains('ungated_runs', $codes);
        self::assertSame('native', $report['store']['backend']);

        // Once PHP-FPM runs the queue through the store (WP-Cron), the runners leave AI work to it.
        Site::reset();
        Site::configure(['pipeline_ai_concurrency_limit' => 1], [], ['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 2]);
        $cron = Runner::wpCron();
        $cron->wait(60);
        self::eventually(static function (): bool {
            wp_cache_flush();
            $web = array_filter(get_option('sluice_process_stores', []), static fn ($r, $key): bool => str_starts_with($key, 'web:') && ($r['queue_run_at'] ?? 0) > 0, ARRAY_FILTER_USE_BOTH);
            return $web !== [] && get_transient('doing_cron') === false;
        }, 30, 'a WP-Cron run through PHP-FPM');
        datamachine_fixture_start_flow('no-ext-2', 1);
        self::runWithoutTheExtensionUntil(static fn (): bool => Site::deferrals() !== [], 30.0);
        self::assertSame('store_unusable', Site::deferrals()[0]['reason'], 'the runner without the extension left the AI step to PHP-FPM');
        Runner::until(static fn (): bool => Site::processedItems() === 1, 0, 60, wpCron: true);
        self::assertSame(['completed' => 1], Site::jobStatuses());
    }

    private static function runWithoutTheExtensionUntil(callable $done, float $timeoutSeconds): void
    {
        $start = microtime(true);
        while (!$done()) {
            self::assertLessThan($timeoutSeconds, microtime(true) - $start, 'the work was not done in time');
            $runner = Runner::cliWithoutExtension();
            self::assertSame(0, $runner->wait(), 'a runner without the extension failed: ' . $runner->output());
            usleep(200000);
        }
    }
}
