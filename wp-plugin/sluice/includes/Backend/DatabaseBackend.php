<?php
/**
 * Leases in the site's MySQL/MariaDB database, through $wpdb: for sites
 * without the extension, and for clusters whose web and queue hosts share one
 * database (one limit for all of them, which per-host shared memory cannot give).
 *
 * Two tables (DatabaseSchema): sluice_lease_slots has one row per slot of a key,
 * free (token '') or taken by a lease, with the slot's counters;
 * sluice_lease_keys a key's limit and refusals. A key never has more than
 * `limit` slot rows in 1..limit, so the primary key itself bounds what is
 * granted; a lease takes one free slot row on every key in ONE UPDATE (one
 * row per key, a multi-table UPDATE for several keys) that matches only if
 * every chosen row is still free, and counts the grant on those rows: all
 * keys or none, no lock held across anything (InnoDB's row locks last that
 * one statement). An uncontended acquire + release is 3 queries: read the
 * keys' slots, claim, release.
 *
 * Owners are host + pid + process start time (LocalProcess). A lease whose
 * owner is on this host and dead is reclaimed by the next acquire that needs
 * its slot, unless a provider request of it is open: then it drains until the
 * request's deadline (requestStarted), as on the native backend. A lease of
 * another host comes back only by its TTL. Times are the database's clock
 * (UTC milliseconds), so hosts whose clocks differ agree on every expiry.
 *
 * Leases this process took are released when its request ends (as the
 * extension does at request shutdown); a Lease object that is dropped is not.
 * A table it cannot read or write throws DatabaseBackendException (the gate
 * then lets the work run ungated), never a refusal.
 *
 * It keeps the waiting line too (DatabaseLine): tickets, reservations and
 * wakes in tables beside the leases, so every host of the database shares
 * one line. While no ticket waits for its keys, a pair still costs 3 queries.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;


final class DatabaseBackend implements Backend, OperatorView, WaitingLine
{
    use DatabaseLine;

    public const MAX_KEYS = 4;
    public const MAX_KEY_BYTES = 64;
    /** The largest limit: a key has one row per slot. */
    public const MAX_LIMIT = 1024;
    public const MAX_LABEL_BYTES = 96;
    public const MAX_TTL_SECONDS = 365 * 86400;
    public const MAX_REQUEST_SECONDS = 86400;
    /** What a ttl of 0 means (as sluice.default_ttl for the extension). */
    public const DEFAULT_TTL_SECONDS = 600;
    /** Claims lost to a concurrent acquirer before this one gives up (a refusal). */
    private const ATTEMPTS = 3;
    /** The database's clock in UTC milliseconds (constant within one statement). */
    private const NOW_MS = "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)";
    /** The waiting line's virtual-time unit: a ticket of weight w advances its queue by SCALE / w. */
    private const SCALE = 1e6;
    /** What gives a slot back. */
    private const FREEING = "token = '', request_until_ms = 0, ref = 0, reserved = 0, gen = gen + 1";

    /** @var array<string, true> tokens this process took and has not released: released when the request ends */
    private array $held = [];
    private bool $releaseAtShutdown = false;

    public function name(): string
    {
        return 'database';
    }

    public function unavailableReason(): ?string
    {
        global $wpdb;
        if (!$wpdb instanceof \wpdb) {
            return 'WordPress\'s database connection ($wpdb) is not there';
        }
        if ((defined('DB_ENGINE') && constant('DB_ENGINE') === 'sqlite') || (defined('DATABASE_TYPE') && constant('DATABASE_TYPE') === 'sqlite')) {
            return 'the database backend needs MySQL or MariaDB, and this site runs on SQLite (load the sluice extension instead)';
        }
        if (!(new DatabaseSchema())->isCurrent()) {
            return 'the lease tables are not created yet (deactivate and activate the Sluice plugin)';
        }
        return null;
    }

    public function tryAcquire(array $limits, int $ttl, string $label): Lease|Refusal
    {
        return $this->acquire($limits, $ttl, $label, 0);
    }

    /**
     * tryAcquire(), and for queued action $ref (> 0): its ticket's reservation
     * becomes the lease; else a grant removes its ticket from the line.
     *
     * @param array<string,int> $limits
     */
    private function acquire(array $limits, int $ttl, string $label, int $ref): Lease|Refusal
    {
        self::checkLimits($limits);
        $ttlMs = self::ttlSeconds($ttl) * 1000;
        $label = self::label($label);
        $me = LocalProcess::current();
        $token = bin2hex(random_bytes(16));
        $keys = [];
        for ($attempt = 0; $attempt < self::ATTEMPTS; $attempt++) {
            $keys = $this->readKeys(array_keys($limits), $limits);
            $lined = $ref > 0 && self::anyWaiting($keys);
            if ($lined) {
                $reservation = self::reservationOf($keys, $ref);
                if ($reservation !== null) {
                    if ($this->convertReservation($reservation, $token, $limits, $ttlMs, $label, $me, $ref)) {
                        $this->remember($token);
                        return new Lease($token, $limits);
                    }
                    continue; // it lapsed or was cancelled meanwhile: read again
                }
            }
            $claims = [];
            foreach ($limits as $key => $limit) {
                $key = (string) $key;
                $slot = $this->pickSlot($keys, $key, $limit, $me);
                if ($slot === null) {
                    $this->countThrottled($key, $limit);
                    if ($lined) {
                        $this->ticketShowedUp($ref);
                    }
                    return new Refusal($key, $limit, $keys[$key]->taken());
                }
                $claims[$key] = [$slot, $keys[$key]->taken() + 1];
            }
            if ($this->claim($token, $claims, $limits, $ttlMs, $label, $me, $ref)) {
                if ($lined) {
                    $this->ticketServed($ref);
                }
                $this->remember($token);
                return new Lease($token, $limits);
            }
            // A concurrent acquirer took a chosen slot first (or a deadlock rolled the claim back): read again.
        }
        // Lost every race: each time, the slots we saw free were taken before our claim (a key churning at its limit).
        $first = (string) array_key_first($limits);
        $this->countThrottled($first, $limits[$first]);
        return new Refusal($first, $limits[$first], max($keys[$first]->taken(), $limits[$first]));
    }

    public function release(Lease $lease): bool
    {
        return $this->freeToken($lease->token, array_map('strval', array_keys($lease->limits)), $lease->limits);
    }

    public function renew(Lease $lease, int $ttl): bool
    {
        $ttlMs = self::ttlSeconds($ttl) * 1000;
        return $this->updateHeld($lease->token, 'expires_ms = ' . self::NOW_MS . ' + ' . $ttlMs);
    }

    public function requestStarted(Lease $lease, int $maxSeconds, int $renewTtl = 0): bool
    {
        if ($maxSeconds < 1 || $maxSeconds > self::MAX_REQUEST_SECONDS) {
            throw new \ValueError('a provider request may be open 1 to ' . self::MAX_REQUEST_SECONDS . " seconds, not $maxSeconds");
        }
        $renew = $renewTtl > 0 ? 'expires_ms = ' . self::NOW_MS . ' + ' . (self::ttlSeconds($renewTtl) * 1000) . ', ' : '';
        return $this->updateHeld($lease->token, $renew . 'request_until_ms = ' . self::NOW_MS . ' + ' . ($maxSeconds * 1000));
    }

    public function requestFinished(Lease $lease): bool
    {
        return $this->updateHeld($lease->token, 'request_until_ms = 0');
    }

    public function operatorView(): OperatorView
    {
        return $this;
    }

    public function keys(): array
    {
        [$keysTable, $slotsTable] = self::tables();
        $rows = $this->read(
            'SELECT k.lease_key, k.limit_n AS key_limit, k.throttled, s.slot, s.token, s.host, s.pid, s.label, s.acquired_ms, s.expires_ms,'
            . ' s.request_until_ms, s.ref, s.reserved, s.wakes_sent, s.wakes_lapsed, s.wakes_missed, s.limit_n, s.peak, s.acquired, s.released, s.reclaimed_dead, s.reclaimed_expired, ' . self::NOW_MS . ' AS now_ms'
            . " FROM {$keysTable} k LEFT JOIN {$slotsTable} s ON s.lease_key = k.lease_key ORDER BY k.lease_key, s.slot",
        );
        /** @var array<string, array{limit: int, lastGrantMs: int, throttled: int, peak: int, acquired: int, released: int, dead: int, expired: int, sent: int, lapsed: int, missed: int, holders: list<Holder>}> $byKey */
        $byKey = [];
        foreach ($rows as $row) {
            $key = (string) $row['lease_key'];
            $k = $byKey[$key] ?? ['limit' => (int) $row['key_limit'], 'lastGrantMs' => -1, 'throttled' => (int) $row['throttled'],
                'peak' => 0, 'acquired' => 0, 'released' => 0, 'dead' => 0, 'expired' => 0, 'sent' => 0, 'lapsed' => 0, 'missed' => 0, 'holders' => []];
            if ($row['slot'] !== null) {
                // The limit is the one the latest grant was taken under (the key row's until a first grant).
                if ((int) $row['acquired'] > 0 && (int) $row['acquired_ms'] > $k['lastGrantMs']) {
                    $k['lastGrantMs'] = (int) $row['acquired_ms'];
                    $k['limit'] = (int) $row['limit_n'];
                }
                $k['peak'] = max($k['peak'], (int) $row['peak']);
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
                    );
                }
            }
            $byKey[$key] = $k;
        }
        // Tickets waiting for each key (once the line's tables exist).
        $queued = [];
        if ($this->lineAvailable()) {
            $tickets = DatabaseLineSchema::ticketsTable();
            $parts = [];
            foreach (['k1', 'k2', 'k3', 'k4'] as $col) {
                $parts[] = "SELECT {$col} AS lease_key FROM {$tickets} WHERE state = 'waiting' AND {$col} <> ''";
            }
            foreach ($this->read('SELECT lease_key, COUNT(*) AS n FROM (' . implode(' UNION ALL ', $parts) . ') q GROUP BY lease_key') as $row) {
                $queued[(string) $row['lease_key']] = (int) $row['n'];
            }
        }
        $keys = [];
        foreach ($byKey as $key => $k) {
            $keys[(string) $key] = new KeyStatus(
                key: (string) $key,
                limit: $k['limit'],
                active: count($k['holders']),
                peak: $k['peak'],
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
            );
        }
        return $keys;
    }

    public function releaseToken(string $token): bool
    {
        if (!self::isToken($token)) {
            return false;
        }
        return $this->freeToken($token, null, []);
    }

    /**
     * Gives a lease's slots back in ONE statement, which also tells whether
     * tickets wait for one of its keys (their key rows then count the hit, and
     * the rows changed exceed the lease's keys): only then is the slot handed on.
     *
     * @param list<string>|null $keys  the lease's keys (null: read them first)
     * @param array<string,int> $limits
     */
    private function freeToken(string $token, ?array $keys, array $limits): bool
    {
        unset($this->held[$token]);
        [$keysTable, $slotsTable] = self::tables();
        if ($keys === null) {
            $keys = array_values(array_map('strval', array_column($this->read("SELECT lease_key FROM {$slotsTable} WHERE token = '{$token}'"), 'lease_key')));
            if ($keys === []) {
                return false;
            }
        }
        $changed = $this->write(
            "UPDATE {$slotsTable} s LEFT JOIN {$keysTable} k ON k.lease_key = s.lease_key"
            . " SET s.token = '', s.request_until_ms = 0, s.ref = 0, s.reserved = 0, s.gen = s.gen + 1, s.released = s.released + 1,"
            . " k.line_hits = k.line_hits + (k.waiting > 0) WHERE s.token = '{$token}'",
        );
        if ($changed > count($keys)) {
            $this->handOff($keys, $limits);
        }
        return $changed > 0;
    }

    public function reset(string $key): int
    {
        [, $slotsTable] = self::tables();
        // The whole lease goes, on every key it holds (as the native reset drops lease records).
        $tokens = array_column($this->read("SELECT DISTINCT token FROM {$slotsTable} WHERE lease_key = " . self::bytes($key) . " AND token <> ''"), 'token');
        $tokens = array_values(array_filter(array_map('strval', $tokens), [self::class, 'isToken']));
        if ($tokens === []) {
            return 0;
        }
        $in = "'" . implode("','", $tokens) . "'";
        $rows = $this->read("SELECT lease_key, token, reserved FROM {$slotsTable} WHERE token IN ({$in})");
        $this->write("UPDATE {$slotsTable} SET " . self::FREEING . " WHERE token IN ({$in})");
        $left = $this->read("SELECT DISTINCT token FROM {$slotsTable} WHERE token IN ({$in})");
        $reservations = [];
        foreach ($rows as $row) {
            if ((int) $row['reserved'] === 1) {
                $reservations[(string) $row['token']] = true;
            }
        }
        $this->reservationsGone(array_keys($reservations), false);
        $this->handOff(array_values(array_unique(array_map('strval', array_column($rows, 'lease_key')))), []);
        return count($tokens) - count($left);
    }

    /**
     * One read finds everything a sweep may have to do: the leases that may
     * be reclaimable (expired, or held on this host with no provider request
     * open: their owners are checked), whether tickets wait for any key, and
     * whether wakes, stranded records or stale tickets wait (takeWakes(),
     * takeStranded() and staleTickets() of this sweep read their tables only
     * then). With nothing to sweep, that one query is all.
     */
    public function sweep(): int
    {
        [$keysTable, $slotsTable] = self::tables();
        $me = LocalProcess::current();
        $now = self::NOW_MS;
        $found = ["(SELECT COUNT(*) FROM {$keysTable} WHERE waiting > 0) AS waiting_keys"];
        if ($this->lineAvailable()) {
            $found[] = '(SELECT COUNT(*) FROM ' . DatabaseLineSchema::wakesTable() . ') AS wakes';
            $found[] = '(SELECT COUNT(*) FROM ' . DatabaseLineSchema::strandedTable() . ') AS stranded';
            $found[] = '(SELECT COUNT(*) FROM ' . DatabaseLineSchema::ticketsTable() . ' WHERE first_deferred_ms <= ' . $now . ' - ' . self::STALE_AFTER_MS . ') AS stale';
        }
        $mine = $me->hostId !== '' ? " OR (s.reserved = 0 AND s.request_until_ms <= c.now_ms AND s.host_id = '{$me->hostId}')" : '';
        $rows = $this->read(
            'SELECT c.*, s.lease_key, s.token, s.host_id, s.pid, s.start_time, s.expires_ms, s.request_until_ms, s.ref, s.reserved, s.label'
            . ' FROM (SELECT ' . implode(', ', $found) . ", {$now} AS now_ms) c"
            . " LEFT JOIN {$slotsTable} s ON s.token <> '' AND (s.expires_ms <= c.now_ms{$mine})",
        );
        $census = $rows[0] ?? [];
        $this->sweepFound = isset($census['wakes'])
            ? ['wakes' => (int) $census['wakes'] > 0, 'stranded' => (int) $census['stranded'] > 0, 'stale' => (int) $census['stale'] > 0]
            : [];
        $swept = 0;
        $seen = [];
        foreach ($rows as $row) {
            if ($row['token'] === null) {
                continue; // nothing that may be reclaimable
            }
            $slot = DatabaseSlot::fromDb($row);
            if (isset($seen[$slot->token])) {
                continue;
            }
            $seen[$slot->token] = true;
            $why = $slot->reclaimable((int) $row['now_ms'], $me);
            if ($why !== null && $this->reclaim($slot, $why)) {
                $swept++;
            }
        }
        if ((int) ($census['waiting_keys'] ?? 0) > 0) {
            $this->handOffWaiting();
        }
        return $swept;
    }

    /**
     * The slot rows of the keys (one query); keys seen for the first time, or
     * whose limit grew, get their rows first.
     *
     * @param list<string|int>  $names
     * @param array<string,int> $limits
     * @return array<string, DatabaseSlots>
     */
    private function readKeys(array $names, array $limits): array
    {
        [$keysTable, $slotsTable] = self::tables();
        $in = implode(',', array_map(static fn ($k): string => self::bytes((string) $k), $names));
        $rows = $this->read(
            'SELECT s.lease_key, s.slot, s.token, s.host_id, s.pid, s.start_time, s.expires_ms, s.request_until_ms, s.ref, s.reserved, s.label,'
            . ' k.waiting, ' . self::NOW_MS . ' AS now_ms'
            . " FROM {$slotsTable} s LEFT JOIN {$keysTable} k ON k.lease_key = s.lease_key WHERE s.lease_key IN ({$in})",
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
            $key->nowMs = (int) $row['now_ms'];
            $key->slots[(int) $row['slot']] = DatabaseSlot::fromDb($row);
        }
        $newKeys = [];
        $newSlots = [];
        foreach ($keys as $name => $key) {
            if (!$key->known && isset($limits[$name])) {
                $newKeys[] = '(' . self::bytes($name) . ', ' . $limits[$name] . ')';
            }
            for ($slot = 1; $slot <= ($limits[$name] ?? 0); $slot++) {
                if (!isset($key->slots[$slot])) {
                    $newSlots[] = '(' . self::bytes($name) . ', ' . $slot . ')';
                    $key->slots[$slot] = DatabaseSlot::free($slot);
                }
            }
        }
        if ($newKeys !== []) {
            $this->write("INSERT IGNORE INTO {$keysTable} (lease_key, limit_n) VALUES " . implode(', ', $newKeys));
        }
        if ($newSlots !== []) {
            $this->write("INSERT IGNORE INTO {$slotsTable} (lease_key, slot) VALUES " . implode(', ', $newSlots));
        }
        return $keys;
    }

    /**
     * A free slot of the key within 1..limit, or null when the key is full.
     * Only when it looks full are its holders checked: those dead on this
     * host (and not draining) or expired are reclaimed first.
     *
     * @param array<string, DatabaseSlots> $keys
     */
    private function pickSlot(array $keys, string $key, int $limit, LocalProcess $me): ?int
    {
        $slots = $keys[$key];
        $free = $slots->freeWithin($limit);
        if ($free !== [] && $slots->taken() < $limit) {
            return $free[array_rand($free)];
        }
        foreach ($slots->slots as $row) {
            if ($row->token === '') {
                continue;
            }
            $token = $row->token; // freeToken() clears $row itself
            $why = $row->reclaimable($slots->nowMs, $me);
            if ($why !== null && $this->reclaim($row, $why)) {
                foreach ($keys as $other) {
                    $other->freeToken($token);
                }
            }
        }
        $free = $slots->freeWithin($limit);
        return $free !== [] && $slots->taken() < $limit ? $free[array_rand($free)] : null;
    }

    /**
     * Takes the chosen slot of every key in one statement, which matches only
     * if every one of them is still free, and counts the grant on them.
     *
     * @param array<string, array{int, int}> $claims key => [slot, active once granted]
     * @param array<string, int>             $limits
     */
    private function claim(string $token, array $claims, array $limits, int $ttlMs, string $label, LocalProcess $me, int $ref = 0): bool
    {
        global $wpdb;
        [, $slotsTable] = self::tables();
        ksort($claims, SORT_STRING); // one row order for every acquirer
        $from = $set = $where = [];
        $i = 0;
        foreach ($claims as $key => [$slot, $active]) {
            $s = 's' . $i++;
            $from[] = "{$slotsTable} {$s}";
            $set[] = "{$s}.token = '{$token}', {$s}.host = " . self::bytes($me->host) . ", {$s}.host_id = '{$me->hostId}',"
                . " {$s}.pid = {$me->pid}, {$s}.start_time = {$me->startTime}, {$s}.label = CONVERT(" . self::bytes($label) . ' USING utf8mb4),'
                . " {$s}.acquired_ms = " . self::NOW_MS . ", {$s}.expires_ms = " . self::NOW_MS . " + {$ttlMs},"
                . " {$s}.request_until_ms = 0, {$s}.ref = {$ref}, {$s}.reserved = 0, {$s}.gen = {$s}.gen + 1, {$s}.limit_n = {$limits[$key]},"
                . " {$s}.peak = GREATEST({$s}.peak, {$active}), {$s}.acquired = {$s}.acquired + 1";
            $where[] = "{$s}.lease_key = " . self::bytes($key) . " AND {$s}.slot = {$slot} AND {$s}.token = ''";
        }
        $suppress = $wpdb->suppress_errors(true);
        $changed = $wpdb->query('UPDATE ' . implode(', ', $from) . ' SET ' . implode(', ', $set) . ' WHERE ' . implode(' AND ', $where));
        $wpdb->suppress_errors($suppress);
        if ($changed === false && !self::isLockConflict((string) $wpdb->last_error)) {
            throw new DatabaseBackendException('Sluice\'s database backend could not claim slots: ' . $wpdb->last_error);
        }
        return $changed === count($claims); // false or 0: a concurrent acquirer (or a deadlock) got there first
    }

    /**
     * Frees every slot of a lease whose owner died (not draining) or whose TTL
     * ran out; false if it was gone. A dead holder's action id is kept for
     * takeStranded(); a lapsed reservation's ticket waits again; the slots go
     * to the next ticket of the line.
     */
    private function reclaim(DatabaseSlot $lease, string $why): bool
    {
        $token = $lease->token;
        [, $slotsTable] = self::tables();
        $counter = $why === 'expired' ? 'reclaimed_expired' : 'reclaimed_dead';
        // A reservation past its window lapsed (counted before FREEING clears `reserved`: MySQL assigns left to right).
        $lapsed = $why === 'expired' ? 'wakes_lapsed = wakes_lapsed + reserved, ' : '';
        // Re-checked by the statement itself: still this lease, still past its TTL / past any open request's deadline.
        $still = $why === 'expired' ? 'expires_ms <= ' . self::NOW_MS : 'request_until_ms <= ' . self::NOW_MS;
        $keys = array_values(array_map('strval', array_column($this->read("SELECT lease_key FROM {$slotsTable} WHERE token = '{$token}'"), 'lease_key')));
        if ($this->write("UPDATE {$slotsTable} SET {$lapsed}" . self::FREEING . ", {$counter} = {$counter} + 1 WHERE token = '{$token}' AND {$still}") === 0) {
            return false;
        }
        if ($lease->reserved) {
            $this->reservationsGone([$token], true);
        } elseif ($why === 'dead' && $lease->ref > 0) {
            $this->strand($lease);
        }
        $this->handOff($keys, []);
        return true;
    }

    private function updateHeld(string $token, string $assignment): bool
    {
        if (!self::isToken($token)) {
            return false;
        }
        [, $slotsTable] = self::tables();
        // gen changes on every call, so a write that sets the same values still counts as a change.
        return $this->write("UPDATE {$slotsTable} SET {$assignment}, gen = gen + 1 WHERE token = '{$token}'") > 0;
    }

    private function countThrottled(string $key, int $limit): void
    {
        [$keysTable] = self::tables();
        $this->write("UPDATE {$keysTable} SET throttled = throttled + 1, limit_n = {$limit} WHERE lease_key = " . self::bytes($key));
    }

    /**
     * Runs a write; one rolled back by a deadlock or a lock wait timeout is
     * tried again. Rows changed.
     *
     * @throws DatabaseBackendException when it cannot be written
     */
    private function write(string $sql): int
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
    private function read(string $sql): array
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

    private static function isLockConflict(string $error): bool
    {
        return (bool) preg_match('/deadlock|lock wait timeout/i', $error);
    }

    private function remember(string $token): void
    {
        $this->held[$token] = true;
        if (!$this->releaseAtShutdown) {
            $this->releaseAtShutdown = true;
            register_shutdown_function(function (): void {
                foreach (array_keys($this->held) as $token) {
                    try {
                        $this->releaseToken($token);
                    } catch (DatabaseBackendException $e) {
                        error_log('Sluice: a lease could not be released at request end (its TTL will free it): ' . $e->getMessage());
                    }
                }
            });
        }
    }


    /** @return array{string, string} the keys table and the slots table */
    private static function tables(): array
    {
        return [DatabaseSchema::keysTable(), DatabaseSchema::slotsTable()];
    }

    /** Bytes as an SQL hex literal: exact, and the query stays ASCII (wpdb then checks nothing more). */
    private static function bytes(string $bytes): string
    {
        return $bytes === '' ? "''" : 'X\'' . bin2hex($bytes) . '\'';
    }

    private static function isToken(string $token): bool
    {
        return strlen($token) === 32 && ctype_xdigit($token) && strtolower($token) === $token;
    }

    /** @param array<mixed> $limits */
    private static function checkLimits(array $limits): void
    {
        if ($limits === [] || count($limits) > self::MAX_KEYS) {
            throw new \ValueError('a lease takes 1 to ' . self::MAX_KEYS . ' keys, ' . count($limits) . ' given');
        }
        foreach ($limits as $key => $limit) {
            $key = (string) $key;
            if ($key === '' || strlen($key) > self::MAX_KEY_BYTES) {
                throw new \ValueError('a key is 1 to ' . self::MAX_KEY_BYTES . " bytes, \"{$key}\" is not");
            }
            if (!is_int($limit) || $limit < 1 || $limit > self::MAX_LIMIT) {
                throw new \ValueError('a limit is 1 to ' . self::MAX_LIMIT . ", not " . var_export($limit, true) . " for key \"{$key}\"");
            }
        }
    }

    private static function ttlSeconds(int $ttl): int
    {
        if ($ttl < 0 || $ttl > self::MAX_TTL_SECONDS) {
            throw new \ValueError('a ttl is 0 (the default, ' . self::DEFAULT_TTL_SECONDS . ' s) to ' . self::MAX_TTL_SECONDS . " seconds, not {$ttl}");
        }
        return $ttl === 0 ? self::DEFAULT_TTL_SECONDS : $ttl;
    }

    /** At most MAX_LABEL_BYTES of valid UTF-8. */
    private static function label(string $label): string
    {
        $label = mb_scrub($label, 'UTF-8');
        return strlen($label) <= self::MAX_LABEL_BYTES ? $label : mb_strcut($label, 0, self::MAX_LABEL_BYTES, 'UTF-8');
    }
}
