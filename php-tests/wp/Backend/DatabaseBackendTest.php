<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

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
    protected function backend(): Backend
    {
        return new DatabaseBackend();
    }

    protected function childBackendCode(): string
    {
        return 'require ' . var_export(dirname(__DIR__) . '/load-wordpress.php', true) . ';
            $backend = new SluiceWP\Backend\DatabaseBackend();';
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

    public function testCountersAndPeak(): void
    {
        $b = $this->backend();
        $key = self::key();
        $one = $this->lease($b->tryAcquire([$key => 2], 60, 'one'));
        $two = $this->lease($b->tryAcquire([$key => 2], 60, 'two'));
        self::assertInstanceOf(Refusal::class, $b->tryAcquire([$key => 2], 60, 'three'));
        $b->release($one);
        $b->release($two);
        $status = $b->operatorView()->keys()[$key];
        self::assertSame([2, 0, 2, 2, 1, 2], [$status->limit, $status->active, $status->peak, $status->acquired, $status->throttled, $status->released]);
    }

    /** A lease of another host (or another pid namespace) is never judged dead here: only its TTL frees it. */
    public function testALeaseOfAnotherHostComesBackOnlyByItsTtl(): void
    {
        global $wpdb;
        $b = $this->backend();
        $key = self::key('remote');
        $lease = $this->lease($b->tryAcquire([$key => 1], 2, 'remote'));
        // The holder becomes a process of another host that this host cannot see (pid 1 of it, say).
        $wpdb->query($wpdb->prepare('UPDATE ' . \SluiceWP\Backend\DatabaseSchema::slotsTable() . " SET host_id = 'ffffffffffffffff', pid = 999999, start_time = 1 WHERE token = %s", $lease->token));
        self::assertInstanceOf(Refusal::class, $b->tryAcquire([$key => 1], 60, 'local'));
        self::assertSame(0, $b->operatorView()->sweep(), 'nothing this host can judge dead');
        usleep(2_100_000);
        self::assertInstanceOf(Lease::class, $b->tryAcquire([$key => 1], 60, 'after the ttl'));
        self::assertSame(1, $b->operatorView()->keys()[$key]->reclaimedExpired);
    }

    public function testTheSameKeyTakenBySeveralLeasesKeepsTheirTokensApart(): void
    {
        $b = $this->backend();
        $key = self::key();
        $leases = [];
        for ($i = 0; $i < 5; $i++) {
            $leases[] = $this->lease($b->tryAcquire([$key => 5], 60, "l$i"));
        }
        self::assertCount(5, array_unique(array_map(static fn (Lease $l): string => $l->token, $leases)));
        self::assertMatchesRegularExpression('/^[0-9a-f]{32}$/', $leases[0]->token);
        foreach ($leases as $lease) {
            self::assertTrue($b->release($lease));
        }
    }

    public function testHoldersNameTheirHost(): void
    {
        $b = $this->backend();
        $key = self::key();
        $lease = $this->lease($b->tryAcquire([$key => 1], 60, 'here'));
        self::assertSame((string) gethostname(), $b->operatorView()->keys()[$key]->holders[0]->host);
        $b->release($lease);
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
