<?php
declare(strict_types=1);

namespace Sluice\Support\WordPress;

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
    /** The one-node Cluster of this process (cluster()), port and folder. */
    private static ?int $clusterPort = null;

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

    /**
     * A one-node Redis Cluster owning every slot, started once for this process
     * (on a free port, in a folder of its own) and stopped when it ends; its port.
     */
    public static function cluster(): int
    {
        if (self::$clusterPort === null) {
            $socket = stream_socket_server('tcp://127.0.0.1:0');
            $port = (int) substr((string) strrchr((string) stream_socket_get_name($socket ?: throw new \RuntimeException('no free port'), false), ':'), 1);
            fclose($socket);
            $dir = sys_get_temp_dir() . '/sluice-redis-cluster-' . bin2hex(random_bytes(4));
            self::redisBash('start', $dir, $port, 'cluster');
            register_shutdown_function(static function () use ($dir): void {
                self::redisBash('stop', $dir, 0);
                exec('rm -rf ' . escapeshellarg($dir));
            });
            self::$clusterPort = $port;
        }
        return self::$clusterPort;
    }

    /** Kills the server and starts an empty one on the same port; returns once it answers. */
    public static function crashRestart(): void
    {
        self::redisBash('restart', (string) getenv('SLUICE_REDIS_DIR'), self::port());
    }

    /** tools/stack.d/redis.bash COMMAND DIR PORT [MODE]; throws with its output when it fails. */
    private static function redisBash(string $command, string $dir, int $port, string $mode = ''): void
    {
        $out = [];
        exec(sprintf('%s %s %s %d %s 2>&1', escapeshellarg(dirname(__DIR__, 2) . '/tools/stack.d/redis.bash'), $command,
            escapeshellarg($dir), $port, escapeshellarg($mode)), $out, $rc);
        if ($rc !== 0) {
            throw new \RuntimeException("tools/stack.d/redis.bash $command $dir $port $mode failed: " . implode("\n", $out));
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
