<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\RedisBackend;

require_once __DIR__ . '/WaitingLineContractTestCase.php';

/**
 * The Redis backend's waiting line (in the test bed's Redis, shared by every
 * process and host that uses it) against the waiting line contract.
 */
final class RedisWaitingLineTest extends WaitingLineContractTestCase
{
    protected function store(): Backend
    {
        return new RedisBackend();
    }

    protected function childStoreCode(): string
    {
        return 'require ' . var_export(dirname(__DIR__) . '/load-wordpress.php', true) . ';
            $backend = new SluiceWP\Backend\RedisBackend();';
    }
}
