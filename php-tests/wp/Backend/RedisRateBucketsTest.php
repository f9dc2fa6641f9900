<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\RedisTestBed;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\RateBuckets;
use SluiceWP\Backend\RedisBackend;
use SluiceWP\Backend\WaitingLine;

require_once __DIR__ . '/RateBucketsContractTestCase.php';

/** The Redis backend's token buckets (one hash per key, Redis's clock) against the rate buckets contract. */
final class RedisRateBucketsTest extends RateBucketsContractTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        RedisTestBed::trust();
    }

    protected function backend(): Backend&RateBuckets&WaitingLine
    {
        return new RedisBackend();
    }

    protected function childBackendCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $backend = new SluiceWP\Backend\RedisBackend();';
    }
}
