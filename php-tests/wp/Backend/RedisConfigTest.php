<?php
declare(strict_types=1);

namespace Sluice\WpTests\Backend;

use PHPUnit\Framework\TestCase;
use SluiceWP\Backend\RedisConfig;

/** Where the Redis backend connects: the SLUICE_REDIS forms, the filter, and errors that name the bad setting. */
final class RedisConfigTest extends TestCase
{
    public function testAnArrayWithDefaults(): void
    {
        $c = RedisConfig::fromArray(['host' => 'redis.internal', 'database' => '3']);
        self::assertSame(['redis.internal', 6379, '', 3, false], [$c->host, $c->port, $c->socket, $c->database, $c->tls]);
        self::assertStringStartsWith('tcp://redis.internal:6379 database 3, keys sluice:{', $c->describe());
    }

    public function testAClusterBySeedNodes(): void
    {
        $c = RedisConfig::fromArray(['cluster' => '10.0.0.1:7000, 10.0.0.2:7000', 'tls' => true]);
        self::assertSame(['10.0.0.1:7000', '10.0.0.2:7000'], $c->cluster);
        self::assertStringStartsWith('cluster tls://10.0.0.1:7000,10.0.0.2:7000 database 0', $c->describe());
    }

    /** @return array<string, array{string, array<string, mixed>}> */
    public static function urls(): array
    {
        return [
            'tls, user and database' => ['rediss://sluice:s%40cret@redis.internal:6380/2', ['host' => 'redis.internal', 'port' => 6380, 'database' => 2, 'tls' => true, 'username' => 'sluice', 'password' => 's@cret']],
            'a password alone' => ['redis://secret@10.0.0.5', ['host' => '10.0.0.5', 'port' => 6379, 'username' => '', 'password' => 'secret', 'tls' => false]],
            'a socket' => ['unix:///run/redis/redis.sock?database=4&prefix=shop:', ['socket' => '/run/redis/redis.sock', 'database' => 4, 'prefix' => 'shop:']],
        ];
    }

    /**
     * @dataProvider urls
     * @param array<string, mixed> $expected
     */
    public function testAUrl(string $url, array $expected): void
    {
        $config = RedisConfig::fromArray(self::parse($url));
        foreach ($expected as $field => $value) {
            $property = lcfirst(str_replace('_', '', ucwords($field, '_')));
            self::assertSame($value, $config->{$property}, $field);
        }
        self::assertStringNotContainsString('secret', $config->describe(), 'operators never see the password');
    }

    /** @return array<string, mixed> what fromSite() reads from SLUICE_REDIS as a URL */
    private static function parse(string $url): array
    {
        $parse = new \ReflectionMethod(RedisConfig::class, 'parseUrl');
        $parse->setAccessible(true);
        return $parse->invoke(null, $url);
    }

    /** @return array<string, array{array<string, mixed>, string}> */
    public static function wrong(): array
    {
        return [
            'port' => [['port' => 70000], 'port must be a whole number from 1 to 65535'],
            'database' => [['database' => 'two'], 'database must be a whole number'],
            'unknown' => [['hostname' => 'x'], 'unknown Redis setting "hostname"'],
            'prefix with a brace' => [['prefix' => 'a{b'], 'prefix must be at most 64 bytes without braces'],
            'relative socket' => [['socket' => 'redis.sock'], 'socket must be an absolute path'],
            'tls' => [['tls' => 'yes'], 'tls must be true, false or an array'],
            'timeout' => [['timeout' => 0], 'timeout must be a number of seconds'],
            'cluster seed' => [['cluster' => ['10.0.0.1']], 'cluster must list seed nodes as "host:port"'],
            'cluster database' => [['cluster' => ['10.0.0.1:7000'], 'database' => 2], 'a Redis Cluster has only database 0'],
        ];
    }

    /**
     * @dataProvider wrong
     * @param array<string, mixed> $config
     */
    public function testAWrongSettingIsNamed(array $config, string $message): void
    {
        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessage($message);
        RedisConfig::fromArray($config);
    }

    /** The filter sluice_redis has the last word (a site keeps its Redis settings wherever it likes). */
    public function testTheFilterHasTheLastWord(): void
    {
        $filter = static fn (array $c): array => ['database' => 7, 'hash_tag' => 'shared-shop'] + $c;
        add_filter('sluice_redis', $filter);
        try {
            $config = RedisConfig::fromSite();
        } finally {
            remove_filter('sluice_redis', $filter);
        }
        self::assertSame(7, $config->database);
        self::assertSame('sluice:{shared-shop}:', $config->keyPrefix(), 'installs that share limits share a hash tag');
        self::assertSame((int) getenv('SLUICE_REDIS_PORT'), $config->port, 'the rest from SLUICE_REDIS');
    }
}
