<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\DatabaseBackend;

require_once __DIR__ . '/LineScopeTestCase.php';

/** The database backend's line records (network-wide tables) carry their install and blog. */
final class DatabaseScopeTest extends LineScopeTestCase
{
    protected static function storeFor(string $scope): Backend
    {
        return new DatabaseBackend($scope);
    }

    protected static function childStoreCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $backend = new SluiceWP\Backend\DatabaseBackend($scope);';
    }
}
