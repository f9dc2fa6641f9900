<?php
/**
 * The Redis backend's one way to Redis: each operation is one Lua script
 * (RedisLua/<name>.lua behind RedisLua/common.lua), run atomically by Redis
 * with EVALSHA. A script's SHA1 is computed here, so the first call of a
 * process already sends EVALSHA; a Redis that answers NOSCRIPT (restarted,
 * SCRIPT FLUSH, a failover to a replica that never saw it) is sent SCRIPT
 * LOAD once and the call is repeated. One phpredis client per Redis per
 * process; round trips are counted for `make bench-backends`.
 *
 * @internal RedisBackend's
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class RedisScripts
{
    /** Requests sent to Redis by this process (connects, AUTH and SELECT not counted). */
    public static int $roundTrips = 0;
    /** @var array<string, \Redis|\RedisCluster> by RedisConfig::signature() */
    private static array $clients = [];
    /** @var array<string, true> configurations this process has been connected with (it retries a broken connection) */
    private static array $connectedOnce = [];
    /** @var array<string, array{string, string}> script name => [body, sha1] */
    private static array $scripts = [];
    private readonly string $epochKey;

    public function __construct(private readonly RedisConfig $config)
    {
        $this->epochKey = $config->keyPrefix() . 'epoch';
    }

    /**
     * Runs a script with KEYS[1] = the install's epoch key (which routes it to
     * the install's slot on a Cluster) and these arguments.
     *
     * @param list<string|int> $argv
     * @throws RedisBackendException when Redis cannot be reached or the script fails
     */
    public function run(string $name, array $argv): mixed
    {
        [$body, $sha] = self::script($name);
        $args = array_merge([$this->epochKey], array_map('strval', $argv));
        // A process that was connected retries a broken connection for a moment (Redis restarted or failed over,
        // an idle timeout): a restart takes a fraction of a second, and the work must not go ungated meanwhile.
        $window = isset(self::$connectedOnce[$this->config->signature()]) ? max(1.0, $this->config->timeout) : 0.0;
        try {
            [$redis, $reply] = $this->retrying(fn (\Redis|\RedisCluster $redis): array => [$redis, $this->evalSha($redis, $sha, $body, $args)], $window);
        } catch (\RedisException $e) {
            throw new RedisBackendException("Sluice's Redis backend cannot reach {$this->config->describe()}: " . $e->getMessage(), 0, $e);
        }
        $error = $redis->getLastError();
        if ($reply === false && $error !== null) {
            $redis->clearLastError();
            throw new RedisBackendException("Sluice's Redis script {$name} failed: {$error}");
        }
        return $reply;
    }

    /**
     * EVALSHA; a Redis that does not know the script (NOSCRIPT) loads it and is asked again.
     *
     * @param list<string> $args KEYS[1], then ARGV
     * @throws \RedisException
     */
    private function evalSha(\Redis|\RedisCluster $redis, string $sha, string $body, array $args): mixed
    {
        self::$roundTrips++;
        $reply = $redis->evalSha($sha, $args, 1);
        $error = $redis->getLastError();
        if ($reply === false && $error !== null && str_starts_with($error, 'NOSCRIPT')) {
            $redis->clearLastError();
            self::$roundTrips += 2;
            // On a Cluster, SCRIPT LOAD goes to the node of the install's slot.
            $redis instanceof \RedisCluster ? $redis->script($this->epochKey, 'load', $body) : $redis->script('load', $body);
            $reply = $redis->evalSha($sha, $args, 1);
        }
        return $reply;
    }

    /**
     * The Redis server's version ("7.0.15"), which also proves it answers. A
     * Redis that does not answer is tried again for up to the connect timeout
     * (a process that starts while Redis restarts must not give up and run its
     * work ungated); once that failed, processes of this host try only once
     * for the next 10 s, so a Redis that is down costs one wait, not one per request.
     *
     * @throws RedisBackendException when Redis cannot be reached
     */
    public function serverVersion(): string
    {
        $down = sys_get_temp_dir() . '/sluice-redis-down-' . $this->config->signature();
        $recentlyDown = @filemtime($down) > time() - 10;
        try {
            self::$roundTrips++;
            $info = $this->retrying(fn (\Redis|\RedisCluster $redis): mixed => $redis instanceof \RedisCluster
                ? $redis->info($this->epochKey, 'server')
                : $redis->info('server'), $recentlyDown ? 0.0 : max(1.0, $this->config->timeout));
        } catch (\RedisException $e) {
            if (@touch($down)) {
                @chmod($down, 0666);
            }
            throw new RedisBackendException("Redis at {$this->config->describe()} is unreachable: " . $e->getMessage(), 0, $e);
        }
        return is_array($info) ? (string) ($info['redis_version'] ?? '') : '';
    }

    /**
     * Calls $call with the connected client; a connection that fails or breaks is dropped and tried again
     * every 25 ms for $window seconds.
     *
     * @template T
     * @param callable(\Redis|\RedisCluster): T $call
     * @return T
     * @throws \RedisException when it still fails after the window
     */
    private function retrying(callable $call, float $window): mixed
    {
        $deadline = microtime(true) + $window;
        while (true) {
            try {
                return $call($this->client());
            } catch (\RedisException|\RedisClusterException $e) {
                $this->forget();
                if (microtime(true) >= $deadline) {
                    throw $e instanceof \RedisException ? $e : new \RedisException($e->getMessage(), 0, $e);
                }
                usleep(25_000);
            }
        }
    }

    /**
     * The connected client for this configuration.
     *
     * @throws \RedisException when Redis cannot be reached
     * @throws RedisBackendException when it refuses the password or the database
     */
    private function client(): \Redis|\RedisCluster
    {
        $signature = $this->config->signature();
        if (!isset(self::$clients[$signature])) {
            self::$clients[$signature] = RedisConnector::connect($this->config);
            self::$connectedOnce[$signature] = true;
        }
        return self::$clients[$signature];
    }

    /** A broken connection is dropped: the next call connects again. */
    private function forget(): void
    {
        unset(self::$clients[$this->config->signature()]);
    }

    /** @return array{string, string} the script with the common prelude, and its SHA1 */
    private static function script(string $name): array
    {
        if (!isset(self::$scripts[$name])) {
            if (preg_match('/^[a-z]+$/', $name) !== 1 || !is_file(__DIR__ . "/RedisLua/{$name}.lua")) {
                throw new \LogicException("no Redis script named {$name}");
            }
            $body = (string) file_get_contents(__DIR__ . '/RedisLua/common.lua') . "\n" . (string) file_get_contents(__DIR__ . "/RedisLua/{$name}.lua");
            self::$scripts[$name] = [$body, sha1($body)];
        }
        return self::$scripts[$name];
    }
}
