<?php
declare(strict_types=1);

namespace Sluice\WpTests\Provider;

use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Backend\RecordStore;

require_once __DIR__ . '/RecordStoreContractTestCase.php';

/** Key records in the extension's segment (the test bed's: every FPM worker and runner shares it). */
final class NativeRecordStoreTest extends RecordStoreContractTestCase
{
    protected function store(): RecordStore
    {
        return new NativeBackend();
    }

    protected function childStoreCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $store = new SluiceWP\Backend\NativeBackend();';
    }
}
