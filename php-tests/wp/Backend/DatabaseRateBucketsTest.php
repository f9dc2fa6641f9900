<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\DatabaseBackend;
use SluiceWP\Backend\RateBuckets;
use SluiceWP\Backend\WaitingLine;

require_once __DIR__ . '/RateBucketsContractTestCase.php';

/**
 * The database backend's token buckets (sluice_rate_buckets, the database
 * server's clock) against the rate buckets contract, and what only it
 * promises: taking the buckets adds no query to an uncontended pair.
 */
final class DatabaseRateBucketsTest extends RateBucketsContractTestCase
{
    protected function backend(): Backend&RateBuckets&WaitingLine
    {
        return new DatabaseBackend();
    }

    protected function childBackendCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $backend = new SluiceWP\Backend\DatabaseBackend();';
    }

    public function testTakingBucketsAddsNoQueryToAnUncontendedPair(): void
    {
        global $wpdb;
        $b = $this->backend();
        $limits = [self::key('site') => 3, self::key('provider') => 2];
        $buckets = [self::key('rpm') => ['rate' => 100.0, 'burst' => 100.0, 'tokens' => 1.0], self::key('qps') => ['rate' => 100.0, 'burst' => 100.0, 'tokens' => 1.0]];
        $warm = $b->tryAcquireTaking($limits, 60, 'warm-up', null, $buckets); // the rows exist from now on
        self::assertInstanceOf(\SluiceWP\Backend\Lease::class, $warm);
        $b->release($warm);
        $before = $wpdb->num_queries;
        $lease = $b->tryAcquireTaking($limits, 60, 'pair', null, $buckets);
        self::assertInstanceOf(\SluiceWP\Backend\Lease::class, $lease);
        self::assertTrue($b->release($lease));
        self::assertLessThanOrEqual(3, $wpdb->num_queries - $before, 'read the slots, claim slots and tokens in one UPDATE, release');
    }
}
