<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\RedisTestBed;
use Sluice\Support\WordPress\Site;
use Sluice\WpTests\Cli\WpCli;
use Sluice\WpTests\Gate\GateTestCase;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\RedisBackend;

/**
 * The setting `backend` = redis as an operator uses it, through the real `wp`
 * binary: `wp sluice config set backend redis`, then status and bench on the
 * Redis store; `wp sluice bench --backend=redis` from a site on another
 * store; and a Redis the process cannot reach (SLUICE_REDIS pointing at a
 * closed port in the child's environment): the fallback the setting
 * `redis_fallback` names, and status saying so.
 */
final class RedisCliTest extends GateTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        RedisTestBed::trust();
    }

    protected function tearDown(): void
    {
        delete_option('sluice_settings');
        parent::tearDown();
    }

    public function testStatusAndBenchOnTheRedisBackend(): void
    {
        $set = WpCli::sluice(['config', 'set', 'backend', 'redis']);
        self::assertSame(0, $set->exitCode, (string) $set);
        $backend = new RedisBackend();
        $lease = $backend->tryAcquire([self::siteKey() => 2], 600, 'redis holder');
        self::assertInstanceOf(Lease::class, $lease);
        try {
            $status = WpCli::sluice(['report']);
            self::assertSame(0, $status->exitCode, (string) $status);
            $report = $status->json();
            self::assertSame(['redis', null, null], [$report['backend'], $report['backend_unavailable'], $report['redis_unreachable']]);
            $keys = array_column($report['keys'], null, 'key');
            self::assertSame($lease->token, $keys[self::siteKey()]['holders'][0]['token'] ?? null, (string) $status);

            $bench = WpCli::sluice(['bench', '--pairs=200', '--format=json']);
            self::assertSame(0, $bench->exitCode, (string) $bench);
            $result = $bench->json();
            self::assertSame('redis', $result['backend']);
            self::assertEquals(2, $result['redis_round_trips_per_pair'], 'one round trip per acquire and one per release');
            self::assertEquals(0, $result['queries_per_pair'], 'and no SQL');
            $table = WpCli::sluice(['bench', '--pairs=50']);
            self::assertMatchesRegularExpression('/redis_round_trips_per_pair\s+2\b/', $table->stdout, 'the table (WP-CLI\'s Formatter) shows the round trips');
        } finally {
            $backend->release($lease);
        }
    }

    public function testBenchTriesRedisBeforeTheSettingDoes(): void
    {
        $bench = WpCli::sluice(['bench', '--backend=redis', '--pairs=50', '--format=json']);
        self::assertSame(0, $bench->exitCode, (string) $bench);
        self::assertSame('redis', $bench->json()['backend']);
        self::assertSame('native', WpCli::sluice(['report'])->json()['backend'], 'the site\'s store is unchanged');
    }

    public function testAnUnreachableRedisFallsBackAsTheSettingSaysAndStatusSaysSo(): void
    {
        $closed = stream_socket_server('tcp://127.0.0.1:0');
        self::assertNotFalse($closed);
        $port = (int) substr((string) strrchr((string) stream_socket_get_name($closed, false), ':'), 1);
        fclose($closed);
        $port = (string) $port;
        $own = (string) getenv('SLUICE_REDIS_PORT');
        putenv("SLUICE_REDIS_PORT={$port}"); // the `wp` child reads it (the test site's must-use plugin)
        try {
            self::sluice(['backend' => 'redis']);
            $status = WpCli::sluice(['report']);
            self::assertSame(0, $status->exitCode, (string) $status);
            $report = $status->json();
            self::assertSame('database', $report['backend'], 'redis_fallback defaults to the database backend');
            self::assertStringContainsString("127.0.0.1:{$port}", (string) $report['redis_unreachable']);
            $table = WpCli::sluice(['status']);
            self::assertStringContainsString('Sluice cannot use Redis', $table->stderr, 'the table says so as a warning');

            self::sluice(['backend' => 'redis', 'redis_fallback' => 'ungated']);
            $report = WpCli::sluice(['report'])->json();
            self::assertNull($report['backend'], 'no store: AI work runs ungated');
            self::assertStringContainsString('redis_fallback is "ungated"', (string) $report['backend_unavailable']);
            self::assertSame('ungated', $report['health']['state']);
            self::assertStringContainsString('cannot use the site\'s lease store', Site::sluiceErrors(), 'the process said so in its error log');
            Site::reset(); // that logged line was expected
        } finally {
            putenv("SLUICE_REDIS_PORT={$own}");
        }
    }
}
