<?php
/**
 * The SQL of the database backend: reads and writes through $wpdb that
 * throw DatabaseBackendException instead of failing quietly (a write rolled
 * back by a deadlock is tried again), its tables, exact byte literals, rows
 * taken once each, and the named lock that serialises the waiting line's
 * hand-offs and enqueues across every session on the database.
 *
 * @internal the database backend's (DatabaseBackend)
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseSql
{
    /** The database's clock in UTC milliseconds (constant within one statement). */
    public const NOW_MS = "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)";

    /** What gives a slot back. */
    public const FREEING = "token = '', request_until_ms = 0, ref = 0, reserved = 0, gen = gen + 1";

    /** Writes rolled back by a deadlock or a lock wait timeout are tried this often. */
    private const ATTEMPTS = 3;

    private int $lockDepth = 0;

    /**
     * Runs a write; one rolled back by a deadlock or a lock wait timeout is
     * tried again. Rows changed.
     *
     * @throws DatabaseBackendException when it cannot be written
     */
    public function write(string $sql): int
    {
        global $wpdb;
        $error = '';
        for ($attempt = 0; $attempt < self::ATTEMPTS; $attempt++) {
            $suppress = $wpdb->suppress_errors(true);
            $changed = $wpdb->query($sql);
            $wpdb->suppress_errors($suppress);
            if ($changed !== false) {
                return (int) $changed;
            }
            $error = (string) $wpdb->last_error;
            if (!self::isLockConflict($error)) {
                break;
            }
        }
        throw new DatabaseBackendException('Sluice\'s database backend could not write its tables: ' . $error);
    }

    /**
     * @return list<array<string, mixed>>
     * @throws DatabaseBackendException when it cannot be read
     */
    public function read(string $sql): array
    {
        global $wpdb;
        $suppress = $wpdb->suppress_errors(true);
        $rows = $wpdb->get_results($sql, ARRAY_A);
        $wpdb->suppress_errors($suppress);
        if (!is_array($rows) || $wpdb->last_error !== '') {
            throw new DatabaseBackendException('Sluice\'s database backend could not read its tables: ' . $wpdb->last_error);
        }
        return array_values($rows);
    }

    public static function isLockConflict(string $error): bool
    {
        return (bool) preg_match('/deadlock|lock wait timeout/i', $error);
    }

    /** @return array{string, string} the keys table and the slots table */
    public static function tables(): array
    {
        return [DatabaseSchema::keysTable(), DatabaseSchema::slotsTable()];
    }

    /** Bytes as an SQL hex literal: exact, and the query stays ASCII (wpdb then checks nothing more). */
    public static function bytes(string $bytes): string
    {
        return $bytes === '' ? "''" : 'X\'' . bin2hex($bytes) . '\'';
    }

    /** The SQL condition "this row is of $scope's install and blog" (on the columns install and blog_id). */
    public static function scopeIs(Scope $scope, string $alias = ''): string
    {
        $a = $alias === '' ? '' : $alias . '.';
        return "{$a}install = " . self::bytes($scope->install) . " AND {$a}blog_id = {$scope->blogId}";
    }

    /** Serialises the waiting line's enqueues, cancels and cleared waiting flags of every session on this database; never held across work. */
    public function lock(): void
    {
        if ($this->lockDepth++ > 0) {
            return;
        }
        $got = $this->read("SELECT GET_LOCK('" . self::lockName() . "', 10) AS got")[0]['got'] ?? null;
        if ((int) $got !== 1) {
            $this->lockDepth = 0;
            throw new DatabaseBackendException('Sluice\'s database backend could not lock its waiting line within 10 s');
        }
    }

    public function unlock(): void
    {
        if (--$this->lockDepth > 0) {
            return;
        }
        $this->lockDepth = 0;
        $this->read("SELECT RELEASE_LOCK('" . self::lockName() . "') AS released");
    }

    private static function lockName(): string
    {
        global $wpdb;
        return 'sluice_line_' . substr(md5((defined('DB_NAME') ? (string) constant('DB_NAME') : '') . '|' . $wpdb->base_prefix), 0, 20);
    }
}
