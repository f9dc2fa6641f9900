<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\DatabaseBackend;
use Sluice\Support\WordPress\Site;

/** The database backend under real concurrency: php processes, each with its own MariaDB session (LastSlotRaceTestCase). */
final class DatabaseRaceTest extends LastSlotRaceTestCase
{
    protected function backend(): Backend
    {
        return new DatabaseBackend();
    }

    protected function childBackendCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $backend = new SluiceWP\Backend\DatabaseBackend();';
    }
}
