<?php
/**
 * Picks the lease store for this request from the setting `backend`
 * (Settings\Config::backend()): "native" (the extension's shared segment),
 * "database" (DatabaseBackend: the site's database, one limit for every host
 * that shares it), "redis" (RedisBackend: the Redis of SLUICE_REDIS, one
 * limit for every host that shares it), or "auto": native when the extension
 * is loaded, else database, chosen once for every process of the site
 * (SiteStore), so a PHP-FPM without the extension and CLI runners with it do
 * not end up in two stores, each with the whole limit: the process that
 * cannot use the chosen store says why (unavailableReason()). Auto never
 * falls back to the database while the extension is loaded but unusable,
 * for the same reason. When Redis is unreachable,
 * the setting `redis_fallback` decides: the database backend (a store apart,
 * with its own slots, until Redis answers again), or none (AI work runs
 * ungated); either way redisUnreachable() says why, for the admin notice and
 * the status page. A site can hand in another store through the filter
 * `sluice_backend` (Backend|null $backend, string $preference).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

use SluiceWP\Settings\Fields;

defined('ABSPATH') || exit;

final class BackendChoice
{
    private ?Backend $backend = null;
    private ?string $unavailable = null;
    private ?string $redisUnreachable = null;
    private ?SiteStore $siteStore = null;
    private bool $picked = false;

    /**
     * @param string                              $preference    auto|native|database|redis (anything else reads as auto)
     * @param string                              $redisFallback database|ungated: what to use when Redis is unreachable
     * @param int                                 $drainSeconds  the provider request timeout: how long the Redis backend holds admissions after Redis lost its records
     * @param bool                                $oneStore      auto: one store for every process of the site (SiteStore); false: this process alone decides
     * @param ?\Closure(?string, ?string): void $onPicked      told once what this process uses: the store's name, or null and why not
     */
    public function __construct(
        private readonly string $preference = 'auto',
        private readonly string $redisFallback = 'database',
        private readonly int $drainSeconds = 300,
        private readonly bool $oneStore = false,
        private readonly ?\Closure $onPicked = null,
    ) {
    }

    /** The backend to use, or null when none is usable (see unavailableReason()). */
    public function backend(): ?Backend
    {
        if (!$this->picked) {
            $this->picked = true;
            $candidate = apply_filters('sluice_backend', $this->candidate(), $this->preference());
            if (!$candidate instanceof Backend) {
                $this->unavailable = 'the sluice_backend filter returned no backend';
            } else {
                $this->unavailable = $candidate->unavailableReason();
                if ($this->unavailable !== null && $candidate instanceof RedisBackend) {
                    $candidate = $this->withoutRedis($this->unavailable);
                }
                $this->backend = $this->unavailable === null ? $candidate : null;
            }
            if ($this->unavailable !== null && $this->siteStore !== null) {
                $this->unavailable .= sprintf(' [the site\'s store is %s for every process (backend "auto"): load the extension in this PHP too, or set the backend to "database" to move every process there]', $this->siteStore->describe());
            }
            if ($this->onPicked !== null) {
                ($this->onPicked)($this->backend?->name(), $this->unavailable);
            }
        }
        return $this->backend;
    }

    /** The store that "auto" chose once for every process of the site; null for another setting (or before it was asked). */
    public function siteStore(): ?SiteStore
    {
        $this->backend();
        return $this->siteStore;
    }

    /** True when no store serves because the operator said so: Redis is unreachable and redis_fallback is "ungated". */
    public function ungatedBySetting(): bool
    {
        $this->backend();
        return $this->backend === null && $this->redisUnreachable !== null && $this->redisFallback() === 'ungated';
    }

    /** Why no backend is usable; null when one is. */
    public function unavailableReason(): ?string
    {
        $this->backend();
        return $this->unavailable;
    }

    /** Why the Redis backend could not be used in this request (its fallback then serves, or none); null when it is in use or not chosen. */
    public function redisUnreachable(): ?string
    {
        $this->backend();
        return $this->redisUnreachable;
    }

    /** The setting as this choice read it: auto, native, database or redis. */
    public function preference(): string
    {
        return in_array($this->preference, Fields::BACKENDS, true) ? $this->preference : 'auto';
    }

    /** The setting redis_fallback as this choice read it: database or ungated. */
    public function redisFallback(): string
    {
        return in_array($this->redisFallback, Fields::REDIS_FALLBACKS, true) ? $this->redisFallback : 'database';
    }

    /** True when "auto" chose the database because the extension is not loaded (the admin notice says so). */
    public function fellBackToDatabase(): bool
    {
        return $this->preference() === 'auto' && $this->backend()?->name() === 'database';
    }

    private function candidate(): Backend
    {
        return match ($this->preference()) {
            'native' => new NativeBackend(),
            'database' => new DatabaseBackend(),
            'redis' => new RedisBackend(null, $this->drainSeconds),
            default => $this->auto(),
        };
    }

    /** Native when the extension is loaded, else the database; with $oneStore, as the site chose once for every process. */
    private function auto(): Backend
    {
        $native = extension_loaded('sluice');
        if ($this->oneStore) {
            $this->siteStore = SiteStore::choose($native);
            $native = $this->siteStore->backend === 'native';
        }
        return $native ? new NativeBackend() : new DatabaseBackend();
    }

    /** Redis cannot be used: the fallback the setting names, or none (the reason says that AI work runs ungated). */
    private function withoutRedis(string $why): ?Backend
    {
        $this->redisUnreachable = $why;
        if ($this->redisFallback() === 'ungated') {
            $this->unavailable = "Redis cannot be used ({$why}) and the setting redis_fallback is \"ungated\"";
            return null;
        }
        $database = new DatabaseBackend();
        $reason = $database->unavailableReason();
        $this->unavailable = $reason === null ? null : "Redis cannot be used ({$why}), nor its fallback, the database backend: {$reason}";
        return $database;
    }
}
