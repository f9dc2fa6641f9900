<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\NativeBackend;

require_once __DIR__ . '/WaitingLineContractTestCase.php';

/** The native backend's waiting line (the extension's, in the shared segment) against the waiting line contract. */
final class NativeWaitingLineTest extends WaitingLineContractTestCase
{
    protected function store(): Backend
    {
        return new NativeBackend();
    }

    protected function childStoreCode(): string
    {
        // The backend needs no WordPress; its files only check that they run inside it. The child's line records are
        // this blog's, as the parent's.
        return 'defined("ABSPATH") || define("ABSPATH", "/");
            require ' . var_export(WP_PLUGIN_DIR . '/sluice/includes/autoload.php', true) . ';
            $backend = new SluiceWP\Backend\NativeBackend(' . var_export(\SluiceWP\Gate\KeyNames::siteNamespace(), true) . ');';
    }
}
