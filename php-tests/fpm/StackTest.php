<?php
declare(strict_types=1);

namespace Sluice\FpmTests;

/**
 * tools/stack is what the tests, the demo, the benchmarks and the WordPress
 * test bed (tools/wp-stack) build on: `up` on a running stack changes nothing, `down` on a stopped one is no
 * error, and `status` reports the pids it tracks.
 */
final class StackTest extends FpmTestCase
{
    public function testUpOnARunningStackKeepsItsProcessesAndDownTwiceIsNoError(): void
    {
        Stack::ensure();
        $running = self::services(Stack::status());
        self::assertSame(['mariadb', 'php-fpm', 'nginx'], array_keys($running));
        foreach ($running as $service => $pid) {
            self::assertNotNull($pid, "$service is not running after up");
            self::assertTrue(self::isLive($pid), "$service's tracked pid $pid is not a live process");
        }

        Stack::command('up');
        self::assertSame($running, self::services(Stack::status()), 'a second up restarted something');
        $key = self::key('stack');
        self::assertSame(200, Http::get("hold.php?key=$key&limit=1&ms=1")['status'], 'the stack serves after a second up');

        Stack::down();
        $out = Stack::command('down');  // throws unless it exits 0
        self::assertSame(['mariadb' => null, 'php-fpm' => null, 'nginx' => null],
            self::services(Stack::status()), "after down twice:\n$out");
        foreach ($running as $service => $pid) {
            self::assertFalse(self::isLive($pid), "$service (pid $pid) outlived down");
        }
    }

    /** Running, not a zombie: the services are orphans that PID 1 reaps when it gets to it. */
    private static function isLive(int $pid): bool
    {
        $stat = @file_get_contents("/proc/$pid/stat");
        return $stat !== false && preg_match('/\) ([A-Za-z]) /', $stat, $m) === 1 && $m[1] !== 'Z';
    }

    /** @return array<string,?int> service => pid, or null when stopped */
    private static function services(string $status): array
    {
        preg_match_all('/^(mariadb|php-fpm|nginx)\s+(running\s+pid\s+(\d+)|stopped)/m', $status, $m, PREG_SET_ORDER);
        $services = [];
        foreach ($m as $line) {
            $services[$line[1]] = isset($line[3]) ? (int) $line[3] : null;
        }
        return $services;
    }
}
