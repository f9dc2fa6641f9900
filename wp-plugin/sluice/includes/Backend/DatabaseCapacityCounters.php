<?php
/**
 * The database backend's capacity counters ({base_prefix}sluice_capacity,
 * CapacitySchema): one INSERT ... ON DUPLICATE KEY UPDATE per call adds to
 * every key's row of this minute. The minute is the database's clock, so the
 * hosts sharing it agree on it. The row of a key's slot (minute mod 16)
 * starts over when it held an older minute, and a write of a minute older
 * than the one it holds (a statement that started just before a minute
 * turned, committing after one that started after) is dropped, never added
 * to the wrong minute.
 *
 * @internal DatabaseBackend's
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

use SluiceWP\Capacity\CountsByKey;
use SluiceWP\Capacity\MinuteCounts;

defined('ABSPATH') || exit;

final class DatabaseCapacityCounters
{
    /** The database's unix minute (constant within one statement). */
    private const NOW_MINUTE = '(UNIX_TIMESTAMP() DIV 60)';

    private readonly LostCounts $lost;
    private readonly string $table;

    /** @param ?string $table the table (CapacitySchema::table() unless a test names another) */
    public function __construct(private readonly DatabaseSql $sql, ?string $table = null)
    {
        $this->lost = new LostCounts('database');
        $this->table = $table ?? CapacitySchema::table();
    }

    /**
     * @param array<string, array<int, int>> $countsByKey
     * @param int $minute unix minute; 0 = the database's now
     */
    public function add(array $countsByKey, int $minute = 0): void
    {
        $counts = CountsByKey::checked($countsByKey);
        if ($counts === []) {
            return;
        }
        $m = $minute > 0 ? (string) $minute : self::NOW_MINUTE;
        $slots = CapacityCounters::MINUTES_KEPT;
        $rows = [];
        foreach ($counts as $key => $list) {
            $rows[] = '(' . DatabaseSql::bytes($key) . ", {$m} MOD {$slots}, {$m}, " . implode(', ', $list) . ')';
        }
        $update = [];
        foreach (MinuteCounts::FIELDS as $c) {
            $update[] = "{$c} = IF(VALUES(minute) = minute, {$c} + VALUES({$c}), IF(VALUES(minute) > minute, VALUES({$c}), {$c}))";
        }
        $update[] = 'minute = GREATEST(minute, VALUES(minute))'; // last: the assignments before it read the minute held
        try {
            $this->sql->write("INSERT INTO {$this->table} (capacity_key, slot, minute, " . implode(', ', MinuteCounts::FIELDS) . ') VALUES '
                . implode(', ', $rows) . ' ON DUPLICATE KEY UPDATE ' . implode(', ', $update));
        } catch (DatabaseBackendException $e) {
            $this->lost->report($e);
        }
    }

    /**
     * @return array<string, list<MinuteCounts>>
     * @throws DatabaseBackendException when the table cannot be read
     */
    public function read(): array
    {
        $kept = CapacityCounters::MINUTES_KEPT;
        $rows = $this->sql->read('SELECT capacity_key, minute, ' . implode(', ', MinuteCounts::FIELDS) . " FROM {$this->table}"
            . ' WHERE minute > ' . self::NOW_MINUTE . " - {$kept} AND minute <= " . self::NOW_MINUTE . ' ORDER BY capacity_key, minute');
        $byKey = [];
        foreach ($rows as $row) {
            $list = [];
            foreach (MinuteCounts::FIELDS as $c) {
                $list[] = (int) $row[$c];
            }
            $byKey[(string) $row['capacity_key']][] = MinuteCounts::fromList((int) $row['minute'], $list);
        }
        return $byKey;
    }
}
