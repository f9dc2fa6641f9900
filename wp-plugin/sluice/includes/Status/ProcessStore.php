<?php
/**
 * What one kind of PHP process of the site (web: PHP-FPM, Apache's mod_php;
 * cli: queue runners, WP-CLI), running as one user with one php.ini, last said about the lease store: the store it
 * uses, or why it cannot use the site's store, with who it runs as and the
 * extension's settings it sees (ProcessStores records them).
 */

declare(strict_types=1);

namespace SluiceWP\Status;

defined('ABSPATH') || exit;

final class ProcessStore
{
    public function __construct(
        /** "web" or "cli". */
        public readonly string $kind,
        /** The store it uses ("native", "database", "redis"), null when it cannot use the site's. */
        public readonly ?string $store,
        /** Why it cannot (the store's own words), null when it can. */
        public readonly ?string $error,
        public readonly bool $extensionLoaded,
        /** The extension's segment name, file mode and group as this PHP's ini says ('' without the extension). */
        public readonly string $segment,
        public readonly string $fileMode,
        public readonly string $group,
        /** The user and group it runs as. */
        public readonly string $user,
        public readonly string $userGroup,
        /** PHP's SAPI (fpm-fcgi, apache2handler, cli, ...). */
        public readonly string $sapi,
        /** The php.ini it loaded ('' for none). */
        public readonly string $ini,
        /** Unix seconds when this was last written (on a change, and at least hourly). */
        public readonly int $at,
        /** Unix seconds of its last queue run through a usable store (0: none seen). */
        public readonly int $queueRunAt,
    ) {
    }

    public function refused(): bool
    {
        return $this->error !== null;
    }

    /** "PHP-FPM (www-data)", "the CLI (root)": what an operator calls it. */
    public function describe(): string
    {
        $what = match ($this->sapi) {
            'fpm-fcgi' => 'PHP-FPM',
            'apache2handler' => 'Apache (mod_php)',
            'cli' => 'the CLI (queue runners, WP-CLI)',
            default => $this->kind === 'web' ? 'the web server\'s PHP (' . $this->sapi . ')' : 'the CLI (' . $this->sapi . ')',
        };
        return $what . ' as ' . $this->user . ($this->ini !== '' ? ' (php.ini ' . $this->ini . ')' : ' (no php.ini)');
    }
}
