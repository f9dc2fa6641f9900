<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\CapacityCounters;
use SluiceWP\Backend\CapacitySchema;
use SluiceWP\Backend\DatabaseBackend;
use SluiceWP\Backend\DatabaseCapacityCounters;
use SluiceWP\Backend\DatabaseSql;

require_once __DIR__ . '/CapacityCountersContractTestCase.php';

/** Capacity counters in the site's MariaDB ({base_prefix}sluice_capacity): the contract, one statement per call, 16 rows a key at most. */
final class DatabaseCapacityCountersTest extends CapacityCountersContractTestCase
{
    protected function store(): CapacityCounters
    {
        return new DatabaseBackend();
    }

    protected function childStoreCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $store = new SluiceWP\Backend\DatabaseBackend();';
    }

    protected function addAt(array $countsByKey, int $minute): void
    {
        (new DatabaseCapacityCounters(new DatabaseSql()))->add($countsByKey, $minute);
    }

    /** Its table is not there (a real error of MariaDB's). */
    protected function twoCallsToAFailingStore(): array
    {
        global $wpdb;
        $counters = new DatabaseCapacityCounters(new DatabaseSql(), $wpdb->base_prefix . 'sluice_capacity_not_there');
        return self::logOf(static function () use ($counters): void {
            $counters->add([self::key('lost') => [0 => 1]]);
            $counters->add([self::key('lost') => [0 => 1, 6 => 1]]);
        });
    }

    public function testEveryKeyOfACallIsOneStatementAndAKeyKeepsAtMostSixteenRows(): void
    {
        global $wpdb;
        $store = $this->store();
        $keys = [self::key('one'), self::key('two'), self::key('three')];
        $before = $wpdb->num_queries;
        $store->addCounts(array_fill_keys($keys, [0 => 1, 3 => 250, 4 => 62_500]));
        self::assertSame(1, $wpdb->num_queries - $before, 'three keys, one statement');
        $now = intdiv(time(), 60);
        for ($m = $now - 40; $m <= $now; $m++) {
            $this->addAt([$keys[0] => [0 => 1]], $m);
        }
        $rows = (int) $wpdb->get_var($wpdb->prepare('SELECT COUNT(*) FROM ' . CapacitySchema::table() . ' WHERE capacity_key = %s', $keys[0]));
        self::assertSame(CapacityCounters::MINUTES_KEPT, $rows, '41 minutes counted, 16 rows kept');
        self::assertCount(16, $store->minuteCounts()[$keys[0]]);
    }
}
