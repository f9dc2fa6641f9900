<?php
declare(strict_types=1);

namespace Sluice\FpmTests;

use Sluice\Tests\Support\Segments;

/**
 * A pool's php_admin_value[sluice.*] is what its workers use. PHP-FPM applies
 * pool values in each worker after the master has loaded the extension, so
 * the extension reads its settings again at a worker's first request; without
 * that, ini_get() would show the pool's segment while the worker used the
 * master's, and pools meant to be apart would share limits.
 */
final class PoolSettingsTest extends FpmTestCase
{
    /** The pool's own segment, named after the suite's (SLUICE_FPM_TESTS_SEGMENT keeps two runs apart). */
    private static function poolSegment(): string
    {
        return Stack::segment() . '-pool';
    }

    protected function tearDown(): void
    {
        Stack::restartFpm();
        Stack::removeSegment(self::poolSegment());
        parent::tearDown();
    }

    public function testAPoolsOwnSegmentIsTheOneItsWorkersUse(): void
    {
        Stack::restartFpm(['pool' => ['php_admin_value[sluice.segment] = ' . self::poolSegment()]]);
        Stack::removeSegment(self::poolSegment());
        $key = self::key('pool');

        // A worker holds a slot; it must be in the pool's segment, not the php.ini one.
        $http = new Http();
        $http->add("hold.php?key=$key&limit=1&ms=1500");
        $seen = self::waitFor(function () use ($key): ?array {
            $r = Http::get("status.php?key=$key");
            return ($r['body']['status'][$key]['active'] ?? 0) === 1 ? $r['body'] : null;
        }, 10.0, "a worker holding $key", $http);
        self::assertSame(Segments::shmName(self::poolSegment()), $seen['info']['name']);
        self::assertFileExists(Stack::segmentFile(self::poolSegment()));
        self::assertArrayNotHasKey($key, self::status(), "the php.ini segment (the CLI's) knows nothing of the pool's key");
        $done = $http->waitAll();
        self::assertSame(200, $done[0]['status'], $done[0]['raw']);
    }

    public function testABadPoolValueIsAClearErrorAndTheWorkerCarriesOn(): void
    {
        Stack::restartFpm(['pool' => ['php_admin_value[sluice.max_keys] = lots']]);
        for ($i = 0; $i < 3; $i++) {
            $r = Http::get('status.php');
            self::assertSame(503, $r['status'], $r['raw']);
            self::assertSame('Sluice\SegmentException', $r['body']['class']);
            self::assertStringContainsString('sluice.max_keys must be a whole number, not "lots"', $r['body']['message']);
        }
        self::assertStringContainsString('sluice.max_keys must be a whole number', (string) file_get_contents(Stack::logFile('php-error.log')));
    }
}
