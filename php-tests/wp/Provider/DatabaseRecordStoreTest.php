<?php
declare(strict_types=1);

namespace Sluice\WpTests\Provider;

use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\DatabaseBackend;
use SluiceWP\Backend\RecordStore;

require_once __DIR__ . '/RecordStoreContractTestCase.php';

/** Key records in the site's MariaDB (sluice_key_records): the contract, and one query per read and per write. */
final class DatabaseRecordStoreTest extends RecordStoreContractTestCase
{
    protected function store(): RecordStore
    {
        return new DatabaseBackend();
    }

    protected function childStoreCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $store = new SluiceWP\Backend\DatabaseBackend();';
    }

    public function testAReadAndAWriteAreOneQueryEach(): void
    {
        global $wpdb;
        $store = $this->store();
        $key = self::key();
        $before = $wpdb->num_queries;
        $read = $store->readRecord($key);
        self::assertSame(1, $wpdb->num_queries - $before);
        $before = $wpdb->num_queries;
        self::assertTrue($store->writeRecord($key, $read->version, 'x'));
        self::assertTrue($store->writeRecord($key, 1, 'y'));
        self::assertSame(2, $wpdb->num_queries - $before);
    }
}
