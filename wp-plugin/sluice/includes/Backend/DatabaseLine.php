<?php
/**
 * The database backend's waiting line, on the same database as its leases,
 * so every host that shares the database shares one line.
 *
 * Tables (DatabaseLineSchema): sluice_line_tickets (one row per ticket: action id,
 * tenant, weight, key set and limits, state 'waiting' or 'reserved', a start
 * tag for the fair order), sluice_line_wakes and sluice_line_stranded (rows
 * taken once each: DELETE ... RETURNING on MariaDB, row by row elsewhere).
 * The key rows of sluice_lease_keys carry a waiting flag (set by enqueue,
 * cleared by a hand-off that finds no ticket for the key), read by every
 * acquire with its slot rows and by every release in its one UPDATE: when no
 * ticket waits the line costs the lease pair no query.
 *
 * A hand-off runs whenever slots free (release, reclaim of a dead or expired
 * holder, a lapsed reservation, reset, cancel, sweep) and tickets wait, under
 * one named lock (GET_LOCK) held for its few statements only: it reads the
 * keys' slots and the waiting tickets, picks the next ticket whose keys all
 * have room and reserves its slots: a slot row whose token is the ticket's,
 * with no owner, that lapses by its expiry (the reservation window) and then
 * goes to the next ticket. The reservation, the ticket's state and the wake
 * are written by one UPDATE and one INSERT.
 *
 * Fair order (a start-time fair queueing over the waiting tickets, computed
 * in PHP): a ticket's start tag is max(V, the finish tag of the last ticket
 * of its queue), V being the smallest start tag waiting in the whole line
 * (lapsed tickets left out),
 * and the finish tag is start + 1e6 / weight; a queue is (tenant, weight, key
 * set). The next ticket served is the one with the smallest
 * start + 1e6 / w_eff whose keys all have room, w_eff = w + (100 - w) *
 * min(1, waited / aging) (aging: 90 s, filter sluice_aging_seconds), the
 * older ticket first on a tie. A queue that emptied starts again from V: its
 * idle time earns it no burst.
 *
 * @internal DatabaseBackend's
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;


trait DatabaseLine
{
    /** Tickets a hand-off considers, lowest start tags first. */
    private static int $handOffWindow = 1000;
    private int $lockDepth = 0;
    /** This process queued a wake since it last took them (else a wake after a release reads nothing). */
    private bool $wakesQueued = false;
    /**
     * What the sweep's one read (sweep()) found waiting, each consumed by the
     * call that deals with it: 'wakes', 'stranded', 'stale' => any there.
     *
     * @var array<string, bool>
     */
    private array $sweepFound = [];

    public function lineAvailable(): bool
    {
        return $this->unavailableReason() === null && (new DatabaseLineSchema())->isCurrent();
    }

    public function tryAcquireFor(array $limits, int $ttl, string $label, int $ref): Lease|Refusal
    {
        if ($ref < 1) {
            throw new \ValueError("a ref is an action id of at least 1, not {$ref}");
        }
        return $this->acquire($limits, $ttl, $label, $ref);
    }

    public function enqueue(array $limits, int $ref, string $tenant, int $weight, int $firstDeferredAt): Ticket
    {
        self::checkLimits($limits);
        if ($ref < 1) {
            throw new \ValueError("a ref is an action id of at least 1, not {$ref}");
        }
        if ($weight < 1 || $weight > 100) {
            throw new \ValueError("a weight is 1 to 100, not {$weight}");
        }
        $limits = array_map('intval', $limits);
        ksort($limits, SORT_STRING);
        $names = array_map('strval', array_keys($limits));
        $tenant = mb_strcut(mb_scrub($tenant, 'UTF-8'), 0, 64, 'UTF-8');
        $keySet = implode("\n", $names);
        $encoded = self::encodeLimits($limits);
        $tickets = DatabaseLineSchema::ticketsTable();
        $scale = self::SCALE;
        $this->lineLock();
        try {
            $queue = 'CAST(tenant AS BINARY) = ' . self::bytes($tenant) . " AND weight = {$weight} AND key_set = " . self::bytes($keySet);
            $row = $this->read(
                "SELECT (SELECT COUNT(*) FROM {$tickets}) AS total,"
                . " (SELECT MIN(start_tag) FROM {$tickets} WHERE state = 'waiting' AND lapsed = 0) AS v,"
                . " (SELECT MAX(start_tag + {$scale} / weight) FROM {$tickets} WHERE {$queue}) AS last_finish,"
                . ' (SELECT COUNT(*) FROM ' . $tickets . ' WHERE key_set = ' . self::bytes($keySet) . ') AS in_set,'
                . " e.ticket, e.lapsed, (SELECT COUNT(*) FROM {$tickets} x WHERE x.key_set = e.key_set AND x.id < e.id) AS ahead, "
                . self::NOW_MS . ' AS now_ms'
                . " FROM (SELECT 1 AS one) d LEFT JOIN {$tickets} e ON e.ref = {$ref} ORDER BY e.id LIMIT 1",
            )[0] ?? [];
            $limit = (int) array_reduce($limits, static fn (?int $m, int $l): int => $m === null ? $l : min($m, $l));
            if (($row['ticket'] ?? null) !== null) {
                $token = (string) $row['ticket'];
                if ((int) $row['lapsed'] === 1) {
                    // Re-confirmed: a lapsed ticket may be handed a slot again.
                    $this->write("UPDATE {$tickets} SET lapsed = 0, gen = gen + 1 WHERE ticket = '{$token}'");
                    $this->handOff($names, $limits);
                }
                return new Ticket($token, false, (int) $row['ahead'], $limit, 0);
            }
            if ((int) ($row['total'] ?? 0) >= self::lineCapacity()) {
                throw new LineFullException('the waiting line holds ' . (int) $row['total'] . ' tickets, as many as it may (filter sluice_line_capacity)');
            }
            $v = $row['v'] !== null ? (float) $row['v'] : 0.0;
            $start = max($v, $row['last_finish'] !== null ? (float) $row['last_finish'] : 0.0);
            $nowMs = (int) $row['now_ms'];
            $firstMs = $firstDeferredAt > 0 ? min($nowMs, $firstDeferredAt * 1000) : $nowMs;
            $token = bin2hex(random_bytes(16));
            $k = array_pad(array_map([self::class, 'bytes'], $names), 4, "''");
            $this->write(
                "INSERT INTO {$tickets} (ticket, ref, tenant, weight, key_set, k1, k2, k3, k4, key_limits, state, lapsed, start_tag, first_deferred_ms, enqueued_ms)"
                . " VALUES ('{$token}', {$ref}, CONVERT(" . self::bytes($tenant) . " USING utf8mb4), {$weight}, " . self::bytes($keySet) . ', '
                . implode(', ', $k) . ", '{$encoded}', 'waiting', 0, " . sprintf('%.6F', $start) . ", {$firstMs}, {$nowMs})",
            );
            [$keysTable] = self::tables();
            $this->write(
                "INSERT INTO {$keysTable} (lease_key, limit_n, waiting) VALUES "
                . implode(', ', array_map(static fn (string $n): string => '(' . self::bytes($n) . ", {$limits[$n]}, 1)", $names))
                . ' ON DUPLICATE KEY UPDATE waiting = 1',
            );
            // A slot may have freed between the refusal and now: hand it on (perhaps to this very ticket).
            $this->handOff($names, $limits);
            return new Ticket($token, true, (int) ($row['in_set'] ?? 0), $limit, 0);
        } finally {
            $this->lineUnlock();
        }
    }

    public function moveTicket(string $ticket, int $ref): bool
    {
        if (!self::isToken($ticket) || $ref < 1) {
            return false;
        }
        [, $slotsTable] = self::tables();
        $tickets = DatabaseLineSchema::ticketsTable();
        $changed = $this->write(
            "UPDATE {$tickets} t LEFT JOIN {$slotsTable} s ON s.token = t.ticket AND s.reserved = 1"
            . " SET t.ref = {$ref}, t.gen = t.gen + 1, s.ref = {$ref}, s.gen = s.gen + 1 WHERE t.ticket = '{$ticket}'",
        );
        if ($changed > 1) {
            // Reserved already (a wake may have named the old copy, which is gone now): wake the new copy too.
            $this->write('INSERT INTO ' . DatabaseLineSchema::wakesTable() . " (ticket) VALUES ('{$ticket}')");
            $this->wakesQueued = true;
        }
        return $changed > 0;
    }

    public function cancelTicket(string $ticket): bool
    {
        if (!self::isToken($ticket)) {
            return false;
        }
        $tickets = DatabaseLineSchema::ticketsTable();
        $this->lineLock();
        try {
            $rows = $this->read("SELECT state, key_limits FROM {$tickets} WHERE ticket = '{$ticket}'");
            if ($rows === [] || $this->write("DELETE FROM {$tickets} WHERE ticket = '{$ticket}'") === 0) {
                return false;
            }
            $this->write('DELETE FROM ' . DatabaseLineSchema::wakesTable() . " WHERE ticket = '{$ticket}'");
            if ((string) $rows[0]['state'] === 'reserved') {
                [, $slotsTable] = self::tables();
                $this->write("UPDATE {$slotsTable} SET " . self::FREEING . " WHERE token = '{$ticket}' AND reserved = 1");
                $limits = self::decodeLimits((string) $rows[0]['key_limits']);
                $this->handOff(array_map('strval', array_keys($limits)), []);
            }
            return true;
        } finally {
            $this->lineUnlock();
        }
    }

    public function takeWakes(int $max, bool $ownOnly = false): array
    {
        // After a release only a process that handed a slot on reads the table; a sweep whose read found
        // no wake reads nothing either.
        $found = $this->sweepFound['wakes'] ?? null;
        unset($this->sweepFound['wakes']);
        if (!$this->wakesQueued && ($ownOnly || $found === false)) {
            return [];
        }
        $this->wakesQueued = false;
        $taken = $this->takeRows(DatabaseLineSchema::wakesTable(), 'ticket', $max);
        if ($taken === []) {
            return [];
        }
        [, $slotsTable] = self::tables();
        $tickets = DatabaseLineSchema::ticketsTable();
        $in = "'" . implode("','", array_filter(array_map(static fn (array $r): string => (string) $r['ticket'], $taken), [self::class, 'isToken'])) . "'";
        $rows = $this->read(
            'SELECT t.ticket, t.ref, MAX(s.expires_ms) - ' . self::NOW_MS . " AS left_ms FROM {$tickets} t"
            . " JOIN {$slotsTable} s ON s.token = t.ticket AND s.reserved = 1 WHERE t.ticket IN ({$in}) AND t.state = 'reserved' GROUP BY t.ticket, t.ref",
        );
        $byTicket = [];
        foreach ($rows as $row) {
            $byTicket[(string) $row['ticket']] = $row;
        }
        $wakes = [];
        foreach ($taken as $r) {
            $row = $byTicket[(string) $r['ticket']] ?? null;
            if ($row !== null) {
                unset($byTicket[(string) $r['ticket']]); // one wake per reservation
                $wakes[] = new Wake((string) $row['ticket'], (int) $row['ref'], max(0, (int) $row['left_ms']));
            }
        }
        return $wakes;
    }

    public function wakeMissed(string $ticket): bool
    {
        if (!self::isToken($ticket)) {
            return false;
        }
        // Counted; nothing to undo: the reservation lapses by its expiry and goes to the next ticket.
        [, $slotsTable] = self::tables();
        return $this->write("UPDATE {$slotsTable} SET wakes_missed = wakes_missed + 1, gen = gen + 1 WHERE token = '{$ticket}' AND reserved = 1") > 0;
    }

    public function takeStranded(int $max): array
    {
        $known = $this->sweepFound['stranded'] ?? null;
        unset($this->sweepFound['stranded']);
        if ($known === false) {
            return []; // the sweep's read found none, and this sweep stranded none since
        }
        return array_map(
            static fn (array $r): StrandedLease => new StrandedLease((int) $r['ref'], (string) $r['label'], (int) $r['pid']),
            $this->takeRows(DatabaseLineSchema::strandedTable(), 'ref, label, pid', $max),
        );
    }

    public function staleTickets(int $max): array
    {
        $known = $this->sweepFound['stale'] ?? null;
        unset($this->sweepFound['stale']);
        if ($known === false) {
            return [];
        }
        return StaleTickets::in($this->line(), $max);
    }

    public function line(): array
    {
        [, $slotsTable] = self::tables();
        $tickets = DatabaseLineSchema::ticketsTable();
        $rows = $this->read(
            'SELECT t.id, t.ticket, t.ref, t.tenant, t.weight, t.key_set, t.key_limits, t.state, t.start_tag, t.first_deferred_ms,'
            . " (SELECT MAX(s.expires_ms) FROM {$slotsTable} s WHERE s.token = t.ticket AND s.reserved = 1) AS reserved_until, "
            . self::NOW_MS . " AS now_ms FROM {$tickets} t ORDER BY t.start_tag, t.id",
        );
        $aging = self::agingMs();
        /** @var array<string, array{score: float, tenant: string, weight: int, keys: array<string,int>, tickets: list<TicketStatus>}> $queues */
        $queues = [];
        foreach ($rows as $row) {
            $now = (int) $row['now_ms'];
            $weight = (int) $row['weight'];
            $waited = max(0, $now - (int) $row['first_deferred_ms']);
            $reserved = (string) $row['state'] === 'reserved';
            $id = $row['tenant'] . "\0" . $weight . "\0" . $row['key_set'];
            $queues[$id] ??= ['score' => INF, 'tenant' => (string) $row['tenant'], 'weight' => $weight,
                'keys' => self::decodeLimits((string) $row['key_limits']), 'tickets' => []];
            $score = $reserved ? -INF : self::score((float) $row['start_tag'], $weight, $waited, $aging);
            $queues[$id]['score'] = min($queues[$id]['score'], $score);
            $queues[$id]['tickets'][] = new TicketStatus(
                (string) $row['ticket'],
                (int) $row['ref'],
                $reserved ? 'reserved' : 'waiting',
                $waited,
                intdiv((int) $row['first_deferred_ms'], 1000),
                $reserved ? max(0, (int) $row['reserved_until'] - $now) : 0,
                (int) round(self::effectiveWeight($weight, $waited, $aging)),
            );
        }
        uasort($queues, static fn (array $a, array $b): int => $a['score'] <=> $b['score']);
        return array_values(array_map(
            static fn (array $q): QueueStatus => new QueueStatus($q['tenant'], $q['weight'], $q['keys'], $q['tickets']),
            $queues,
        ));
    }

    /**
     * Hands the free slots of these keys to the next tickets whose keys all
     * have room, if tickets wait for them: reserves the slots and queues a
     * wake for each. Returns how many tickets were handed a slot.
     *
     * @param list<string>      $keys
     * @param array<string,int> $limits limits to create missing slot rows with ([] for none)
     */
    private function handOff(array $keys, array $limits): int
    {
        if ($keys === []) {
            return 0;
        }
        // Read without the lock: the reservation's UPDATE re-checks every slot it takes.
        $slots = $this->readKeys($keys, $limits);
        $flagged = array_keys(array_filter($slots, static fn (DatabaseSlots $s): bool => $s->waiting && $s->freeWithin(PHP_INT_MAX) !== []));
        if ($flagged === []) {
            return 0;
        }
        $this->lineLock();
        try {
            $tickets = DatabaseLineSchema::ticketsTable();
            $in = implode(',', array_map(static fn ($k): string => self::bytes((string) $k), $flagged));
            $rows = $this->read(
                "SELECT id, ticket, ref, weight, key_limits, state, lapsed, start_tag, first_deferred_ms, k1, k2, k3, k4 FROM {$tickets}"
                . " WHERE k1 IN ({$in}) OR k2 IN ({$in}) OR k3 IN ({$in}) OR k4 IN ({$in}) ORDER BY start_tag, id LIMIT " . self::$handOffWindow,
            );
            $seen = [];
            $candidates = [];
            $more = [];
            foreach ($rows as $row) {
                foreach (['k1', 'k2', 'k3', 'k4'] as $col) {
                    $seen[(string) $row[$col]] = true;
                }
                if ((string) $row['state'] === 'waiting' && (int) $row['lapsed'] === 0) {
                    $row['limits'] = self::decodeLimits((string) $row['key_limits']);
                    $candidates[] = $row;
                    foreach ($row['limits'] as $k => $l) {
                        if (!isset($slots[(string) $k])) {
                            $more[(string) $k] = true;
                        }
                    }
                }
            }
            $idle = array_values(array_filter(array_map('strval', $flagged), static fn (string $k): bool => !isset($seen[$k])));
            if ($idle !== [] && count($rows) < self::$handOffWindow) {
                [$keysTable] = self::tables();
                $this->write("UPDATE {$keysTable} SET waiting = 0 WHERE lease_key IN (" . implode(',', array_map([self::class, 'bytes'], $idle)) . ')');
            }
            if ($candidates === []) {
                return 0;
            }
            if ($more !== []) {
                $slots += $this->readKeys(array_keys($more), []);
            }
            $nowMs = 0;
            foreach ($slots as $s) {
                $nowMs = max($nowMs, $s->nowMs);
            }
            $aging = self::agingMs();
            foreach ($candidates as $i => $row) {
                $candidates[$i]['score'] = self::score((float) $row['start_tag'], (int) $row['weight'], max(0, $nowMs - (int) $row['first_deferred_ms']), $aging);
            }
            usort($candidates, static fn (array $a, array $b): int => [$a['score'], (int) $a['id']] <=> [$b['score'], (int) $b['id']]);
            $served = 0;
            foreach ($candidates as $row) {
                $claims = [];
                foreach ($row['limits'] as $k => $l) {
                    $slot = isset($slots[(string) $k]) && $slots[(string) $k]->known ? $slots[(string) $k]->room($l) : null;
                    if ($slot === null) {
                        continue 2;
                    }
                    $claims[(string) $k] = $slot;
                }
                if ($this->reserve((string) $row['ticket'], (int) $row['ref'], $claims)) {
                    foreach ($claims as $k => $slot) {
                        $slots[$k]->slots[$slot]->token = (string) $row['ticket'];
                    }
                    $served++;
                } else {
                    break; // a newcomer took a slot meanwhile: the next release hands on again
                }
            }
            return $served;
        } finally {
            $this->lineUnlock();
        }
    }

    /** A sweep hands on the free slots of every key tickets wait for (a hand-off that failed midway heals here). */
    private function handOffWaiting(): void
    {
        [$keysTable] = self::tables();
        $keys = array_values(array_map('strval', array_column($this->read("SELECT lease_key FROM {$keysTable} WHERE waiting > 0"), 'lease_key')));
        foreach (array_chunk($keys, 64) as $chunk) {
            $this->handOff($chunk, []);
        }
    }

    /**
     * Reserves the chosen slots for the ticket and marks it reserved, in one
     * UPDATE that matches only while the ticket waits and every slot is free;
     * then queues its wake.
     *
     * @param array<string,int> $claims key => slot
     */
    private function reserve(string $ticket, int $ref, array $claims): bool
    {
        [, $slotsTable] = self::tables();
        $tickets = DatabaseLineSchema::ticketsTable();
        $ms = self::reservationMs();
        ksort($claims, SORT_STRING);
        $from = ["{$tickets} t"];
        $set = ["t.state = 'reserved'", 't.gen = t.gen + 1'];
        $where = ["t.ticket = '{$ticket}'", "t.state = 'waiting'"];
        $i = 0;
        foreach ($claims as $key => $slot) {
            $s = 's' . $i++;
            $from[] = "{$slotsTable} {$s}";
            $set[] = "{$s}.token = '{$ticket}', {$s}.host = '', {$s}.host_id = '', {$s}.pid = 0, {$s}.start_time = 0, {$s}.label = 'reserved for a woken ticket',"
                . " {$s}.acquired_ms = " . self::NOW_MS . ", {$s}.expires_ms = " . self::NOW_MS . " + {$ms}, {$s}.request_until_ms = 0,"
                . " {$s}.ref = {$ref}, {$s}.reserved = 1, {$s}.gen = {$s}.gen + 1, {$s}.wakes_sent = {$s}.wakes_sent + 1";
            $where[] = "{$s}.lease_key = " . self::bytes((string) $key) . " AND {$s}.slot = {$slot} AND {$s}.token = ''";
        }
        if ($this->write('UPDATE ' . implode(', ', $from) . ' SET ' . implode(', ', $set) . ' WHERE ' . implode(' AND ', $where)) !== count($claims) + 1) {
            return false;
        }
        $this->write('INSERT INTO ' . DatabaseLineSchema::wakesTable() . " (ticket) VALUES ('{$ticket}')");
        $this->wakesQueued = true;
        return true;
    }

    /**
     * The reservation (a ticket token) for $ref on every one of these keys, or null.
     *
     * @param array<string, DatabaseSlots> $keys
     */
    private static function reservationOf(array $keys, int $ref): ?string
    {
        $token = null;
        foreach ($keys as $slots) {
            $found = null;
            foreach ($slots->slots as $slot) {
                if ($slot->reserved && $slot->ref === $ref && $slot->token !== '') {
                    $found = $slot->token;
                    break;
                }
            }
            if ($found === null || ($token !== null && $found !== $token)) {
                return null;
            }
            $token = $found;
        }
        return $token;
    }

    /** @param array<string, DatabaseSlots> $keys */
    private static function anyWaiting(array $keys): bool
    {
        foreach ($keys as $slots) {
            if ($slots->waiting) {
                return true;
            }
        }
        return false;
    }

    /**
     * The reservation's slots become the caller's lease, and its ticket leaves the line.
     *
     * @param array<string,int> $limits
     */
    private function convertReservation(string $ticket, string $token, array $limits, int $ttlMs, string $label, LocalProcess $me, int $ref): bool
    {
        [, $slotsTable] = self::tables();
        $case = 'CASE lease_key';
        foreach ($limits as $key => $limit) {
            $case .= ' WHEN ' . self::bytes((string) $key) . " THEN {$limit}";
        }
        $case .= ' ELSE limit_n END';
        $changed = $this->write(
            "UPDATE {$slotsTable} SET token = '{$token}', host = " . self::bytes($me->host) . ", host_id = '{$me->hostId}', pid = {$me->pid},"
            . " start_time = {$me->startTime}, label = CONVERT(" . self::bytes($label) . ' USING utf8mb4), acquired_ms = ' . self::NOW_MS . ','
            . ' expires_ms = ' . self::NOW_MS . " + {$ttlMs}, request_until_ms = 0, ref = {$ref}, reserved = 0, gen = gen + 1,"
            . " limit_n = {$case}, acquired = acquired + 1 WHERE token = '{$ticket}' AND reserved = 1",
        );
        if ($changed === 0) {
            return false;
        }
        $this->write('DELETE FROM ' . DatabaseLineSchema::ticketsTable() . " WHERE ticket = '{$ticket}'");
        return true;
    }

    /**
     * A grant to queued action $ref: its ticket (and any wake of it) leaves the
     * line in one statement; a reservation it held on other keys lapses by its
     * expiry and goes to the next ticket.
     */
    private function ticketServed(int $ref): void
    {
        $this->write('DELETE t, w FROM ' . DatabaseLineSchema::ticketsTable() . ' t LEFT JOIN ' . DatabaseLineSchema::wakesTable() . " w ON w.ticket = t.ticket WHERE t.ref = {$ref}");
    }

    /** Queued action $ref showed up and was refused: a lapsed ticket of it may be handed a slot again. */
    private function ticketShowedUp(int $ref): void
    {
        $this->write('UPDATE ' . DatabaseLineSchema::ticketsTable() . " SET lapsed = 0, gen = gen + 1 WHERE ref = {$ref} AND state = 'waiting' AND lapsed = 1");
    }

    /**
     * These reservations' slots are gone (lapsed: the ticket waits again but is
     * not handed a slot until its action shows up; or reset: it waits again).
     *
     * @param list<string> $tokens
     */
    private function reservationsGone(array $tokens, bool $lapsed): void
    {
        $tokens = array_values(array_filter($tokens, [self::class, 'isToken']));
        if ($tokens === []) {
            return;
        }
        $this->write(
            'UPDATE ' . DatabaseLineSchema::ticketsTable() . " SET state = 'waiting', lapsed = " . ($lapsed ? 1 : 0) . ', gen = gen + 1'
            . " WHERE ticket IN ('" . implode("','", $tokens) . "') AND state = 'reserved'",
        );
    }

    private function strand(DatabaseSlot $lease): void
    {
        if (isset($this->sweepFound['stranded'])) {
            $this->sweepFound['stranded'] = true; // the sweep's read is older than this record
        }
        $this->write(
            'INSERT INTO ' . DatabaseLineSchema::strandedTable() . ' (ref, label, pid, host) VALUES (' . $lease->ref . ', CONVERT(' . self::bytes($lease->label)
            . ' USING utf8mb4), ' . $lease->pid . ', ' . self::bytes((string) gethostname()) . ')',
        );
    }

    /**
     * Takes up to $max rows, oldest first, each by exactly one caller however
     * many sessions take at once: DELETE ... RETURNING on MariaDB, else row by
     * row (a row is this caller's only if its DELETE removed it).
     *
     * @return list<array<string, mixed>>
     */
    private function takeRows(string $table, string $columns, int $max): array
    {
        global $wpdb;
        $max = max(1, min($max, 1000));
        if (str_contains((string) $wpdb->db_server_info(), 'MariaDB')) {
            // The leading comment makes wpdb read the rows it returns (it treats a plain DELETE as a write).
            return $this->read("/* sluice */ DELETE FROM {$table} ORDER BY id LIMIT {$max} RETURNING {$columns}");
        }
        $taken = [];
        foreach ($this->read("SELECT id, {$columns} FROM {$table} ORDER BY id LIMIT {$max}") as $row) {
            if ($this->write("DELETE FROM {$table} WHERE id = " . (int) $row['id']) > 0) {
                $taken[] = $row;
            }
        }
        return $taken;
    }

    /** Serialises hand-offs and enqueues of every session on this database; never held across work. */
    private function lineLock(): void
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

    private function lineUnlock(): void
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

    private static function score(float $startTag, int $weight, int $waitedMs, int $agingMs): float
    {
        return $startTag + self::SCALE / self::effectiveWeight($weight, $waitedMs, $agingMs);
    }

    /** w + (100 - w) * min(1, waited / aging). */
    private static function effectiveWeight(int $weight, int $waitedMs, int $agingMs): float
    {
        $f = $agingMs > 0 ? min(1.0, $waitedMs / $agingMs) : 1.0;
        return $weight + (100 - $weight) * $f;
    }

    private static function agingMs(): int
    {
        return max(0, (int) apply_filters('sluice_aging_seconds', 90)) * 1000;
    }

    private static function reservationMs(): int
    {
        return max(1, (int) apply_filters('sluice_reservation_seconds', 10)) * 1000;
    }

    private static function lineCapacity(): int
    {
        return max(1, (int) apply_filters('sluice_line_capacity', 100_000));
    }

    /** @param array<string,int> $limits sorted */
    private static function encodeLimits(array $limits): string
    {
        $parts = [];
        foreach ($limits as $key => $limit) {
            $parts[] = bin2hex((string) $key) . '=' . $limit;
        }
        return implode(',', $parts);
    }

    /** @return array<string,int> */
    private static function decodeLimits(string $encoded): array
    {
        $limits = [];
        foreach (array_filter(explode(',', $encoded)) as $part) {
            [$hex, $limit] = array_pad(explode('=', $part, 2), 2, '0');
            $key = ctype_xdigit($hex) && strlen($hex) % 2 === 0 ? (string) hex2bin($hex) : '';
            if ($key !== '') {
                $limits[$key] = (int) $limit;
            }
        }
        return $limits;
    }
}
