<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\NativeBackend;

require_once __DIR__ . '/BackendContractTestCase.php';

/** The native backend (the extension's shared segment) against the backend contract. */
final class NativeBackendTest extends BackendContractTestCase
{
    protected function backend(): Backend
    {
        return new NativeBackend();
    }

    protected function childBackendCode(): string
    {
        // The backend needs no WordPress; its files only check that they run inside it.
        return 'defined("ABSPATH") || define("ABSPATH", "/");
            require ' . var_export(WP_PLUGIN_DIR . '/sluice/includes/autoload.php', true) . ';
            $backend = new SluiceWP\Backend\NativeBackend();';
    }
}
