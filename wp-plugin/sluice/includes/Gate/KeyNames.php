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
        $slug = substr((string) preg_replace('/[^a-z0-9_.-]/', '-', strtolower($provider)), 0, 32);
        return $hostWide ? 'sluice/provider:' . $slug : 'sluice/' . $this->siteNamespace . '/provider:' . $slug;
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
        return $keys;
    }
}
