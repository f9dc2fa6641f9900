<?php
declare(strict_types=1);

namespace Sluice\WpTests\Support;

use SluiceWP\Backend\RedisConfig;

/**
 * The test bed's own Redis (tools/wp-stack starts it from
 * tools/stack.d/redis.bash on SLUICE_REDIS_PORT, in SLUICE_REDIS_DIR): a
 * plain phpredis client on it for looking at and tampering with Sluice's
 * records, and a crash-restart (SIGKILL, then a new empty server on the
 * same port: a Redis without persistence that restarted).
 */
final class RedisTestBed
{
    public static function client(): \Redis
    {
        $redis = new \Redis();
        $redis->connect('127.0.0.1', self::port(), 2.0);
        return $redis;
    }

    public static function port(): int
    {
        return (int) getenv('SLUICE_REDIS_PORT');
    }

    /** What the site's Redis backend's keys start with ("sluice:{...}:"). */
    public static function prefix(): string
    {
        return RedisConfig::fromSite()->keyPrefix();
    }

    /** Kills the server and starts an empty one on the same port; returns once it answers. */
    public static function crashRestart(): void
    {
        $out = [];
        exec(sprintf('%s restart %s %d 2>&1', escapeshellarg(dirname(__DIR__, 3) . '/tools/stack.d/redis.bash'),
            escapeshellarg((string) getenv('SLUICE_REDIS_DIR')), self::port()), $out, $rc);
        if ($rc !== 0) {
            throw new \RuntimeException('the test bed\'s Redis did not restart: ' . implode("\n", $out));
        }
    }

    /**
     * The store is trusted from now on: its epoch exists and holds nothing back (a test that emptied Redis
     * leaves it so; and a bed whose Redis started empty beside a database that remembers an earlier one
     * would otherwise hold every admission for the drain time, as it should in production).
     */
    public static function trust(): void
    {
        $redis = self::client();
        $epoch = self::prefix() . 'epoch';
        $redis->hSetNx($epoch, 'id', 'test-bed-' . bin2hex(random_bytes(4)));
        $redis->hSet($epoch, 'hold', '0');
    }

    /** Removes every record of the site's store but its epoch (so the store stays trusted): keys, leases, the line. */
    public static function emptyStore(): void
    {
        $redis = self::client();
        $prefix = self::prefix();
        $cursor = null;
        do {
            $names = array_values(array_filter($redis->scan($cursor, $prefix . '*', 1000) ?: [], static fn (string $n): bool => $n !== $prefix . 'epoch'));
            if ($names !== []) {
                $redis->del($names);
            }
        } while ($cursor > 0);
    }
}
