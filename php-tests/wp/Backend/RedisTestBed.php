<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

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

    /** The store's epoch hold ends now (a test that emptied Redis leaves a trusted store behind). */
    public static function endHold(): void
    {
        self::client()->hSet(self::prefix() . 'epoch', 'hold', '0');
    }
}
