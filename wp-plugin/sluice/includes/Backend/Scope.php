<?php
/**
 * Whose line records these are: a WordPress install and one of its blogs.
 * An Action Scheduler action id is unique only within one blog's tables,
 * while a lease store's waiting line is shared by a whole network (the
 * database backend's base_prefix tables, one Redis hash tag per install) or
 * by every install of the host (the extension's segment). Every ticket, wake
 * and stranded record therefore carries its scope, and a store matches on it
 * as well as on the action id: a process reaches only its own blog's
 * entries. Written "<install>/<blog>" (Gate\KeyNames::siteNamespace(), as in
 * the blog's key names); "" in a process without WordPress.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class Scope
{
    /** What the extension accepts: an install of 1-16 of [A-Za-z0-9_.-], a blog id of 32 bits. */
    private const PATTERN = '~\A([A-Za-z0-9_.-]{1,16})/(0|[1-9][0-9]{0,9})\z~';

    public function __construct(
        /** The install's id (Gate\InstallId); '' when there is no WordPress. */
        public readonly string $install,
        public readonly int $blogId,
    ) {
    }

    /** The current blog's scope: it follows switch_to_blog(); "" in a process without WordPress. */
    public static function current(): string
    {
        return defined('DB_HOST') && function_exists('get_current_blog_id') ? \SluiceWP\Gate\KeyNames::siteNamespace() : '';
    }

    /**
     * "<install>/<blog>" (or "") read back.
     *
     * @throws \ValueError for anything else
     */
    public static function parse(string $scope): self
    {
        if ($scope === '') {
            return new self('', 0);
        }
        if (preg_match(self::PATTERN, $scope, $m) !== 1 || (int) $m[2] > 0xFFFFFFFF) {
            throw new \ValueError("a scope is \"<install>/<blog id>\" (install 1-16 of A-Z a-z 0-9 _ . -), not \"{$scope}\"");
        }
        return new self($m[1], (int) $m[2]);
    }

    public function toString(): string
    {
        return $this->install === '' ? '' : $this->install . '/' . $this->blogId;
    }
}
