<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use Sluice\Support\WordPress\Site;
use SluiceWP\Backend\Backend;
use SluiceWP\Backend\DatabaseBackend;
use SluiceWP\Backend\DatabaseBackendException;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\Refusal;

require_once __DIR__ . '/BackendContractTestCase.php';

/**
 * The database backend (the site's MariaDB through $wpdb) against the backend
 * contract, plus what only it promises: its query budget, and what it does
 * with leases of other hosts.
 */
final class DatabaseBackendTest extends BackendContractTestCase
{
    use SharedStoreTests;

    protected function backend(): Backend
    {
        return new DatabaseBackend();
    }

    protected function childBackendCode(): string
    {
        return 'require ' . var_export(Site::loader(), true) . ';
            $backend = new SluiceWP\Backend\DatabaseBackend();';
    }

    protected function moveToAnotherHost(Lease $lease): void
    {
        global $wpdb;
        // A process of another host that this host cannot see (pid 1 of it, say).
        $wpdb->query($wpdb->prepare('UPDATE ' . \SluiceWP\Backend\DatabaseSchema::slotsTable() . " SET host_id = 'ffffffffffffffff', pid = 999999, start_time = 1 WHERE token = %s", $lease->token));
    }

    public function testAnUncontendedAcquireAndReleaseTakeAtMostThreeQueries(): void
    {
        global $wpdb;
        $b = $this->backend();
        $limits = [self::key('site') => 3, self::key('provider') => 2];
        $b->release($this->lease($b->tryAcquire($limits, 60, 'warm-up'))); // the keys' rows exist from now on
        $before = $wpdb->num_queries;
        $lease = $this->lease($b->tryAcquire($limits, 60, 'pair'));
        self::assertTrue($b->release($lease));
        self::assertLessThanOrEqual(3, $wpdb->num_queries - $before, 'queries for one acquire + release pair');
    }

    /** A store that cannot reach its tables must say so (the gate then runs the work ungated), not refuse: a refusal would defer forever. */
    public function testATableItCannotReadThrowsInsteadOfRefusing(): void
    {
        global $wpdb;
        $b = $this->backend();
        $lease = $this->lease($b->tryAcquire([self::key() => 1], 60, 'before'));
        $slots = \SluiceWP\Backend\DatabaseSchema::slotsTable();
        $wpdb->query("RENAME TABLE {$slots} TO {$slots}_away");
        try {
            try {
                $b->tryAcquire([self::key() => 1], 60, 'no table');
                self::fail('tryAcquire without its table returned');
            } catch (DatabaseBackendException $e) {
                self::assertStringContainsString('could not read', $e->getMessage());
            }
            $this->expectException(DatabaseBackendException::class);
            $b->release($lease);
        } finally {
            $wpdb->query("RENAME TABLE {$slots}_away TO {$slots}");
        }
    }

    private function lease(Lease|Refusal $result): Lease
    {
        self::assertInstanceOf(Lease::class, $result);
        return $result;
    }
}
