<?php
declare(strict_types=1);

namespace Sluice\WpTests\Provider;

use Sluice\Support\WordPress\RedisTestBed;
use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\RecordStore;
use SluiceWP\Backend\RedisBackend;
use SluiceWP\Backend\RedisScripts;

require_once __DIR__ . '/RecordStoreContractTestCase.php';

/** Key records in the test bed's Redis: the contract, one round trip per read and per write, under the install's hash tag. */
final class RedisRecordStoreTest extends RecordStoreContractTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        RedisTestBed::trust();
    }

    protected function store(): RecordStore
    {
        return new RedisBackend();
    }

    protected function childStoreCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $store = new SluiceWP\Backend\RedisBackend();';
    }

    public function testAReadAndAWriteAreOneRoundTripEachUnderTheInstallsHashTag(): void
    {
        $store = $this->store();
        $key = self::key();
        $store->writeRecord($key, 0, 'w'); // both scripts loaded
        $store->readRecord($key);
        $before = RedisScripts::$roundTrips;
        $read = $store->readRecord($key);
        self::assertTrue($store->writeRecord($key, $read->version, 'x'));
        self::assertSame(2, RedisScripts::$roundTrips - $before);
        self::assertSame('x', RedisTestBed::client()->hGet(RedisTestBed::prefix() . 'r:' . $key, 'd'));
    }
}
