<?php
/**
 * Opens the phpredis connection a RedisConfig names: one server (TCP, TLS or
 * a Unix socket; AUTH, SELECT), or a Redis Cluster through its seed nodes
 * (phpredis's RedisCluster, which follows the slot map, so each script goes
 * to the node that owns the install's hash tag).
 *
 * @internal RedisScripts'
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class RedisConnector
{
    /**
     * @throws \RedisException when Redis cannot be reached
     * @throws RedisBackendException when phpredis is missing, or Redis refuses the password or the database
     */
    public static function connect(RedisConfig $c): \Redis|\RedisCluster
    {
        if (!class_exists(\Redis::class)) {
            throw new RedisBackendException('the phpredis extension is not loaded in this PHP (Debian: apt install php-redis)');
        }
        // phpredis takes SSL context options as the last argument, and no null there.
        $context = $c->tls && $c->tlsContext !== [] ? [['stream' => $c->tlsContext]] : [];
        if ($c->cluster !== []) {
            $auth = $c->password === '' ? null : ($c->username !== '' ? [$c->username, $c->password] : $c->password);
            $seeds = $c->tls ? array_map(static fn (string $seed): string => 'tls://' . $seed, $c->cluster) : $c->cluster;
            try {
                return new \RedisCluster(null, $seeds, $c->timeout, $c->readTimeout, $c->persistent, $auth, ...$context);
            } catch (\RedisClusterException $e) {
                throw new \RedisException($e->getMessage(), 0, $e);
            }
        }
        $redis = new \Redis();
        $host = $c->socket !== '' ? $c->socket : ($c->tls ? 'tls://' : '') . $c->host;
        $port = $c->socket !== '' ? 0 : $c->port;
        $connected = $c->persistent
            ? $redis->pconnect($host, $port, $c->timeout, 'sluice-' . $c->signature(), 0, $c->readTimeout, ...$context)
            : $redis->connect($host, $port, $c->timeout, null, 0, $c->readTimeout, ...$context);
        if (!$connected) {
            throw new \RedisException('connection refused');
        }
        if ($c->password !== '' && !$redis->auth($c->username !== '' ? [$c->username, $c->password] : $c->password)) {
            throw new RedisBackendException("Redis at {$c->describe()} refused the password" . ($c->username !== '' ? " of user {$c->username}" : ''));
        }
        if ($c->database !== 0 && !$redis->select($c->database)) {
            throw new RedisBackendException("Redis at {$c->describe()} refused database {$c->database}");
        }
        return $redis;
    }
}
