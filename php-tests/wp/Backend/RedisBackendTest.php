<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\RedisBackend;

require_once __DIR__ . '/BackendContractTestCase.php';

/** The Redis backend (the test bed's own Redis, through phpredis) against the backend contract. */
final class RedisBackendTest extends BackendContractTestCase
{
    protected function backend(): Backend
    {
        return new RedisBackend();
    }

    protected function childBackendCode(): string
    {
        return 'require ' . var_export(dirname(__DIR__) . '/load-wordpress.php', true) . ';
            $backend = new SluiceWP\Backend\RedisBackend();';
    }
}
