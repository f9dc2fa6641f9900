<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Tests\Support\SluiceTestCase;
use SluiceWP\Admin\BackendNotice;
use SluiceWP\Admin\StatusSections;
use SluiceWP\Backend\BackendChoice;
use SluiceWP\Plugin;
use SluiceWP\Status\Health;
use SluiceWP\Status\ProcessStores;
use SluiceWP\Status\SiteStatus;
use SluiceWP\Status\UngatedCounter;

/**
 * Redis unreachable with the setting `backend` = redis: the store the setting
 * `redis_fallback` names serves (or none), and the admin notice and the
 * status page say which, never silently.
 */
final class RedisFallbackTest extends SluiceTestCase
{
    private int $closedPort = 0;
    private ?\Closure $filter = null;

    protected function setUp(): void
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        self::assertNotFalse($socket);
        $this->closedPort = (int) substr((string) strrchr((string) stream_socket_get_name($socket, false), ':'), 1);
        fclose($socket); // nothing listens there now
        $port = $this->closedPort;
        $this->filter = static fn (array $config): array => ['port' => $port, 'timeout' => 0.2] + $config;
        add_filter('sluice_redis', $this->filter);
        $admins = get_users(['role' => 'administrator', 'number' => 1, 'fields' => 'ID']);
        wp_set_current_user((int) ($admins[0] ?? 0));
    }

    protected function tearDown(): void
    {
        remove_filter('sluice_redis', $this->filter);
        wp_set_current_user(0);
    }

    public function testTheDatabaseServesAndTheNoticeAndStatusPageSaySo(): void
    {
        $choice = new BackendChoice('redis', 'database', 300);
        self::assertSame('database', $choice->backend()?->name());
        self::assertStringContainsString("127.0.0.1:{$this->closedPort}", (string) $choice->redisUnreachable());

        ob_start();
        (new BackendNotice($choice, static fn (): Health => Health::check($choice, Plugin::instance()->config, new ProcessStores(), (new UngatedCounter())->read())))->render();
        $notice = (string) ob_get_clean();
        self::assertStringContainsString('Sluice cannot use Redis', $notice);
        self::assertStringContainsString("127.0.0.1:{$this->closedPort}", $notice);
        self::assertStringContainsString('notice-warning', $notice);

        $report = (new SiteStatus($choice, Plugin::instance()->config))->report();
        self::assertSame('database', $report->backend);
        $html = (new StatusSections($report))->backend();
        self::assertStringContainsString('unreachable', $html);
        self::assertStringContainsString('serving from database instead', $html);
    }

    public function testUngatedSaysThatAiWorkRunsUngated(): void
    {
        $choice = new BackendChoice('redis', 'ungated', 300);
        self::assertNull($choice->backend());
        self::assertStringContainsString('redis_fallback is "ungated"', (string) $choice->unavailableReason());
        ob_start();
        (new BackendNotice($choice, static fn (): Health => Health::check($choice, Plugin::instance()->config, new ProcessStores(), (new UngatedCounter())->read())))->render();
        self::assertStringContainsString('Sluice is not limiting AI work', (string) ob_get_clean());
    }

    public function testAReachableRedisServesWithoutANotice(): void
    {
        remove_filter('sluice_redis', $this->filter);
        $choice = new BackendChoice('redis', 'database', 300);
        self::assertSame(['redis', null], [$choice->backend()?->name(), $choice->redisUnreachable()]);
        ob_start();
        (new BackendNotice($choice, static fn (): Health => Health::check($choice, Plugin::instance()->config, new ProcessStores(), (new UngatedCounter())->read())))->render();
        self::assertSame('', (string) ob_get_clean());
    }
}
