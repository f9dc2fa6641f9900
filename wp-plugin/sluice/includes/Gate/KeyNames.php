<?php
/**
 * Builds and reads the lease store's key names; no other class spells them.
 * Keys are namespaced per WordPress install and per blog
 * ("sluice/<install>/<blog_id>/site", ".../provider:<slug>",
 * ".../tenant:<slug>", ".../mode:<mode>"), so two sites on one host, or two blogs of a network,
 * never share a limit by accident; a provider key made host-wide (filter
 * sluice_provider_key_host_wide) is "sluice/provider:<slug>" and every blog
 * sees it. A provider's rate budgets are buckets beside its key, named the
 * same way ("rpm:<slug>", "tpm:<slug>"), and the host's requests-per-second
 * cap is one host-wide bucket, "sluice/qps". The core caps a key at 64 bytes: names here stay well inside that.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

defined('ABSPATH') || exit;

final class KeyNames
{
    private const ROOT = 'sluice/';
    private const HOST_WIDE_PREFIX = self::ROOT . 'provider:';

    /** @param string $siteNamespace e.g. "a1b2c3d4e5/1": install id / blog id */
    public function __construct(private readonly string $siteNamespace)
    {
    }

    /** The key names of a blog (the current one by default). */
    public static function forBlog(?int $blogId = null): self
    {
        return new self(self::siteNamespace($blogId));
    }

    /** "a1b2c3d4e5/2": the install's id (InstallId, one for every host of the site) and the blog's id. */
    public static function siteNamespace(?int $blogId = null): string
    {
        return InstallId::get() . '/' . ($blogId ?? get_current_blog_id());
    }

    /** Every key of the blog starts with this. */
    public function prefix(): string
    {
        return self::ROOT . $this->siteNamespace . '/';
    }

    public function site(): string
    {
        return $this->prefix() . 'site';
    }

    public function provider(string $provider, bool $hostWide): string
    {
        $slug = self::slug($provider);
        return $hostWide ? self::HOST_WIDE_PREFIX . $slug : $this->prefix() . 'provider:' . $slug;
    }

    /** The bucket of a provider's requests-per-minute ("rpm") or tokens-per-minute ("tpm") budget, beside its provider key. */
    public function budget(string $kind, string $provider, bool $hostWide): string
    {
        $name = $kind . ':' . self::slug($provider);
        return $hostWide ? self::ROOT . $name : $this->prefix() . $name;
    }

    /** The host-wide bucket of every AI request of the host (the requests-per-second cap). */
    public static function qps(): string
    {
        return self::ROOT . 'qps';
    }

    public function tenant(string $tenant): string
    {
        return $this->prefix() . 'tenant:' . self::slug($tenant);
    }

    /** The key of one mode of AI calls ("pipeline", "chat", ...), taken with the provider key when the mode has a limit. */
    public function mode(string $mode): string
    {
        return $this->prefix() . 'mode:' . self::slug($mode);
    }

    /** Whether the key is a rate budget's bucket (rpm:/tpm:<provider>, the blog's or host-wide, or sluice/qps), not a key of slots. */
    public static function isBudget(string $key): bool
    {
        return preg_match('#(?:^sluice/|/)(?:rpm|tpm):[^/]+$|^sluice/qps$#', $key) === 1;
    }

    /** "site", "provider", "tenant", ... for a key of the blog; "host" for a host-wide key; null for another blog's or install's key. */
    public function scope(string $key): ?string
    {
        if (str_starts_with($key, self::HOST_WIDE_PREFIX) || preg_match('#^sluice/(?:rpm:|tpm:|qps$)#', $key) === 1) {
            return 'host';
        }
        if (!str_starts_with($key, $this->prefix())) {
            return null;
        }
        return explode(':', substr($key, strlen($this->prefix())), 2)[0];
    }

    /** A key name an operator typed: the full name, or its short form within the blog ("site", "provider:openai"). */
    public function resolve(string $name): string
    {
        return str_starts_with($name, self::ROOT) ? $name : $this->prefix() . $name;
    }

    /** A name part the core accepts (keys are at most 64 bytes); long names keep a hash so they stay apart. */
    private static function slug(string $name): string
    {
        $slug = (string) preg_replace('/[^a-z0-9_.-]/', '-', strtolower($name));
        return strlen($slug) <= 32 ? $slug : substr($slug, 0, 23) . '~' . substr(md5($name), 0, 8);
    }

    /**
     * The keys one AI step takes at once: the site's, its provider's (host-wide: the network's limit, plus the
     * blog's own lower limit on a key of its own), its tenant's; at most four.
     *
     * @return array<string,int> key => limit for one call to Backend::tryAcquire
     */
    public function limitsFor(AiWork $work, Limits $limits): array
    {
        $keys = [$this->site() => max(1, $limits->siteLimit())];
        if ($work->provider !== '') {
            $own = $limits->providerLimit($work->provider);
            if ($limits->providerKeyIsHostWide($work->provider)) {
                // The host-wide key's limit is the network's; the blog's own limit only lowers its own use of it,
                // on a key of its own beside the shared one (never raises or skips the shared one).
                $shared = $limits->hostWideProviderLimit($work->provider);
                if ($shared > 0) {
                    $keys[$this->provider($work->provider, true)] = $shared;
                }
                if ($own > 0 && ($shared === 0 || $own < $shared)) {
                    $keys[$this->provider($work->provider, false)] = $own;
                }
            } elseif ($own > 0) {
                $keys[$this->provider($work->provider, false)] = $own;
            }
        }
        if ($work->tenant !== '') {
            $tenantLimit = $limits->tenantLimit($work->tenant);
            if ($tenantLimit > 0) {
                $keys[$this->tenant($work->tenant)] = $tenantLimit;
            }
        }
        return $keys;
    }
}
