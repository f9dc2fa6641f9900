<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\RedisTestBed;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\RedisBackend;

require_once __DIR__ . '/LineScopeTestCase.php';

/** The Redis backend's line records (one hash tag per install, or one shared by several) carry their install and blog. */
final class RedisScopeTest extends LineScopeTestCase
{
    protected function setUp(): void
    {
        RedisTestBed::trust();
    }

    protected static function storeFor(string $scope): Backend
    {
        return new RedisBackend(null, 0, $scope);
    }

    protected static function childStoreCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $backend = new SluiceWP\Backend\RedisBackend(null, 0, $scope);';
    }
}
