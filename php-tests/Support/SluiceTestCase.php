<?php
declare(strict_types=1);

namespace Sluice\Tests\Support;

use PHPUnit\Framework\TestCase;
use Sluice\Support\Overlap;

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

    /**
     * Starts a child that takes $leases leases of $limits with tryAcquire($label),
     * prints "held" and keeps them (sleeping) until it is killed; returns once
     * it holds them (fails if a tryAcquire is refused).
     *
     * @param array<string,int> $limits
     * @param array<string,string|int> $ini
     */
    protected static function holdInChild(array $limits, string $label = '', int $leases = 1, array $ini = []): Child
    {
        $child = Child::start(<<<'PHP'
            $limiter = new Sluice\Limiter($limits);
            $held = [];
            for ($i = 0; $i < $leases; $i++) {
                $held[] = $limiter->tryAcquire($label) ?? exit("refused\n");
            }
            echo "held\n";
            sleep(60);
            PHP, ['limits' => $limits, 'label' => $label, 'leases' => $leases], $ini);
        $child->expectLine('held');
        return $child;
    }

    /**
     * The most hold intervals open at one instant: the witness Overlap, which
     * the FPM suite and the demo use too. Every interval must end after it starts.
     *
     * @param list<array{0:int,1:int}> $intervals
     */
    protected static function maxOverlap(array $intervals): int
    {
        self::assertSame([], Overlap::backwards($intervals), 'every interval ends after it starts');
        return Overlap::max($intervals);
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
