<?php
/**
 * What Sluice holds for one blog, typed (SiteStatus builds it): the status
 * pages, `wp sluice` and REST read it, and it becomes plain data only where
 * it leaves as JSON (toArray(): REST, `wp sluice report`) or through
 * WP-CLI's Formatter.
 */

declare(strict_types=1);

namespace SluiceWP\Status;

use SluiceWP\Backend\BudgetStatus;
use SluiceWP\Backend\QueueStatus;
use SluiceWP\Backend\SiteStore;

defined('ABSPATH') || exit;

final class SiteReport
{
    /**
     * @param list<KeyReport>        $keys the blog's keys and the host-wide ones
     * @param list<QueueStatus>|null $line the waiting line's queues on the blog's keys; null where the store keeps no line
     * @param list<ProcessStore>     $processes what each kind of process of the site says about its store
     * @param list<BudgetStatus>     $budgets the rate budgets' buckets of the blog's keys and the host-wide ones (a store that keeps buckets)
     */
    public function __construct(
        public readonly int $blogId,
        public readonly string $url,
        public readonly bool $enabled,
        /** The lease store in use ("native", "database", ...), null when none is usable. */
        public readonly ?string $backend,
        public readonly ?string $backendUnavailable,
        /** Why the Redis backend could not be used and its fallback serves (null when it is not the case). */
        public readonly ?string $redisUnreachable,
        /** Every key of the blog starts with this. */
        public readonly string $keyPrefix,
        public readonly int $siteLimit,
        public readonly array $keys,
        public readonly ?array $line,
        /** Healthy, degraded or ungated, with each problem and its fix. */
        public readonly Health $health = new Health(Health::HEALTHY, []),
        public readonly array $processes = [],
        /** The store backend "auto" chose once for every process of the site (null for another setting). */
        public readonly ?SiteStore $siteStore = null,
        /** Actions that ran ungated because the store failed. */
        public readonly UngatedCount $ungated = new UngatedCount(0, 0, 0, '', 0),
        public readonly array $budgets = [],
    ) {
    }

    /** The blog's site key ("sluice/<install>/<blog_id>/site"). */
    public function siteKey(): string
    {
        return $this->keyPrefix . 'site';
    }

    public function key(string $name): ?KeyReport
    {
        foreach ($this->keys as $key) {
            if ($key->status->key === $name) {
                return $key;
            }
        }
        return null;
    }

    /**
     * The report as JSON leaves it (REST, `wp sluice report`): blog_id, url,
     * enabled, backend, backend_unavailable, redis_unreachable, key_prefix, site_limit, keys
     * (each {key, scope, limit, active, ..., holders: [...]}, snake_case; a protected
     * provider's key also {provider: {effective_limit, last_signal, circuit, next_probe_at, ...}}),
     * health ({state, problems: [{code, severity, message, fix}]}), processes
     * (each kind of process and the store it uses or why not), store (what
     * backend "auto" chose for the site, or null), ungated (actions that ran
     * ungated because the store failed), budgets (each rate budget's bucket: {key, per_minute, source, level,
     * paused_until, takes, refusals}; its bucket is no key of slots, so keys leaves it out) and line where the
     * store keeps one.
     *
     * @return array<string, mixed>
     */
    public function toArray(): array
    {
        $report = [
            'blog_id' => $this->blogId,
            'url' => $this->url,
            'enabled' => $this->enabled,
            'backend' => $this->backend,
            'backend_unavailable' => $this->backendUnavailable,
            'redis_unreachable' => $this->redisUnreachable,
            'key_prefix' => $this->keyPrefix,
            'site_limit' => $this->siteLimit,
            'keys' => array_map(static fn (KeyReport $k): array => ['key' => $k->status->key, 'scope' => $k->scope] + Plain::of($k->status)
                + ($k->provider !== null ? ['provider' => Plain::of($k->provider)] : []), $this->keys),
            'health' => Plain::of($this->health),
            'processes' => array_map([Plain::class, 'of'], $this->processes),
            'store' => $this->siteStore !== null ? Plain::of($this->siteStore) : null,
            'ungated' => Plain::of($this->ungated),
            'budgets' => array_map([Plain::class, 'of'], $this->budgets),
        ];
        if ($this->line !== null) {
            $report['line'] = array_map([Plain::class, 'of'], $this->line);
        }
        return $report;
    }
}
