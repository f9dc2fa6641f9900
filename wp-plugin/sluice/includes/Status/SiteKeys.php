<?php
/**
 * Which keys of the lease store belong to a blog. Key names are namespaced
 * per WordPress install and per blog ("sluice/<install>/<blog_id>/..."), so
 * two sites on one host, or two blogs of a network, never share a limit by
 * accident; a provider key made host-wide (filter sluice_provider_key_host_wide)
 * is "sluice/provider:<slug>" and every blog sees it.
 */

declare(strict_types=1);

namespace SluiceWP\Status;

use SluiceWP\Gate\KeyNames;

final class SiteKeys
{
    private const HOST_WIDE_PREFIX = 'sluice/provider:';

    /** "a1b2c3d4e5/2": the install's id (database host, name and base prefix) and the blog's id. */
    public static function siteNamespace(?int $blogId = null): string
    {
        global $wpdb;
        $install = substr(md5(DB_HOST . '|' . DB_NAME . '|' . $wpdb->base_prefix), 0, 10);
        return $install . '/' . ($blogId ?? get_current_blog_id());
    }

    /** The gate's key names for a blog (the current one by default). */
    public static function names(?int $blogId = null): KeyNames
    {
        return new KeyNames(self::siteNamespace($blogId));
    }

    /** Every key of the blog starts with this. */
    public static function prefix(?int $blogId = null): string
    {
        return 'sluice/' . self::siteNamespace($blogId) . '/';
    }

    /** "site", "provider", "tenant", ... for a key of the blog; "host" for a host-wide key; null for another blog's or install's key. */
    public static function scope(string $key, ?int $blogId = null): ?string
    {
        if (str_starts_with($key, self::HOST_WIDE_PREFIX)) {
            return 'host';
        }
        $prefix = self::prefix($blogId);
        if (!str_starts_with($key, $prefix)) {
            return null;
        }
        $rest = substr($key, strlen($prefix));
        return explode(':', $rest, 2)[0];
    }

    /** A key name an operator typed: the full name, or its short form within the blog ("site", "provider:openai"). */
    public static function resolve(string $name, ?int $blogId = null): string
    {
        return str_starts_with($name, 'sluice/') ? $name : self::prefix($blogId) . $name;
    }
}
