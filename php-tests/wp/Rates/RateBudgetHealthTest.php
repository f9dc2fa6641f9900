<?php
declare(strict_types=1);

namespace Sluice\WpTests\Rates;

use PHPUnit\Framework\TestCase;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\BackendChoice;
use SluiceWP\Backend\DatabaseBackend;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\OperatorView;
use SluiceWP\Backend\Refusal;
use SluiceWP\DataMachine\DataMachine;
use SluiceWP\Settings\Config;
use SluiceWP\Status\Health;
use SluiceWP\Status\ProcessStores;
use SluiceWP\Status\UngatedCounter;

/**
 * Rate budgets set where the store keeps no buckets (a store handed in
 * through the sluice_backend filter that is not a Backend\RateBuckets) are
 * not silently ignored: Health says so (the status page, wp sluice status,
 * REST and the admin notice show it). The native, database and Redis
 * backends keep them and raise nothing (before, the database and Redis
 * backends raised it: they kept no buckets).
 */
final class RateBudgetHealthTest extends TestCase
{
    protected function tearDown(): void
    {
        delete_option('sluice_settings');
        remove_all_filters('sluice_backend');
    }

    private static function codes(string $backend): array
    {
        return Health::check(new BackendChoice($backend, 'database', 300), new Config(new DataMachine()), new ProcessStores(), (new UngatedCounter())->read())->codes();
    }

    public function testBudgetsOnAStoreWithoutBucketsAreAProblemOnTheStatusSurfaces(): void
    {
        // A store of the site's own that keeps slots only (the database backend's leases behind it).
        add_filter('sluice_backend', static fn (): Backend => new class (new DatabaseBackend()) implements Backend {
            public function __construct(private readonly DatabaseBackend $slots) {}
            public function name(): string { return 'slots-only'; }
            public function unavailableReason(): ?string { return $this->slots->unavailableReason(); }
            public function tryAcquire(array $limits, int $ttl, string $label): Lease|Refusal { return $this->slots->tryAcquire($limits, $ttl, $label); }
            public function release(Lease $lease): bool { return $this->slots->release($lease); }
            public function renew(Lease $lease, int $ttl): bool { return $this->slots->renew($lease, $ttl); }
            public function requestStarted(Lease $lease, int $maxSeconds, int $renewTtl = 0): bool { return $this->slots->requestStarted($lease, $maxSeconds, $renewTtl); }
            public function requestFinished(Lease $lease): bool { return $this->slots->requestFinished($lease); }
            public function operatorView(): OperatorView { return $this->slots->operatorView(); }
        });
        update_option('sluice_settings', ['rpm_limits' => ['fake' => 0]]);
        self::assertNotContains('budgets_not_kept', self::codes('database'), 'a budget of 0 is none');
        update_option('sluice_settings', ['rpm_limits' => ['fake' => 30]]);
        self::assertContains('budgets_not_kept', self::codes('database'));
        update_option('sluice_settings', ['qps_limit' => 5]);
        self::assertContains('budgets_not_kept', self::codes('database'));
        remove_all_filters('sluice_backend');
        update_option('sluice_settings', ['rpm_limits' => ['fake' => 30]]);
        self::assertNotContains('budgets_not_kept', self::codes('native'), 'the extension keeps them');
        self::assertNotContains('budgets_not_kept', self::codes('database'), 'the database backend keeps them');
    }
}
