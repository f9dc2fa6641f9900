<?php
declare(strict_types=1);

namespace Sluice\WpTests\Rates;

use PHPUnit\Framework\TestCase;
use SluiceWP\Backend\BackendChoice;
use SluiceWP\DataMachine\DataMachine;
use SluiceWP\Settings\Config;
use SluiceWP\Status\Health;
use SluiceWP\Status\ProcessStores;
use SluiceWP\Status\UngatedCounter;

/**
 * Rate budgets set where the store keeps no buckets (the database and Redis
 * backends) are not silently ignored: Health says so (the status page, wp
 * sluice status, REST and the admin notice show it), and the native backend,
 * which keeps them, raises nothing.
 */
final class RateBudgetHealthTest extends TestCase
{
    protected function tearDown(): void
    {
        delete_option('sluice_settings');
    }

    private static function codes(string $backend): array
    {
        return Health::check(new BackendChoice($backend, 'database', 300), new Config(new DataMachine()), new ProcessStores(), (new UngatedCounter())->read())->codes();
    }

    public function testBudgetsOnAStoreWithoutBucketsAreAProblemOnTheStatusSurfaces(): void
    {
        update_option('sluice_settings', ['rpm_limits' => ['fake' => 0]]);
        self::assertNotContains('budgets_not_kept', self::codes('database'), 'a budget of 0 is none');
        update_option('sluice_settings', ['rpm_limits' => ['fake' => 30]]);
        self::assertContains('budgets_not_kept', self::codes('database'));
        self::assertNotContains('budgets_not_kept', self::codes('native'), 'the extension keeps them');
        update_option('sluice_settings', ['qps_limit' => 5]);
        self::assertContains('budgets_not_kept', self::codes('database'));
    }
}
