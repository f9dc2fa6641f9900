<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\NativeBackend;

require_once __DIR__ . '/LineScopeTestCase.php';

/** The extension's line records (one segment for every install of the host) carry their install and blog. */
final class NativeScopeTest extends LineScopeTestCase
{
    protected static function storeFor(string $scope): Backend
    {
        return new NativeBackend($scope);
    }

    protected static function childStoreCode(): string
    {
        // The backend needs no WordPress; its files only check that they run inside it.
        return 'defined("ABSPATH") || define("ABSPATH", "/");
            require ' . var_export(WP_PLUGIN_DIR . '/sluice/includes/autoload.php', true) . ';
            $backend = new SluiceWP\Backend\NativeBackend($scope);';
    }
}
