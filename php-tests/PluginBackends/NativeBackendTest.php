<?php
declare(strict_types=1);

namespace Sluice\Tests\PluginBackends;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\NativeBackend;

require_once __DIR__ . '/BackendContractTestCase.php';

/** The plugin's native backend (the extension) against the backend contract. */
final class NativeBackendTest extends BackendContractTestCase
{
    protected function backend(): Backend
    {
        return new NativeBackend();
    }

    protected function childBackendCode(): string
    {
        return 'require ' . var_export(__DIR__ . '/autoload.php', true) . ';
            $backend = new SluiceWP\Backend\NativeBackend();';
    }
}
