<?php
/**
 * Names the keys of a piece of AI work. Keys are namespaced per install and
 * per blog, so two sites on one host never share a limit by accident; a
 * provider key can be made host-wide for sites that share one API account.
 * The core caps a key at 64 bytes: names here stay well inside that.
 */

declare(strict_types=1);

namespace SluiceWP\Gate;

final class KeyNames
{
    /** @param string $siteNamespace e.g. "a1b2c3d4e5/1": install id / blog id */
    public function __construct(private readonly string $siteNamespace)
    {
    }

    public function site(): string
    {
        return 'sluice/' . $this->siteNamespace . '/site';
    }

    public function provider(string $provider, bool $hostWide): string
    {
        $slug = self::slug($provider);
        return $hostWide ? 'sluice/provider:' . $slug : 'sluice/' . $this->siteNamespace . '/provider:' . $slug;
    }

    public function tenant(string $tenant): string
    {
        return 'sluice/' . $this->siteNamespace . '/tenant:' . self::slug($tenant);
    }

    /** A name part the core accepts (keys are at most 64 bytes); long names keep a hash so they stay apart. */
    private static function slug(string $name): string
    {
        $slug = (string) preg_replace('/[^a-z0-9_.-]/', '-', strtolower($name));
        return strlen($slug) <= 32 ? $slug : substr($slug, 0, 23) . '~' . substr(md5($name), 0, 8);
    }

    /** @return array<string,int> key => limit for one call to Backend::tryAcquire */
    public function limitsFor(AiWork $work, Limits $limits): array
    {
        $keys = [$this->site() => max(1, $limits->siteLimit())];
        if ($work->provider !== '') {
            $providerLimit = $limits->providerLimit($work->provider);
            if ($providerLimit > 0) {
                $keys[$this->provider($work->provider, $limits->providerKeyIsHostWide($work->provider))] = $providerLimit;
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
