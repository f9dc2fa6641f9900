<?php
/**
 * What Sluice holds for one blog, as plain data: the one builder behind
 * `wp sluice status --format=json`, GET /wp-json/sluice/v1/status and the
 * status pages (the network page calls network(), which switches to each
 * blog). Also the blog-scoped operator actions (release a token, reset a
 * key), so an administrator of one blog never touches another blog's leases.
 *
 * Shape of report():
 *   blog_id, url, enabled, backend (name or null), backend_unavailable
 *   (reason or null), redis_unreachable (why the Redis backend could not be
 *   used and its fallback serves, or null), key_prefix, site_limit,
 *   keys: list of {key, scope, limit, active, peak, acquired, throttled,
 *         released, reclaimed_dead, reclaimed_expired, ...whatever else the
 *         store's KeyStatus carries (snake_case), holders: list of {token,
 *         pid, label, age_ms, ttl_left_ms, request_open, drain_left_ms, ...}}
 *   line: the waiting line's queues for this blog's keys, present only when
 *         the store has a waiting line.
 */

declare(strict_types=1);

namespace SluiceWP\Status;

use SluiceWP\Backend\Backend;
use SluiceWP\Backend\BackendChoice;
use SluiceWP\Backend\KeyStatus;
use SluiceWP\Backend\WaitingLine;
use SluiceWP\Gate\KeyNames;
use SluiceWP\Settings\Config;

defined('ABSPATH') || exit;

final class SiteStatus
{
    public function __construct(
        private readonly BackendChoice $backends,
        private readonly Config $config,
    ) {
    }

    /** The name of the backend in use ("native", "database"), or null when none is usable. */
    public function backendName(): ?string
    {
        return $this->backends->backend()?->name();
    }

    /** @return array<string, mixed> the current blog's report */
    public function report(): array
    {
        $backend = $this->backends->backend();
        $report = [
            'blog_id' => get_current_blog_id(),
            'url' => home_url('/'),
            'enabled' => $this->config->enabled(),
            'backend' => $backend?->name(),
            'backend_unavailable' => $this->backends->unavailableReason(),
            'redis_unreachable' => $this->backends->redisUnreachable(),
            'key_prefix' => KeyNames::forBlog()->prefix(),
            'site_limit' => $this->config->siteLimit(),
            'keys' => [],
        ];
        if ($backend === null) {
            return $report;
        }
        $names = KeyNames::forBlog();
        foreach ($this->keysOfBlog($backend) as $status) {
            $row = ['key' => $status->key, 'scope' => $names->scope($status->key)] + self::plain($status);
            $row['holders'] = array_map(static fn (object $h): array => self::plain($h), $status->holders);
            $report['keys'][] = $row;
        }
        $line = $this->line($backend);
        if ($line !== null) {
            $report['line'] = $line;
        }
        return $report;
    }

    /**
     * Every blog's report, by blog id (one blog on a single site); $number
     * blogs from $offset on (by blog id) when $number is above 0.
     *
     * @return array<int, array<string, mixed>>
     */
    public function network(int $number = 0, int $offset = 0): array
    {
        if (!is_multisite()) {
            return [get_current_blog_id() => $this->report()];
        }
        $reports = [];
        foreach (get_sites(['fields' => 'ids', 'number' => max(0, $number), 'offset' => max(0, $offset), 'orderby' => 'id', 'order' => 'ASC']) as $blogId) {
            switch_to_blog((int) $blogId);
            try {
                $reports[(int) $blogId] = $this->report();
            } finally {
                restore_current_blog();
            }
        }
        return $reports;
    }

    /**
     * Releases a lease of this blog by its token; false when no such lease is
     * held. A lease that also holds a key of another blog or install (e.g.
     * blog 2's site key plus a host-wide provider key) is that blog's: it is
     * not released from here.
     */
    public function release(string $token): bool
    {
        $backend = $this->backends->backend();
        if ($backend === null) {
            return false;
        }
        $found = false;
        $names = KeyNames::forBlog();
        foreach ($backend->operatorView()->keys() as $status) {
            foreach ($status->holders as $holder) {
                if (hash_equals($holder->token, $token)) {
                    if ($names->scope($status->key) === null) {
                        return false;
                    }
                    $found = true;
                }
            }
        }
        return $found && $backend->operatorView()->releaseToken($token);
    }

    /**
     * Drops every lease of one of this blog's keys (full name or short form:
     * "site", "provider:openai"). Null when the blog has no such key.
     */
    public function reset(string $name): ?int
    {
        $backend = $this->backends->backend();
        $key = KeyNames::forBlog()->resolve($name);
        if ($backend === null || !isset($this->keysOfBlog($backend)[$key])) {
            return null;
        }
        return $backend->operatorView()->reset($key);
    }

    /** The blog's site key as the store holds it (null before its first AI step, or without a usable store). */
    public function siteKey(): ?KeyStatus
    {
        $backend = $this->backends->backend();
        return $backend?->operatorView()->keys()[KeyNames::forBlog()->site()] ?? null;
    }

    /** @return array<string, KeyStatus> this blog's keys and the host-wide ones */
    private function keysOfBlog(Backend $backend): array
    {
        $names = KeyNames::forBlog();
        return array_filter(
            $backend->operatorView()->keys(),
            static fn (KeyStatus $status): bool => $names->scope($status->key) !== null,
        );
    }

    /**
     * The waiting line's queues on this blog's keys, where the store has a line.
     *
     * @return list<array<string, mixed>>|null
     */
    private function line(Backend $backend): ?array
    {
        if (!$backend instanceof WaitingLine || !$backend->lineAvailable()) {
            return null;
        }
        // A queue is this blog's when every key of it is (its own or host-wide), as for release():
        // a queue on another blog's site key and a host-wide provider key is that blog's.
        $names = KeyNames::forBlog();
        $queues = [];
        foreach ($backend->line() as $queue) {
            $keys = array_keys($queue->keys);
            $ours = array_filter($keys, static fn (int|string $key): bool => $names->scope((string) $key) !== null);
            if ($keys !== [] && count($ours) === count($keys)) {
                $queues[] = self::plain($queue);
            }
        }
        return $queues;
    }

    /**
     * An operator value object as plain data: its public properties in
     * snake_case, nested objects and lists likewise.
     *
     * @return array<string, mixed>
     */
    private static function plain(object $value): array
    {
        $out = [];
        foreach (get_object_vars($value) as $name => $field) {
            $out[strtolower((string) preg_replace('/(?<!^)[A-Z]/', '_$0', (string) $name))] = self::plainValue($field);
        }
        return $out;
    }

    private static function plainValue(mixed $value): mixed
    {
        if (is_object($value)) {
            return self::plain($value);
        }
        if (is_array($value)) {
            return array_map(static fn (mixed $v): mixed => self::plainValue($v), $value);
        }
        return $value;
    }
}
