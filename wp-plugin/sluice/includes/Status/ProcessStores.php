<?php
/**
 * Each kind of PHP process of the site (web or cli, per user it runs as and
 * php.ini it loads: "web:www-data:/etc/php/8.2/fpm/php.ini") records which
 * lease store it uses, or why it cannot use the site's, in the autoloaded option
 * `sluice_process_stores`: the status page, `wp sluice status`, REST, the
 * admin notice and Site Health compare them (a root CLI runner refused by a
 * segment that PHP-FPM created, the extension loaded in one kind only). The
 * option is written only when what a kind says changes, when its record is an
 * hour old, when a kind that has no record of a queue run in the last five
 * minutes runs one, and once per refused process (which also says so in
 * PHP's error log, once per process), never on a plain request.
 */

declare(strict_types=1);

namespace SluiceWP\Status;

defined('ABSPATH') || exit;

final class ProcessStores
{
    public const OPTION = 'sluice_process_stores';
    /** A kind that ran a queue through a usable store this recently takes the site's AI work. */
    public const GATES_WITHIN_SECONDS = 900;
    private const REFRESH_SECONDS = 3600;
    private const QUEUE_RUN_REFRESH_SECONDS = 300;
    private const PIDS_KEPT = 32;

    /** Refusals this process has logged already (a CLI process lives for many requests' worth of work). */
    private static bool $logged = false;

    /** This process's record: its kind, user and php.ini ("cli:root:/etc/php/8.2/cli/php.ini"). */
    public static function currentKey(): string
    {
        return self::kind() . ':' . self::identity()[0] . ':' . self::ini();
    }

    /** The kind of this process: "web" for a web server's PHP, else "cli". */
    public static function kind(): string
    {
        return in_array(PHP_SAPI, ['cli', 'phpdbg', 'embed'], true) ? 'cli' : 'web';
    }

    /**
     * What this process uses: the store's name, or null and why not. Writes
     * only when that differs from the kind's record (or once per refused process).
     */
    public function record(?string $store, ?string $error): void
    {
        $records = self::stored();
        $facts = self::facts($store, $error);
        $kind = self::currentKey();
        $old = is_array($records[$kind] ?? null) ? $records[$kind] : [];
        $now = time();
        $pid = getmypid();
        $pids = array_map('intval', is_array($old['logged_pids'] ?? null) ? $old['logged_pids'] : []);
        $firstRefusalHere = $error !== null && !self::$logged && !in_array($pid, $pids, true);
        if ($firstRefusalHere) {
            self::$logged = true;
            error_log(sprintf('Sluice: this PHP process (%s, pid %d, user %s) cannot use the site\'s lease store: %s', PHP_SAPI, $pid, $facts['user'], $error));
            $pids = array_slice(array_merge($pids, [$pid]), -self::PIDS_KEPT);
        }
        $same = array_intersect_key($old, $facts) == $facts;
        if ($same && !$firstRefusalHere && $now - (int) ($old['at'] ?? 0) < self::REFRESH_SECONDS) {
            return;
        }
        $records[$kind] = $facts + ['at' => $now, 'queue_run_at' => (int) ($old['queue_run_at'] ?? 0), 'logged_pids' => $error !== null ? $pids : []];
        update_option(self::OPTION, $records, true);
    }

    /** This kind ran a queue through a usable store (written at most every five minutes). */
    public function queueRan(): void
    {
        $records = self::stored();
        $kind = self::currentKey();
        if (!is_array($records[$kind] ?? null) || time() - (int) ($records[$kind]['queue_run_at'] ?? 0) < self::QUEUE_RUN_REFRESH_SECONDS) {
            return;
        }
        $records[$kind]['queue_run_at'] = time();
        update_option(self::OPTION, $records, true);
    }

    /** @return array<string, ProcessStore> by kind, user and php.ini, as last recorded */
    public function all(): array
    {
        $out = [];
        foreach (self::stored() as $key => $r) {
            if (!is_array($r)) {
                continue;
            }
            $out[(string) $key] = new ProcessStore(
                (string) ($r['kind'] ?? strstr((string) $key, ':', true)),
                isset($r['store']) && is_string($r['store']) ? $r['store'] : null,
                isset($r['error']) && is_string($r['error']) ? $r['error'] : null,
                (bool) ($r['extension'] ?? false),
                (string) ($r['segment'] ?? ''),
                (string) ($r['file_mode'] ?? ''),
                (string) ($r['group'] ?? ''),
                (string) ($r['user'] ?? ''),
                (string) ($r['user_group'] ?? ''),
                (string) ($r['sapi'] ?? ''),
                (string) ($r['ini'] ?? ''),
                (int) ($r['at'] ?? 0),
                (int) ($r['queue_run_at'] ?? 0),
            );
        }
        ksort($out);
        return $out;
    }

    /**
     * Another kind of process than this one (or the same kind as another
     * user) ran a queue through a usable
     * store in the last GATES_WITHIN_SECONDS: AI work this process cannot
     * gate can wait for it.
     */
    public function anotherKindGatesQueues(): ?ProcessStore
    {
        $self = self::currentKey();
        foreach ($this->all() as $key => $record) {
            if ($key !== $self && !$record->refused() && time() - $record->queueRunAt <= self::GATES_WITHIN_SECONDS) {
                return $record;
            }
        }
        return null;
    }

    /** Forgets every record (uninstall; tests). */
    public static function forget(): void
    {
        delete_option(self::OPTION);
    }

    /** @return array<string, mixed> */
    private static function stored(): array
    {
        $records = get_option(self::OPTION, []);
        return is_array($records) ? $records : [];
    }

    /** @return array<string, string|bool|null> what this process is and sees, as the record keeps it */
    private static function facts(?string $store, ?string $error): array
    {
        $loaded = extension_loaded('sluice');
        [$user, $group] = self::identity();
        return [
            'kind' => self::kind(),
            'store' => $store,
            'error' => $error,
            'extension' => $loaded,
            'segment' => $loaded ? (string) ini_get('sluice.segment') : '',
            'file_mode' => $loaded ? (string) ini_get('sluice.file_mode') : '',
            'group' => $loaded ? (string) ini_get('sluice.group') : '',
            'user' => $user,
            'user_group' => $group,
            'sapi' => PHP_SAPI,
            'ini' => self::ini(),
        ];
    }

    /** The php.ini this PHP loaded ('' for none): where its sluice.* lines go. */
    private static function ini(): string
    {
        return (string) php_ini_loaded_file();
    }

    /** @return array{string, string} the user and group names this process runs as */
    private static function identity(): array
    {
        if (!function_exists('posix_geteuid')) {
            return [(string) get_current_user(), ''];
        }
        $user = posix_getpwuid(posix_geteuid());
        $group = posix_getgrgid(posix_getegid());
        return [is_array($user) ? (string) $user['name'] : 'uid ' . posix_geteuid(), is_array($group) ? (string) $group['name'] : 'gid ' . posix_getegid()];
    }
}
