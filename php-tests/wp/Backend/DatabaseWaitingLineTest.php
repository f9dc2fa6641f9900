<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\DatabaseBackend;

require_once __DIR__ . '/WaitingLineContractTestCase.php';

/** The database backend's waiting line (tables beside its leases, shared by every host of the database) against the waiting line contract. */
final class DatabaseWaitingLineTest extends WaitingLineContractTestCase
{
    protected function store(): Backend
    {
        return new DatabaseBackend();
    }

    protected function childStoreCode(): string
    {
        return 'require ' . var_export(dirname(__DIR__) . '/load-wordpress.php', true) . ';
            $backend = new SluiceWP\Backend\DatabaseBackend();';
    }
}
