<?php
/**
 * The database backend's key records (RecordStore): one row per key in
 * {base_prefix}sluice_key_records (KeyRecordsSchema). A read is one SELECT
 * that also returns the database's clock; a write is one INSERT IGNORE (no
 * record yet) or one UPDATE guarded by the version it read, so of two
 * sessions that read the same version exactly one writes.
 *
 * @internal the database backend's (DatabaseBackend)
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseRecords
{
    public function __construct(private readonly DatabaseSql $sql)
    {
    }

    public function read(string $key): StoredRecord
    {
        LeaseArguments::checkRecord($key, 0, '');
        $table = KeyRecordsSchema::table();
        $row = $this->sql->read('SELECT n.now_ms, r.version, r.data, r.cap FROM (SELECT ' . DatabaseSql::NOW_MS . ' AS now_ms) n'
            . " LEFT JOIN {$table} r ON r.record_key = " . DatabaseSql::bytes($key))[0] ?? [];
        $record = new StoredRecord((int) ($row['version'] ?? 0), (string) ($row['data'] ?? ''), (int) ($row['now_ms'] ?? 0), (int) ($row['cap'] ?? 0));
        $this->readCaps[$key] = [$record->version, $record->cap];
        return $record;
    }

    private bool $capChanged = false;
    /** @var array<string, array{int, int}> key => [version, cap] as this process last read them */
    private array $readCaps = [];

    public function write(string $key, int $version, string $data, ?int $cap = null): bool
    {
        LeaseArguments::checkRecord($key, $version, $data, $cap);
        $this->capChanged = false;
        $table = KeyRecordsSchema::table();
        $k = DatabaseSql::bytes($key);
        $d = DatabaseSql::bytes($data);
        if ($version === 0) {
            $written = $this->sql->write("INSERT IGNORE INTO {$table} (record_key, version, data, cap, updated_ms) VALUES ({$k}, 1, {$d}, "
                . ($cap ?? 0) . ', ' . DatabaseSql::NOW_MS . ')') === 1;
            $this->capChanged = $written && ($cap ?? 0) !== 0;
            return $written;
        }
        // The cap's change is read from the rows matched: the version bumps, the cap only when it differs.
        $capSet = $cap === null ? '' : ", cap = {$cap}";
        $changed = $this->sql->write("UPDATE {$table} SET version = version + 1, data = {$d}, updated_ms = " . DatabaseSql::NOW_MS . $capSet
            . " WHERE record_key = {$k} AND version = " . $version);
        // The write matched the version read, so the cap it replaced is the one read with it.
        [$readVersion, $readCap] = $this->readCaps[$key] ?? [-1, 0];
        $this->capChanged = $changed === 1 && $cap !== null && !($readVersion === $version && $readCap === $cap);
        return $changed === 1;
    }

    /** Whether the last write() changed the key's cap (a hand-off may then let tickets in). */
    public function capChanged(): bool
    {
        return $this->capChanged;
    }
}
