<?php
declare(strict_types=1);

namespace Sluice\Tests\Support;

use PHPUnit\Framework\TestCase;

/**
 * Shared helpers. Every test uses keys of its own in this run's segment, so
 * tests never see each other's counters.
 */
abstract class SluiceTestCase extends TestCase
{
    /** A key no other test uses: "<prefix>:<random>". */
    protected static function key(string $prefix = 'k'): string
    {
        return substr($prefix, 0, 40) . ':' . bin2hex(random_bytes(6));
    }

    /** The status() entry of one key (fails if the key does not exist). */
    protected static function statusOf(string $key): array
    {
        $all = \Sluice\status();
        self::assertArrayHasKey($key, $all, "status() has no key $key");
        return $all[$key];
    }

    /** The status() counters of a key, without holders. */
    protected static function countersOf(string $key): array
    {
        $s = self::statusOf($key);
        unset($s['holders']);
        return $s;
    }

    /** Polls $condition every 10 ms until it returns true or $timeout seconds pass. */
    protected static function eventually(callable $condition, float $timeout = 5.0, string $what = 'condition'): void
    {
        $deadline = microtime(true) + $timeout;
        while (!$condition()) {
            if (microtime(true) > $deadline) {
                self::fail("timed out after {$timeout}s waiting for $what");
            }
            usleep(10000);
        }
    }
}
