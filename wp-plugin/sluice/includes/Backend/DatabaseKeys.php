<?php
/**
 * The database backend's keys and slot rows: what an acquire reads of its
 * keys (creating the rows of a key seen for the first time, or whose limit
 * grew), the claim of its slots, a refusal counted on its key, and every key
 * as operators see it.
 *
 * @internal the database backend's (DatabaseBackend)
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseKeys
{
    /** Whether the key records' table is there (KeyRecordsSchema), asked once per process. */
    private static ?bool $recordsTable = null;
    /** Whether the line's tickets table is there (DatabaseLineSchema), asked once per process. */
    private static ?bool $ticketsTable = null;

    public function __construct(private readonly DatabaseSql $sql)
    {
    }

    /**
     * The slot rows of the keys and their caps (one query); keys seen for the
     * first time, or whose limit grew, get their rows first.
     *
     * @param list<string|int>  $names
     * @param array<string,int> $limits
     * @return array<string, DatabaseSlots>
     */
    public function read(array $names, array $limits): array
    {
        [$keysTable, $slotsTable] = DatabaseSql::tables();
        $in = implode(',', array_map(static fn ($k): string => DatabaseSql::bytes((string) $k), $names));
        // A key's record may cap it for the line's hand-offs (KeyRecordsSchema): read in the same query, once
        // its table is there (asked once per process: an option read here would cost a query whenever
        // WordPress's options cache was dropped).
        $records = self::$recordsTable ??= (new KeyRecordsSchema())->isCurrent();
        // A reserved slot's ticket says since when its action waited (the capacity counters' wait), in the same query.
        $tickets = self::$ticketsTable ??= (new DatabaseLineSchema())->isCurrent();
        $rows = $this->sql->read(
            'SELECT s.lease_key, s.slot, s.token, s.host_id, s.pid, s.start_time, s.expires_ms, s.request_until_ms, s.ref, s.reserved, s.label, s.limit_n,'
            . ' s.install, s.blog_id, k.waiting, ' . ($records ? 'r.cap' : '0') . ' AS record_cap, ' . ($tickets ? 't.first_deferred_ms' : 'NULL')
            . ' AS ticket_first_ms, ' . DatabaseSql::NOW_MS . ' AS now_ms'
            . " FROM {$slotsTable} s LEFT JOIN {$keysTable} k ON k.lease_key = s.lease_key"
            . ($records ? ' LEFT JOIN ' . KeyRecordsSchema::table() . ' r ON r.record_key = s.lease_key' : '')
            . ($tickets ? ' LEFT JOIN ' . DatabaseLineSchema::ticketsTable() . ' t ON s.reserved = 1 AND t.ticket = s.token' : '')
            . " WHERE s.lease_key IN ({$in})",
        );
        $keys = [];
        foreach ($names as $name) {
            $keys[(string) $name] = new DatabaseSlots();
        }
        foreach ($rows as $row) {
            $key = $keys[(string) $row['lease_key']] ?? null;
            if ($key === null) {
                continue;
            }
            $key->known = true;
            $key->waiting = (int) ($row['waiting'] ?? 0) > 0;
            $key->cap = (int) ($row['record_cap'] ?? 0);
            $key->nowMs = (int) $row['now_ms'];
            $key->slots[(int) $row['slot']] = DatabaseSlot::fromDb($row);
            if (($row['ticket_first_ms'] ?? null) !== null) {
                $key->ticketFirstMs[(string) $row['token']] = (int) $row['ticket_first_ms'];
            }
        }
        $newKeys = [];
        $newSlots = [];
        foreach ($keys as $name => $key) {
            if (!$key->known && isset($limits[$name])) {
                $newKeys[] = '(' . DatabaseSql::bytes($name) . ', ' . $limits[$name] . ')';
            }
            for ($slot = 1; $slot <= ($limits[$name] ?? 0); $slot++) {
                if (!isset($key->slots[$slot])) {
                    $newSlots[] = '(' . DatabaseSql::bytes($name) . ', ' . $slot . ')';
                    $key->slots[$slot] = DatabaseSlot::free($slot);
                }
            }
        }
        if ($newKeys !== []) {
            $this->sql->write("INSERT IGNORE INTO {$keysTable} (lease_key, limit_n) VALUES " . implode(', ', $newKeys));
        }
        if ($newSlots !== []) {
            $this->sql->write("INSERT IGNORE INTO {$slotsTable} (lease_key, slot) VALUES " . implode(', ', $newSlots));
        }
        return $keys;
    }

    /**
     * An acquire takes the chosen slot of every key in one statement, which
     * matches only if every one of them is still free, and counts the grant
     * on them, for $scope's install and blog.
     *
     * With $buckets (DatabaseBuckets::claimParts()) the same statement takes
     * their tokens, and matches only while every one of them has them.
     *
     * @param array<string, array{int, int, int}> $claims key => [slot, active once granted, the slot's limit so far]
     * @param array<string, int>             $limits
     * @param array{from: list<string>, set: list<string>, where: list<string>} $buckets
     */
    public function claim(string $token, array $claims, array $limits, int $ttlMs, string $label, LocalProcess $me, int $ref, Scope $scope,
        array $buckets = ['from' => [], 'set' => [], 'where' => []]): bool
    {
        global $wpdb;
        [, $slotsTable] = DatabaseSql::tables();
        $install = DatabaseSql::bytes($scope->install);
        ksort($claims, SORT_STRING); // one row order for every acquirer
        $from = $set = $where = [];
        $i = 0;
        foreach ($claims as $key => [$slot, $active, $slotLimit]) {
            $s = 's' . $i++;
            // A slot claimed under another limit starts its peak over: the key's peak counts under its current limit.
            $peak = $slotLimit === $limits[$key]
                ? "{$s}.peak = GREATEST({$s}.peak, {$active})"
                : "{$s}.peak = {$active}, {$s}.peak_since_ms = " . DatabaseSql::NOW_MS;
            $from[] = "{$slotsTable} {$s}";
            $set[] = "{$s}.token = '{$token}', {$s}.host = " . DatabaseSql::bytes($me->host) . ", {$s}.host_id = '{$me->hostId}',"
                . " {$s}.pid = {$me->pid}, {$s}.start_time = {$me->startTime}, {$s}.label = CONVERT(" . DatabaseSql::bytes($label) . ' USING utf8mb4),'
                . " {$s}.acquired_ms = " . DatabaseSql::NOW_MS . ", {$s}.expires_ms = " . DatabaseSql::NOW_MS . " + {$ttlMs},"
                . " {$s}.request_until_ms = 0, {$s}.ref = {$ref}, {$s}.reserved = 0, {$s}.gen = {$s}.gen + 1, {$s}.limit_n = {$limits[$key]},"
                . " {$peak}, {$s}.acquired = {$s}.acquired + 1, {$s}.install = {$install}, {$s}.blog_id = {$scope->blogId}";
            $where[] = "{$s}.lease_key = " . DatabaseSql::bytes($key) . " AND {$s}.slot = {$slot} AND {$s}.token = ''";
        }
        [$from, $set, $where] = [[...$from, ...$buckets['from']], [...$set, ...$buckets['set']], [...$where, ...$buckets['where']]];
        $suppress = $wpdb->suppress_errors(true);
        $changed = $wpdb->query('UPDATE ' . implode(', ', $from) . ' SET ' . implode(', ', $set) . ' WHERE ' . implode(' AND ', $where));
        $wpdb->suppress_errors($suppress);
        if ($changed === false && !DatabaseSql::isLockConflict((string) $wpdb->last_error)) {
            throw new DatabaseBackendException('Sluice\'s database backend could not claim slots: ' . $wpdb->last_error);
        }
        // false or 0: a concurrent acquirer (or a deadlock) got there first, or a bucket lacks the tokens
        return $changed === count($claims) + count($buckets['from']);
    }

    /** SQL for the key's cap from its record (RecordStore; 0: none), as read() reads it, for a query of its own. */
    public static function capOf(string $key): string
    {
        return (self::$recordsTable ??= (new KeyRecordsSchema())->isCurrent())
            ? '(SELECT COALESCE(MAX(r.cap), 0) FROM ' . KeyRecordsSchema::table() . ' r WHERE r.record_key = ' . DatabaseSql::bytes($key) . ')'
            : '0';
    }

    public function throttled(string $key, int $limit): void
    {
        [$keysTable] = DatabaseSql::tables();
        $this->sql->write("UPDATE {$keysTable} SET throttled = throttled + 1, limit_n = {$limit} WHERE lease_key = " . DatabaseSql::bytes($key));
    }

    /** @return array<string, KeyStatus> every key as operators see it (OperatorView::keys()) */
    public function status(bool $lineAvailable): array
    {
        [$keysTable, $slotsTable] = DatabaseSql::tables();
        $rows = $this->sql->read(
            'SELECT k.lease_key, k.limit_n AS key_limit, k.throttled, s.slot, s.token, s.host, s.pid, s.label, s.acquired_ms, s.expires_ms,'
            . ' s.request_until_ms, s.ref, s.reserved, s.wakes_sent, s.wakes_lapsed, s.wakes_missed, s.limit_n, s.peak, s.peak_since_ms, s.acquired, s.released, s.reclaimed_dead, s.reclaimed_expired, s.install, s.blog_id, ' . DatabaseSql::NOW_MS . ' AS now_ms'
            . " FROM {$keysTable} k LEFT JOIN {$slotsTable} s ON s.lease_key = k.lease_key ORDER BY k.lease_key, s.slot",
        );
        /** @var array<string, array{limit: int, lastGrantMs: int, throttled: int, peaks: list<array{int, int, int}>, acquired: int, released: int, dead: int, expired: int, sent: int, lapsed: int, missed: int, holders: list<Holder>}> $byKey */
        $byKey = [];
        foreach ($rows as $row) {
            $key = (string) $row['lease_key'];
            $k = $byKey[$key] ?? ['limit' => (int) $row['key_limit'], 'lastGrantMs' => -1, 'throttled' => (int) $row['throttled'],
                'peaks' => [], 'acquired' => 0, 'released' => 0, 'dead' => 0, 'expired' => 0, 'sent' => 0, 'lapsed' => 0, 'missed' => 0, 'holders' => []];
            if ($row['slot'] !== null) {
                // The limit is the one the latest grant was taken under (the key row's until a first grant).
                if ((int) $row['acquired'] > 0 && (int) $row['acquired_ms'] > $k['lastGrantMs']) {
                    $k['lastGrantMs'] = (int) $row['acquired_ms'];
                    $k['limit'] = (int) $row['limit_n'];
                }
                $k['peaks'][] = [(int) $row['limit_n'], (int) $row['peak'], (int) $row['peak_since_ms']];
                $k['acquired'] += (int) $row['acquired'];
                $k['released'] += (int) $row['released'];
                $k['dead'] += (int) $row['reclaimed_dead'];
                $k['expired'] += (int) $row['reclaimed_expired'];
                $k['sent'] += (int) $row['wakes_sent'];
                $k['lapsed'] += (int) $row['wakes_lapsed'];
                $k['missed'] += (int) $row['wakes_missed'];
                if ((string) $row['token'] !== '') {
                    $now = (int) $row['now_ms'];
                    $requestUntil = (int) $row['request_until_ms'];
                    $k['holders'][] = new Holder(
                        (string) $row['token'],
                        (int) $row['pid'],
                        (string) $row['label'],
                        max(0, $now - (int) $row['acquired_ms']),
                        max(0, (int) $row['expires_ms'] - $now),
                        $requestUntil > 0,
                        max(0, $requestUntil - $now),
                        (int) $row['ref'],
                        (bool) (int) $row['reserved'],
                        host: (string) $row['host'],
                        scope: (new Scope((string) $row['install'], (int) $row['blog_id']))->toString(),
                    );
                }
            }
            $byKey[$key] = $k;
        }
        // Tickets waiting for each key (once the line's tables exist).
        $queued = [];
        if ($lineAvailable) {
            $tickets = DatabaseLineSchema::ticketsTable();
            $parts = [];
            foreach (['k1', 'k2', 'k3', 'k4'] as $col) {
                $parts[] = "SELECT {$col} AS lease_key FROM {$tickets} WHERE state = 'waiting' AND {$col} <> ''";
            }
            foreach ($this->sql->read('SELECT lease_key, COUNT(*) AS n FROM (' . implode(' UNION ALL ', $parts) . ') q GROUP BY lease_key') as $row) {
                $queued[(string) $row['lease_key']] = (int) $row['n'];
            }
        }
        $keys = [];
        foreach ($byKey as $key => $k) {
            // The peak counts under the key's current limit only: a slot claimed under another limit (or before
            // the last reset) started its peak over when it was claimed again (DatabaseBackend::claim()).
            $current = array_filter($k['peaks'], static fn (array $p): bool => $p[0] === $k['limit']);
            $since = array_filter(array_column($current, 2));
            $keys[(string) $key] = new KeyStatus(
                key: (string) $key,
                limit: $k['limit'],
                active: count($k['holders']),
                peak: $current !== [] ? max(array_column($current, 1)) : 0,
                acquired: $k['acquired'],
                throttled: $k['throttled'],
                released: $k['released'],
                reclaimedDead: $k['dead'],
                reclaimedExpired: $k['expired'],
                holders: $k['holders'],
                meanHoldMs: 0,
                queued: $queued[(string) $key] ?? 0,
                reserved: count(array_filter($k['holders'], static fn (Holder $h): bool => $h->reservation)),
                wakesSent: $k['sent'],
                wakesLapsed: $k['lapsed'],
                wakesMissed: $k['missed'],
                peakSince: $since !== [] ? intdiv(min($since), 1000) : 0,
            );
        }
        return $keys;
    }
}
