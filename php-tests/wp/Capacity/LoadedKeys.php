<?php
declare(strict_types=1);

namespace Sluice\WpTests\Capacity;

use PHPUnit\Framework\Assert;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\NativeBackend;
use SluiceWP\Gate\KeyNames;

/**
 * Keys of this blog with counts put straight into the store's capacity
 * counters (the extension's window_add, as the gate's counting writes them),
 * each a key of its own per test so no other test's steps count in it.
 */
final class LoadedKeys
{
    /**
     * A new key of this blog (or a host-wide provider key) with its limit set (one lease taken and given back) and, for each of the minutes
     * from 3 ago to now, $arrivals new steps, all admitted and finished, each holding $holdMs.
     *
     * @return array{0: string, 1: string} the key's full and short name
     */
    public static function create(int $limit, int $arrivals, int $holdMs = 2_000, bool $hostWide = false): array
    {
        $short = 'capview-' . bin2hex(random_bytes(4));
        $key = $hostWide ? 'sluice/provider:' . $short : KeyNames::forBlog()->prefix() . $short; // a host-wide provider key is every blog's
        $backend = new NativeBackend();
        $lease = $backend->tryAcquire([$key => $limit], 60, 'capacity test');
        Assert::assertInstanceOf(Lease::class, $lease);
        $backend->release($lease);
        $now = intdiv(time(), 60);
        // The current minute too: if the minute turns while the test runs, the last 3 whole minutes are still full.
        foreach (range(0, 3) as $ago) {
            \Sluice\window_add([$key => [$arrivals, $arrivals, $arrivals, $arrivals * $holdMs, $arrivals * $holdMs * $holdMs, 0, 0, $arrivals]], $now - $ago);
        }
        return [$key, $short];
    }
}
