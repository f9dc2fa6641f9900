<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\RedisTestBed;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\RedisBackend;
use SluiceWP\Backend\RedisConfig;
use Sluice\Support\WordPress\Site;

require_once __DIR__ . '/WaitingLineContractTestCase.php';

/** The Redis backend's waiting line on a (one-node) Redis Cluster against the waiting line contract (see RedisClusterBackendTest). */
final class RedisClusterWaitingLineTest extends WaitingLineContractTestCase
{
    protected function store(): Backend
    {
        return new RedisBackend(RedisConfig::fromArray(['cluster' => ['127.0.0.1:' . RedisTestBed::cluster()]]), 0);
    }

    protected function childStoreCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $backend = new SluiceWP\Backend\RedisBackend(SluiceWP\Backend\RedisConfig::fromArray(' . var_export(['cluster' => ['127.0.0.1:' . RedisTestBed::cluster()]], true) . '), 0);';
    }
}
