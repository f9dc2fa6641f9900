<?php
declare(strict_types=1);

namespace Sluice\WpTests\Gate;

use Sluice\Support\Process;
use Sluice\Support\WordPress\FpmPools;
use Sluice\Support\WordPress\Provider;
use Sluice\Support\WordPress\Runner;
use Sluice\Support\WordPress\Site;
use Sluice\WpTests\Admin\AdminHttp;
use Sluice\WpTests\Cli\WpCli;

/**
 * A process that cannot use the site's store is never silently ungated: with
 * the defaults sluice.file_mode=0600 and no sluice.group, PHP-FPM as
 * www-data (a pool of its own on this host, serving the test site) and a
 * root CLI queue runner cannot share the segment, in either start order.
 * The refused one says so once per process in its error log, records it
 * (option sluice_process_stores), and its AI work waits as a copy for the
 * kind of process that can use the store (reason store_unusable), never
 * reaching the provider; the status page, `wp sluice health`, the report
 * and the admin notice show it with the php.ini lines that fix it. Before,
 * the refused root runner ran every AI step ungated without a word.
 */
final class StoreRefusedTest extends GateTestCase
{
    private ?FpmPools $pools = null;
    private string $segment = '';

    protected function setUp(): void
    {
        parent::setUp();
        $this->segment = getenv('SLUICE_SEGMENT') . '-0600';
        $this->removeSegment();
        self::sluice(['site_limit' => 1, 'throttle_delay' => 1, 'throttle_delay_max' => 2, 'backend' => 'native']);
        // Only the processes this test starts run the queue (an admin page view would start a queue run through the bed's own PHP-FPM).
        self::testKnobs(['no_async_runner' => true]);
        // PHP-FPM workers as www-data on a segment of the defaults: mode 0600, no group.
        $this->pools = new FpmPools(2, ['a'], [
            "php_admin_value[sluice.segment] = {$this->segment}",
            'php_admin_value[sluice.file_mode] = 0600',
            'php_admin_value[sluice.group] = ""',
        ], ownSharedMemory: false);
    }

    protected function tearDown(): void
    {
        $this->pools?->stop();
        $this->removeSegment();
        // The refusals this test causes are expected in the site's log; nothing else of Sluice's may be there.
        $unexpected = array_filter(explode("\n", Site::sluiceErrors()), static fn (string $line): bool =>
            $line !== '' && !str_contains($line, 'cannot use the site\'s lease store'));
        self::assertSame([], array_values($unexpected), "Sluice's code logged errors on the site");
    }

    public function testAFpmCreatedSegmentRefusesARootRunnerThatSaysSoAndLeavesItsAiWorkToFpm(): void
    {
        // PHP-FPM first: a WP-Cron run through the pool creates the segment (www-data, 0600) and runs a queue through it.
        $this->cronThroughThePool();
        self::assertFileExists($this->segmentPath());
        self::assertSame('www-data', posix_getpwuid((int) fileowner($this->segmentPath()))['name'] ?? '');

        // A root CLI runner with the same defaults is refused.
        [$jobId] = datamachine_fixture_start_flow('refused-cli', 1);
        for ($run = 0; $run < 3 && Site::deferrals() === []; $run++) {
            $runner = $this->rootRunner();
            self::assertSame(0, $runner->wait(), $runner->output());
        }
        self::assertSame(0, Provider::stats()['answered'], 'the refused runner sent no AI request');
        $deferrals = Site::deferrals();
        self::assertNotEmpty($deferrals, 'its AI step was deferred, not run ungated');
        self::assertSame('store_unusable', $deferrals[0]['reason']);
        $refusals = preg_grep('/Sluice: this PHP process \(cli, pid \d+, user root\) cannot use the site\'s lease store/', explode("\n", Site::sluiceErrors()));
        self::assertCount(1, $refusals, 'the runner said so once in its error log, though it deferred an action');

        $record = self::record('cli:root') ?? [];
        self::assertArrayHasKey('store', $record);
        self::assertNull($record['store'], 'the runner records that it uses no store');
        self::assertStringContainsString($this->segment, (string) ($record['error'] ?? ''));
        self::assertSame('native', self::record('web:www-data')['store'] ?? null, 'FPM uses the segment');

        // What the operator sees: the status page and its notice (served by the pool), and the CLI.
        $page = $this->adminPage();
        foreach (['cannot use the site&#039;s lease store', 'the CLI (queue runners, WP-CLI) as root', 'sluice.file_mode=0660', 'sluice.group=www-data'] as $text) {
            self::assertStringContainsString($text, $page, "the status page shows: $text");
        }
        self::assertStringContainsString('sluice-health-process_refused', $page, 'the admin notice shows the refused runner');
        $siteHealth = $this->adminPage('site-health.php');
        self::assertStringContainsString('A PHP of the site cannot use the shared-memory segment', $siteHealth, 'Tools > Site Health shows it');
        self::assertStringContainsString('sluice.group=www-data', $siteHealth);
        $statuses = [];
        foreach (apply_filters('site_status_tests', ['direct' => [], 'async' => []])['direct'] as $id => $test) {
            if (str_starts_with((string) $id, 'sluice_')) {
                $statuses[$id] = call_user_func($test['test'])['status'];
            }
        }
        self::assertSame('critical', $statuses['sluice_segment'] ?? null);
        self::assertSame('critical', $statuses['sluice_one_store'] ?? null);
        self::assertSame('good', $statuses['sluice_limits'] ?? null);
        $health = $this->rootWp(['sluice', 'health', '--format=json']);
        self::assertSame(1, $health->exitCode, "wp sluice health fails while a process is refused:\n" . $health);
        $codes = array_column($health->json(), 'code');
        self::assertContains('store_unusable', $codes, 'the CLI process itself is refused');

        // The AI work runs once FPM runs the queue: nothing lost.
        $start = microtime(true);
        while (Site::processedItems() < 1 && microtime(true) - $start < 60) {
            $this->cronThroughThePool();
            usleep(500000);
        }
        self::assertSame(['completed' => 1], Site::jobStatuses(), "job $jobId completed, through PHP-FPM");
    }

    public function testARootCreatedSegmentRefusesFpmWhichSaysSoAndLeavesItsAiWorkToTheRunners(): void
    {
        // The root CLI runner first: it creates the segment (root, 0600) and runs a queue through it.
        $runner = $this->rootRunner();
        self::assertSame(0, $runner->wait(), $runner->output());
        self::assertSame('root', posix_getpwuid((int) fileowner($this->segmentPath()))['name'] ?? '');
        self::assertSame('native', self::record('cli:root')['store'] ?? null);

        // PHP-FPM (www-data) cannot open it: its AI work waits for the runners.
        [$jobId] = datamachine_fixture_start_flow('refused-fpm', 1);
        for ($run = 0; $run < 3 && Site::deferrals() === []; $run++) {
            $this->cronThroughThePool();
        }
        self::assertSame(0, Provider::stats()['answered'], 'the refused workers sent no AI request');
        $deferrals = Site::deferrals();
        self::assertNotEmpty($deferrals, "FPM's AI step was deferred, not run ungated");
        self::assertSame('store_unusable', $deferrals[0]['reason']);
        // PHP's error log of the workers: the pool's, or WordPress's debug.log where WP_DEBUG_LOG points it.
        $log = $this->pools?->phpLog('a') . "\n" . Site::sluiceErrors();
        $refusals = preg_grep('/Sluice: this PHP process \(fpm-fcgi, pid \d+, user www-data\) cannot use the site\'s lease store/', explode("\n", $log));
        self::assertNotEmpty($refusals, "the workers said so in the pool's error log:
" . $log);
        self::assertLessThanOrEqual(2, count($refusals), 'once per worker (2 workers), not once per request');
        self::assertStringContainsString('permission denied', (string) (self::record('web:www-data')['error'] ?? ''));

        // What the operator sees on the status page (a refused worker renders it) and from the CLI.
        $page = $this->adminPage();
        foreach (['waits for the CLI (queue runners, WP-CLI) as root', 'sluice.file_mode=0660', 'sluice.group=www-data'] as $text) {
            self::assertStringContainsString($text, $page, "the status page shows: $text");
        }
        self::assertStringContainsString('sluice-health-store_unusable', $page, 'and its admin notice');
        $report = $this->rootWp(['sluice', 'report']);
        self::assertSame(0, $report->exitCode, (string) $report);
        $json = $report->json();
        self::assertSame('degraded', $json['health']['state']);
        self::assertContains('process_refused', array_column($json['health']['problems'], 'code'));
        $byKind = array_column($json['processes'], null, 'kind');
        self::assertSame('native', $byKind['cli']['store'] ?? null, 'the report lists the runner on the segment');
        self::assertArrayHasKey('web', $byKind);
        self::assertNull($byKind['web']['store'], 'and PHP-FPM refused');

        // The runners do the work: nothing lost.
        $start = microtime(true);
        while (Site::processedItems() < 1 && microtime(true) - $start < 60) {
            $runner = $this->rootRunner();
            self::assertSame(0, $runner->wait(), $runner->output());
            usleep(300000);
        }
        self::assertSame(['completed' => 1], Site::jobStatuses(), "job $jobId completed, through the root runner");
    }

    /** One WP-Cron run through the pool (PHP-FPM as www-data), waited for to its end. */
    private function cronThroughThePool(): void
    {
        $cron = Runner::wpCron($this->pools?->url('a'));
        $cron->wait(60);
        // wp-cron.php answers before it runs the queue: its lock goes when the run is over.
        self::eventually(static fn (): bool => self::record('web:www-data') !== [] && get_transient('doing_cron') === false, 30, 'the WP-Cron run through the pool');
    }

    /** @return array<string, mixed> the record of processes of this kind and user ("cli:root"), read afresh (other processes write it) */
    private static function record(string $kindAndUser): array
    {
        wp_cache_flush();
        $records = get_option('sluice_process_stores', []);
        foreach (is_array($records) ? $records : [] as $key => $record) {
            if (str_starts_with((string) $key, $kindAndUser . ':')) {
                return $record;
            }
        }
        return [];
    }

    private function rootRunner(): Runner
    {
        return Runner::shell('exec ' . escapeshellarg(PHP_BINARY) . ' ' . $this->iniFlags() . ' ' . escapeshellarg(Runner::queueScript()));
    }

    /** @param list<string> $args */
    private function rootWp(array $args): WpCli
    {
        // bin/wp hands WP_CLI_PHP_ARGS to the php it runs.
        $result = Process::execute(array_merge([WpCli::binary(), '--path=' . getenv('SLUICE_WP_DIR'), '--allow-root'], $args), 60.0,
            ['WP_CLI_PHP_ARGS' => implode(' ', $this->iniArgs())]);
        return new WpCli($result->exitCode, $result->stdout, $result->stderr);
    }

    /** @return list<string> the defaults' php.ini settings for this test's segment */
    private function iniArgs(): array
    {
        return ['-d', "sluice.segment={$this->segment}", '-d', 'sluice.file_mode=0600', '-d', 'sluice.group='];
    }

    private function iniFlags(): string
    {
        return implode(' ', array_map('escapeshellarg', $this->iniArgs()));
    }

    /** A wp-admin page as the administrator sees it, served by the pool (Sluice > Status by default). */
    private function adminPage(string $page = 'admin.php?page=sluice'): string
    {
        $url = (string) $this->pools?->url('a');
        $session = AdminHttp::loggedInAt('127.0.0.1', (int) parse_url($url, PHP_URL_PORT), 'admin', AdminHttp::adminPassword());
        $response = $session->get('/wp-admin/' . $page);
        self::assertSame(200, $response['status']);
        return $response['body'];
    }

    private function segmentPath(): string
    {
        return \Sluice\segment_path($this->segment);
    }

    private function removeSegment(): void
    {
        @unlink($this->segmentPath());
        @unlink($this->segmentPath() . '.lock');
    }
}
