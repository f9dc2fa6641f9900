<?php
/**
 * Where the Redis backend finds its Redis: the constant SLUICE_REDIS (in
 * wp-config.php, as object-cache plugins are configured), then the filter
 * `sluice_redis` (array $config), then these defaults. The constant is an
 * array or a URL:
 *
 *   define('SLUICE_REDIS', ['host' => '10.0.0.5', 'port' => 6379, 'database' => 2, 'password' => '...']);
 *   define('SLUICE_REDIS', 'rediss://user:secret@redis.internal:6380/2');   // rediss: TLS
 *   define('SLUICE_REDIS', 'unix:///run/redis/redis.sock?database=2');
 *
 * Fields: host, port, socket (a Unix socket instead of host and port),
 * cluster (a Redis Cluster: its seed nodes, "host:port" each, instead of
 * host and port), database, username and password (AUTH; username for Redis 6 ACLs), tls
 * (true, or an array of PHP SSL context options such as cafile, verify_peer),
 * prefix (of every key, default "sluice:"), hash_tag (default: one per
 * install, from the database name and table prefix), timeout and
 * read_timeout (seconds), persistent (phpredis persistent connections).
 *
 * Every key of one install carries one hash tag ("sluice:{1f3a9c0b2e}:..."),
 * so all of them live in one Redis Cluster slot and each multi-key script
 * runs on one node. Installs that must share limits (one provider account
 * for several WordPress installs) set the same hash_tag.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class RedisConfig
{
    private const FIELDS = ['host', 'port', 'socket', 'cluster', 'database', 'username', 'password', 'tls', 'prefix', 'hash_tag', 'timeout', 'read_timeout', 'persistent'];

    /**
     * @param list<string>         $cluster    a Cluster's seed nodes ("host:port"); empty for one server
     * @param array<string, mixed> $tlsContext PHP SSL context options (empty: the defaults, peer verified)
     */
    private function __construct(
        public readonly string $host,
        public readonly int $port,
        public readonly string $socket,
        public readonly array $cluster,
        public readonly int $database,
        public readonly string $username,
        public readonly string $password,
        public readonly bool $tls,
        public readonly array $tlsContext,
        public readonly string $prefix,
        public readonly string $hashTag,
        public readonly float $timeout,
        public readonly float $readTimeout,
        public readonly bool $persistent,
    ) {
    }

    /**
     * This site's configuration: SLUICE_REDIS, then the filter sluice_redis.
     *
     * @throws \InvalidArgumentException naming the field that is wrong
     */
    public static function fromSite(): self
    {
        $config = defined('SLUICE_REDIS') ? constant('SLUICE_REDIS') : [];
        if (is_string($config)) {
            $config = self::parseUrl($config);
        }
        if (!is_array($config)) {
            throw new \InvalidArgumentException('SLUICE_REDIS must be an array or a redis://, rediss:// or unix:// URL, not ' . gettype($config));
        }
        if (function_exists('apply_filters')) {
            $config = apply_filters('sluice_redis', $config);
            if (!is_array($config)) {
                throw new \InvalidArgumentException('the sluice_redis filter must return an array');
            }
        }
        return self::fromArray($config);
    }

    /**
     * @param array<mixed> $config
     * @throws \InvalidArgumentException naming the field that is wrong
     */
    public static function fromArray(array $config): self
    {
        $unknown = array_diff(array_map('strval', array_keys($config)), self::FIELDS);
        if ($unknown !== []) {
            throw new \InvalidArgumentException('unknown Redis setting "' . implode('", "', $unknown) . '" (known: ' . implode(', ', self::FIELDS) . ')');
        }
        $port = self::int($config, 'port', 6379, 1, 65535);
        $socket = self::string($config, 'socket', '');
        if ($socket !== '' && $socket[0] !== '/') {
            throw new \InvalidArgumentException("the Redis socket must be an absolute path, not \"{$socket}\"");
        }
        $cluster = $config['cluster'] ?? [];
        $cluster = is_string($cluster) ? array_values(array_filter(array_map('trim', explode(',', $cluster)))) : $cluster;
        if (!is_array($cluster) || array_filter($cluster, static fn ($seed): bool => !is_string($seed) || preg_match('/^[^\s:]+:\d{1,5}$/', $seed) !== 1) !== []) {
            throw new \InvalidArgumentException('the Redis setting cluster must list seed nodes as "host:port"');
        }
        $tls = $config['tls'] ?? false;
        if (!is_bool($tls) && !is_array($tls)) {
            throw new \InvalidArgumentException('the Redis setting tls must be true, false or an array of SSL context options');
        }
        $prefix = self::string($config, 'prefix', 'sluice:');
        $hashTag = self::string($config, 'hash_tag', '');
        foreach (['prefix' => $prefix, 'hash_tag' => $hashTag] as $field => $value) {
            if (strlen($value) > 64 || strpbrk($value, "{}\n\r\0 ") !== false) {
                throw new \InvalidArgumentException("the Redis setting {$field} must be at most 64 bytes without braces, spaces or line breaks, not \"{$value}\"");
            }
        }
        $database = self::int($config, 'database', 0, 0, 65535);
        if ($cluster !== [] && $database !== 0) {
            throw new \InvalidArgumentException('a Redis Cluster has only database 0, not ' . $database);
        }
        return new self(
            self::string($config, 'host', '127.0.0.1'),
            $port,
            $socket,
            array_values(array_map('strval', $cluster)),
            $database,
            self::string($config, 'username', ''),
            self::string($config, 'password', ''),
            $tls !== false,
            is_array($tls) ? $tls : [],
            $prefix,
            $hashTag,
            self::seconds($config, 'timeout', 1.0),
            self::seconds($config, 'read_timeout', 2.0),
            (bool) ($config['persistent'] ?? false),
        );
    }

    /** "sluice:{1f3a9c0b2e}:": what every key of this install starts with (one hash tag: one Cluster slot). */
    public function keyPrefix(): string
    {
        $tag = $this->hashTag;
        if ($tag === '') {
            global $wpdb;
            $base = $wpdb instanceof \wpdb ? $wpdb->base_prefix : '';
            $tag = substr(md5((defined('DB_NAME') ? (string) constant('DB_NAME') : '') . '|' . $base), 0, 10);
        }
        return $this->prefix . '{' . $tag . '}:';
    }

    /** Where it connects, for operators (never the password). */
    public function describe(): string
    {
        $where = match (true) {
            $this->cluster !== [] => 'cluster ' . ($this->tls ? 'tls://' : 'tcp://') . implode(',', $this->cluster),
            $this->socket !== '' => 'unix://' . $this->socket,
            default => ($this->tls ? 'tls://' : 'tcp://') . $this->host . ':' . $this->port,
        };
        return $where . ' database ' . $this->database . ', keys ' . $this->keyPrefix() . '*';
    }

    /** Identifies the connection within a process (one client per distinct Redis). */
    public function signature(): string
    {
        return md5(serialize([$this->host, $this->port, $this->socket, $this->cluster, $this->database, $this->username, $this->password, $this->tls, $this->tlsContext]));
    }

    /** @return array<string, mixed> */
    private static function parseUrl(string $url): array
    {
        if (str_starts_with(strtolower($url), 'unix://')) {
            // parse_url() refuses a URL without a host: unix:///run/redis.sock?database=2
            [$path, $queryString] = array_pad(explode('?', substr($url, 7), 2), 2, '');
            $parts = ['scheme' => 'unix', 'path' => $path, 'query' => $queryString];
        } else {
            $parts = parse_url($url);
        }
        $scheme = strtolower((string) ($parts['scheme'] ?? ''));
        if ($parts === false || !in_array($scheme, ['redis', 'rediss', 'unix'], true)) {
            throw new \InvalidArgumentException('SLUICE_REDIS is not a redis://, rediss:// or unix:// URL');
        }
        parse_str((string) ($parts['query'] ?? ''), $query);
        $config = array_intersect_key($query, array_flip(self::FIELDS));
        if ($scheme === 'unix') {
            $config['socket'] = (string) ($parts['path'] ?? '');
        } else {
            $config['host'] = (string) ($parts['host'] ?? '127.0.0.1');
            $config['port'] = (int) ($parts['port'] ?? 6379);
            $database = trim((string) ($parts['path'] ?? ''), '/');
            if ($database !== '') {
                $config['database'] = $database;
            }
            $config['tls'] = $scheme === 'rediss';
        }
        if (isset($parts['user'])) {
            $config['username'] = rawurldecode($parts['user']);
        }
        if (isset($parts['pass'])) {
            $config['password'] = rawurldecode($parts['pass']);
        }
        if (($config['username'] ?? '') !== '' && !isset($parts['pass'])) {
            // redis://secret@host: a password alone, as redis-cli reads it.
            $config['password'] = $config['username'];
            $config['username'] = '';
        }
        return $config;
    }

    /** @param array<mixed> $config */
    private static function string(array $config, string $field, string $default): string
    {
        $value = $config[$field] ?? $default;
        if (!is_string($value) && !is_int($value)) {
            throw new \InvalidArgumentException("the Redis setting {$field} must be a string");
        }
        return (string) $value;
    }

    /** @param array<mixed> $config */
    private static function int(array $config, string $field, int $default, int $min, int $max): int
    {
        $value = $config[$field] ?? $default;
        if (is_string($value) && preg_match('/^\d+$/', $value) === 1) {
            $value = (int) $value;
        }
        if (!is_int($value) || $value < $min || $value > $max) {
            throw new \InvalidArgumentException("the Redis setting {$field} must be a whole number from {$min} to {$max}, not " . var_export($value, true));
        }
        return $value;
    }

    /** @param array<mixed> $config */
    private static function seconds(array $config, string $field, float $default): float
    {
        $value = $config[$field] ?? $default;
        if (!is_numeric($value) || (float) $value <= 0 || (float) $value > 60) {
            throw new \InvalidArgumentException("the Redis setting {$field} must be a number of seconds above 0 and at most 60");
        }
        return (float) $value;
    }
}
