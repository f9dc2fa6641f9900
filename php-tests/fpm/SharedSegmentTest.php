<?php
declare(strict_types=1);

namespace Sluice\FpmTests;

use Sluice\Tests\Support\Segments;

/**
 * FPM workers (www-data) and a root CLI process share one segment and one
 * limit with the documented settings (sluice.file_mode=0660,
 * sluice.group=www-data), whichever side creates the segment. And the
 * pitfall those settings avoid: with the default 0600 and no group, a root
 * CLI that creates the segment first locks the workers out, with a clear error.
 */
final class SharedSegmentTest extends FpmTestCase
{
    /** A fresh FPM (no worker attached yet) and no segment. */
    private static function freshSegment(array $overrides = []): void
    {
        Stack::restartFpm($overrides);
        Stack::removeSegment();
        self::assertFileDoesNotExist(Stack::segmentFile());
    }

    private static function fileOwner(): array
    {
        clearstatcache();
        $st = stat(Stack::segmentFile());
        return [posix_getpwuid($st['uid'])['name'], posix_getgrgid($st['gid'])['name'], sprintf('0%o', $st['mode'] & 0777)];
    }

    public function testRootCliCreatesTheSegmentAndFpmWorkersShareIt(): void
    {
        self::freshSegment();
        $created = Cli::ok(['info']);
        self::assertSame('root', $created['user']);
        self::assertSame(['root', 'www-data', '0660'], self::fileOwner(), 'created by root CLI: root:www-data 0660');
        $this->assertOneLimitAcrossCliAndFpm();
        self::assertSame(['root', 'www-data', '0660'], self::fileOwner());
    }

    public function testFpmWorkerCreatesTheSegmentAndRootCliSharesIt(): void
    {
        self::freshSegment();
        $r = Http::get('status.php');
        self::assertSame(200, $r['status'], $r['raw']);
        self::assertSame('www-data', $r['body']['user']);
        self::assertSame(['www-data', 'www-data', '0660'], self::fileOwner(), 'created by a worker: www-data:www-data 0660');
        $this->assertOneLimitAcrossCliAndFpm();
        self::assertSame(['www-data', 'www-data', '0660'], self::fileOwner());
    }

    /**
     * Limit 2 on one key. (1) The root CLI holds one slot: the workers get
     * exactly one more between them, and a worker's status() lists the CLI
     * holder. (2) Two workers hold both slots: the root CLI is refused.
     * Throughout, the hold intervals of both sides never overlap by more than 2.
     */
    private function assertOneLimitAcrossCliAndFpm(): void
    {
        $key = self::key('shared');
        $cli = Cli::start(['hold', $key, '2', '2500', 'cli-holder']);
        $granted = $cli->readJson(10);
        self::assertSame('granted', $granted['result'] ?? null, json_encode($granted) . $cli->stderr());

        // A worker sees the root CLI's lease.
        $seen = Http::get('status.php?key=' . urlencode($key));
        self::assertSame(200, $seen['status'], $seen['raw']);
        $holders = $seen['body']['status'][$key]['holders'];
        self::assertSame([$cli->pid], array_column($holders, 'pid'), 'the worker lists the CLI holder');
        self::assertSame('cli-holder', $holders[0]['label']);

        // Eight concurrent requests while the CLI holds one of the two slots.
        $http = new Http();
        for ($i = 0; $i < 8; $i++) {
            $http->add("hold.php?key=$key&limit=2&ms=600&label=fpm-$i");
        }
        $during = $http->waitAll(30);
        self::assertGrantedOrThrottled($during, 2);
        self::assertSame([200 => 1, 429 => 7], self::byStatus($during), 'one slot left for the workers');

        self::assertSame(0, $cli->wait(10)->exitCode, $cli->stderr());
        $released = $cli->last();
        self::assertSame('released', $released['result']);
        self::assertTrue($released['released']);

        // Now the workers hold both slots and the root CLI is refused.
        $http = new Http();
        for ($i = 0; $i < 2; $i++) {
            $http->add("hold.php?key=$key&limit=2&ms=1500&label=fpm-long-$i");
        }
        self::waitFor(fn() => self::keyStatus($key)['active'] === 2, 10, 'two workers holding', $http);
        $refused = Cli::ok(['try', $key, '2']);
        self::assertSame('throttled', $refused['result']);
        self::assertSame(['key' => $key, 'limit' => 2, 'active' => 2, 'kind' => 'slot', 'retry_after_ms' => 0, 'level' => 0], $refused['refusal'], 'refused for the slot, not a rate budget');
        $after = $http->waitAll(30);
        self::assertSame([200 => 2], self::byStatus($after));

        $intervals = array_merge([[$released['started'], $released['ended']]],
            self::grantedIntervals($during), self::grantedIntervals($after));
        self::assertLessThanOrEqual(2, self::maxOverlap($intervals));

        $s = self::keyStatus($key);
        self::assertSame(0, $s['active']);
        self::assertSame(2, $s['peak']);
        self::assertSame(4, $s['acquired'], 'CLI 1 + workers 1 + workers 2');
        self::assertSame(4, $s['released']);
        self::assertSame(8, $s['throttled'], '7 requests + the CLI try');
        self::assertConsistent(self::status(), self::info());
    }

    /**
     * Default settings on both sides (0600, no group): the root CLI creates
     * root:root 0600 and a worker cannot open it. The worker answers with a
     * clear Sluice\SegmentException (503 from the endpoint), not a crash.
     */
    public function testWithoutModeAndGroupARootCreatedSegmentLocksOutWorkers(): void
    {
        $defaults = ['sluice.file_mode' => '0600', 'sluice.group' => null];
        try {
            self::freshSegment(['ini' => ['sluice.file_mode' => '0600', 'sluice.group' => '']]);
            Cli::ok(['info'], $defaults);
            self::assertSame(['root', 'root', '0600'], self::fileOwner());

            $r = Http::get('hold.php?key=lockout&limit=1&ms=0');
            self::assertSame(503, $r['status'], $r['raw']);
            self::assertSame('Sluice\SegmentException', $r['body']['class']);
            $message = $r['body']['message'];
            self::assertStringContainsString('permission denied opening segment ' . Segments::shmName(Stack::segment()), $message);
            // What it found, who it is, and the exact lines that fix it.
            self::assertStringContainsString('owner root, group root, mode 0600; this process runs as www-data, group www-data', $message);
            self::assertStringContainsString('sluice.file_mode=0660 and sluice.group=www-data', $message);
            self::assertStringContainsString('rm -f ' . Stack::segmentFile() . ' ' . Stack::segmentFile() . '.lock', $message);
            self::note('worker vs root-only segment: ' . $message);

            // The worker survives and the root side still works.
            self::assertSame(503, Http::get('status.php')['status']);
            self::assertSame('granted', Cli::ok(['try', 'lockout', '1'], $defaults)['result']);
        } finally {
            self::freshSegment();
        }
    }

    /**
     * The other start order with the defaults: a worker creates www-data:www-data 0600 and the root CLI runner
     * refuses it (it trusts only itself, root and sluice.group), naming what it found and the lines that fix it.
     */
    public function testWithoutModeAndGroupAWorkerCreatedSegmentIsRefusedByTheRootCli(): void
    {
        $defaults = ['sluice.file_mode' => '0600', 'sluice.group' => null];
        try {
            self::freshSegment(['ini' => ['sluice.file_mode' => '0600', 'sluice.group' => '']]);
            self::assertSame(200, Http::get('status.php')['status']);
            self::assertSame(['www-data', 'www-data', '0600'], self::fileOwner());

            $cli = Cli::run(['try', 'lockout', '1'], $defaults);
            self::assertSame(3, $cli->exitCode(), json_encode($cli->lines()) . $cli->stderr());
            $message = $cli->last()['message'];
            self::assertSame('Sluice\SegmentException', $cli->last()['class']);
            self::assertStringContainsString('(owner www-data, group www-data, mode 0600) belongs neither to this user (root, uid 0)', $message);
            self::assertStringContainsString('sluice.file_mode=0660 and sluice.group=www-data', $message);
            self::note('root CLI vs worker-only segment: ' . $message);
        } finally {
            self::freshSegment();
        }
    }
}
