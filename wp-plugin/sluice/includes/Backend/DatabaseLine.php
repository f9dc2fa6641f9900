<?php
/**
 * The database backend's waiting line (tickets: enqueue, move, cancel; wakes
 * and stranded records taken; the line as operators see it; what an acquire
 * does with a ticket's reservation), on the same database as its leases, so
 * every host that shares the database shares one line. The hand-off itself
 * is DatabaseHandOff's.
 *
 * Tables (DatabaseLineSchema): sluice_line_tickets (one row per ticket: action id,
 * tenant, weight, key set and limits, state 'waiting' or 'reserved', a start
 * tag for the fair order), sluice_line_wakes and sluice_line_stranded (rows
 * taken once each: DELETE ... RETURNING on MariaDB, row by row elsewhere).
 * Every row names its install and blog (Scope): an action id is unique only
 * per blog while the tables serve the whole network, so a ticket is found by
 * its blog and action id, and a process moves, cancels, wakes and takes only
 * its own blog's records. A hand-off may reserve a slot of a host-wide key for
 * another blog's ticket: that blog's processes take the wake.
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
 *
 * @internal the database backend's (DatabaseBackend)
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseLine
{
    /** How long a sweep's claim on stranded rows lasts: past it (the sweep died half-way), another sweep takes them. */
    private const STRANDED_CLAIM_MS = 300000;

    /** @var array<string, StrandedLease> stranded rows this process claimed and has neither acked nor returned */
    private array $unanswered = [];

    private bool $returnsAtShutdown = false;

    /** @param \Closure(): Scope $scope the caller's install and blog: it reaches only their tickets, wakes and stranded records */
    public function __construct(
        private readonly DatabaseSql $sql,
        private readonly DatabaseHandOff $handOffs,
        private readonly \Closure $scope,
    ) {
    }

    /**
     * What the sweep's one read (sweep()) found waiting, each consumed by the
     * call that deals with it: 'wakes', 'stranded', 'stale' => any there.
     *
     * @var array<string, bool>
     */
    private array $sweepFound = [];

    /**
     * WaitingLine::enqueue().
     *
     * @param array<string,int> $limits
     * @throws LineFullException when the line holds as many tickets as it may
     */
    public function enqueue(array $limits, int $ref, string $tenant, int $weight, int $firstDeferredAt): Ticket
    {
        LeaseArguments::checkLimits($limits);
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
        $encoded = DatabaseHandOff::encodeLimits($limits);
        $tickets = DatabaseLineSchema::ticketsTable();
        $scale = LineOrder::SCALE;
        $scope = ($this->scope)();
        $this->sql->lock();
        try {
            $queue = 'CAST(tenant AS BINARY) = ' . DatabaseSql::bytes($tenant) . " AND weight = {$weight} AND key_set = " . DatabaseSql::bytes($keySet);
            // Work that keeps an earlier place (a step whose runner died runs again with its first deferral) goes before
            // the tickets of its queue first deferred after it: it takes the start tag of the first of them.
            $place = $firstDeferredAt > 0
                ? " (SELECT MIN(start_tag) FROM {$tickets} WHERE {$queue} AND state = 'waiting' AND first_deferred_ms > " . ($firstDeferredAt * 1000) . ') AS place,'
                : ' NULL AS place,';
            $row = $this->sql->read(
                "SELECT (SELECT COUNT(*) FROM {$tickets}) AS total,{$place}"
                . " (SELECT MIN(start_tag) FROM {$tickets} WHERE state = 'waiting' AND lapsed = 0) AS v,"
                . " (SELECT MAX(start_tag + {$scale} / weight) FROM {$tickets} WHERE {$queue}) AS last_finish,"
                . ' (SELECT COUNT(*) FROM ' . $tickets . ' WHERE key_set = ' . DatabaseSql::bytes($keySet) . ') AS in_set,'
                . " e.ticket, e.lapsed, (SELECT COUNT(*) FROM {$tickets} x WHERE x.key_set = e.key_set AND x.id < e.id) AS ahead, "
                . DatabaseSql::NOW_MS . ' AS now_ms'
                . " FROM (SELECT 1 AS one) d LEFT JOIN {$tickets} e ON e.ref = {$ref} AND " . DatabaseSql::scopeIs($scope, 'e') . ' ORDER BY e.id LIMIT 1',
            )[0] ?? [];
            $limit = (int) array_reduce($limits, static fn (?int $m, int $l): int => $m === null ? $l : min($m, $l));
            if (($row['ticket'] ?? null) !== null) {
                $token = (string) $row['ticket'];
                if ((int) $row['lapsed'] === 1) {
                    // Re-confirmed: a lapsed ticket may be handed a slot again.
                    $this->sql->write("UPDATE {$tickets} SET lapsed = 0, gen = gen + 1 WHERE ticket = '{$token}'");
                    $this->handOffs->handOff($names, $limits);
                }
                return new Ticket($token, false, (int) $row['ahead'], $limit, 0);
            }
            if ((int) ($row['total'] ?? 0) >= LineOrder::capacity()) {
                throw new LineFullException('the waiting line holds ' . (int) $row['total'] . ' tickets, as many as it may (filter sluice_line_capacity)');
            }
            $v = $row['v'] !== null ? (float) $row['v'] : 0.0;
            $start = max($v, $row['last_finish'] !== null ? (float) $row['last_finish'] : 0.0);
            if ($row['place'] !== null) {
                $start = min($start, (float) $row['place']); // on a tie its older first deferral is served first
            }
            $nowMs = (int) $row['now_ms'];
            $firstMs = $firstDeferredAt > 0 ? min($nowMs, $firstDeferredAt * 1000) : $nowMs;
            $token = bin2hex(random_bytes(16));
            $k = array_pad(array_map([DatabaseSql::class, 'bytes'], $names), 4, "''");
            $this->sql->write(
                "INSERT INTO {$tickets} (ticket, ref, tenant, weight, key_set, k1, k2, k3, k4, key_limits, state, lapsed, start_tag, first_deferred_ms, enqueued_ms, install, blog_id)"
                . " VALUES ('{$token}', {$ref}, CONVERT(" . DatabaseSql::bytes($tenant) . " USING utf8mb4), {$weight}, " . DatabaseSql::bytes($keySet) . ', '
                . implode(', ', $k) . ", '{$encoded}', 'waiting', 0, " . sprintf('%.6F', $start) . ", {$firstMs}, {$nowMs}, "
                . DatabaseSql::bytes($scope->install) . ", {$scope->blogId})",
            );
            [$keysTable] = DatabaseSql::tables();
            $this->sql->write(
                "INSERT INTO {$keysTable} (lease_key, limit_n, waiting) VALUES "
                . implode(', ', array_map(static fn (string $n): string => '(' . DatabaseSql::bytes($n) . ", {$limits[$n]}, 1)", $names))
                . ' ON DUPLICATE KEY UPDATE waiting = 1',
            );
            // A slot may have freed between the refusal and now: hand it on (perhaps to this very ticket).
            $this->handOffs->handOff($names, $limits);
            return new Ticket($token, true, (int) ($row['in_set'] ?? 0), $limit, 0);
        } finally {
            $this->sql->unlock();
        }
    }

    public function moveTicket(string $ticket, int $ref): bool
    {
        if (!LeaseArguments::isToken($ticket) || $ref < 1) {
            return false;
        }
        [, $slotsTable] = DatabaseSql::tables();
        $tickets = DatabaseLineSchema::ticketsTable();
        $scope = ($this->scope)();
        $changed = $this->sql->write(
            "UPDATE {$tickets} t LEFT JOIN {$slotsTable} s ON s.token = t.ticket AND s.reserved = 1"
            . " SET t.ref = {$ref}, t.gen = t.gen + 1, s.ref = {$ref}, s.gen = s.gen + 1 WHERE t.ticket = '{$ticket}' AND " . DatabaseSql::scopeIs($scope, 't'),
        );
        if ($changed > 1) {
            // Reserved already (a wake may have named the old copy, which is gone now): wake the new copy too.
            $this->sql->write('INSERT INTO ' . DatabaseLineSchema::wakesTable() . " (ticket, install, blog_id) VALUES ('{$ticket}', "
                . DatabaseSql::bytes($scope->install) . ", {$scope->blogId})");
            $this->handOffs->wakeQueued();
        }
        return $changed > 0;
    }

    public function cancelTicket(string $ticket): bool
    {
        if (!LeaseArguments::isToken($ticket)) {
            return false;
        }
        $tickets = DatabaseLineSchema::ticketsTable();
        $this->sql->lock();
        try {
            $rows = $this->sql->read("SELECT state, key_limits FROM {$tickets} WHERE ticket = '{$ticket}' AND " . DatabaseSql::scopeIs(($this->scope)()));
            if ($rows === [] || $this->sql->write("DELETE FROM {$tickets} WHERE ticket = '{$ticket}'") === 0) {
                return false;
            }
            $this->sql->write('DELETE FROM ' . DatabaseLineSchema::wakesTable() . " WHERE ticket = '{$ticket}'");
            if ((string) $rows[0]['state'] === 'reserved') {
                [, $slotsTable] = DatabaseSql::tables();
                $this->sql->write("UPDATE {$slotsTable} SET " . DatabaseSql::FREEING . " WHERE token = '{$ticket}' AND reserved = 1");
                $limits = DatabaseHandOff::decodeLimits((string) $rows[0]['key_limits']);
                $this->handOffs->handOff(array_map('strval', array_keys($limits)), []);
            }
            return true;
        } finally {
            $this->sql->unlock();
        }
    }

    /** @return list<Wake> WaitingLine::takeWakes() */
    public function takeWakes(int $max, bool $ownOnly = false): array
    {
        // After a release only a process that handed a slot on reads the table; a sweep whose read found
        // no wake reads nothing either.
        $found = $this->sweepFound['wakes'] ?? null;
        unset($this->sweepFound['wakes']);
        if (!$this->handOffs->takeQueuedWakes() && ($ownOnly || $found === false)) {
            return [];
        }
        $scope = ($this->scope)();
        $taken = $this->sql->takeRows(DatabaseLineSchema::wakesTable(), 'ticket', $max, DatabaseSql::scopeIs($scope));
        if ($taken === []) {
            return [];
        }
        [, $slotsTable] = DatabaseSql::tables();
        $tickets = DatabaseLineSchema::ticketsTable();
        $in = "'" . implode("','", array_filter(array_map(static fn (array $r): string => (string) $r['ticket'], $taken), [LeaseArguments::class, 'isToken'])) . "'";
        $rows = $this->sql->read(
            'SELECT t.ticket, t.ref, MAX(s.expires_ms) - ' . DatabaseSql::NOW_MS . " AS left_ms FROM {$tickets} t"
            . " JOIN {$slotsTable} s ON s.token = t.ticket AND s.reserved = 1 WHERE t.ticket IN ({$in}) AND t.state = 'reserved' AND " . DatabaseSql::scopeIs($scope, 't')
            . ' GROUP BY t.ticket, t.ref',
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
        if (!LeaseArguments::isToken($ticket)) {
            return false;
        }
        // Counted; nothing to undo: the reservation lapses by its expiry and goes to the next ticket.
        [, $slotsTable] = DatabaseSql::tables();
        return $this->sql->write("UPDATE {$slotsTable} SET wakes_missed = wakes_missed + 1, gen = gen + 1 WHERE token = '{$ticket}' AND reserved = 1 AND "
            . DatabaseSql::scopeIs(($this->scope)())) > 0;
    }

    /**
     * WaitingLine::takeStranded(): one UPDATE claims up to $max rows that are
     * not claimed (or whose claim lapsed), one read returns them; each
     * entry's claim is "<row id>:<claim token>".
     *
     * @return list<StrandedLease>
     */
    public function takeStranded(int $max): array
    {
        $known = $this->sweepFound['stranded'] ?? null;
        unset($this->sweepFound['stranded']);
        if ($known === false) {
            return []; // the sweep's read found none, and this sweep stranded none since
        }
        $table = DatabaseLineSchema::strandedTable();
        $claim = bin2hex(random_bytes(16));
        $now = DatabaseSql::NOW_MS;
        $max = max(1, min($max, 1000));
        $claimed = $this->sql->write(
            "UPDATE {$table} SET claim = '{$claim}', claimed_until_ms = {$now} + " . self::STRANDED_CLAIM_MS
            . " WHERE (claim = '' OR claimed_until_ms <= {$now}) AND " . DatabaseSql::scopeIs(($this->scope)()) . " ORDER BY id LIMIT {$max}",
        );
        if ($claimed <= 0) {
            return [];
        }
        $taken = [];
        foreach ($this->sql->read("SELECT id, ref, label, pid FROM {$table} WHERE claim = '{$claim}' ORDER BY id") as $r) {
            $taken[] = $entry = new StrandedLease((int) $r['ref'], (string) $r['label'], (int) $r['pid'], $r['id'] . ':' . $claim);
            $this->unanswered[$entry->claim] = $entry;
        }
        if ($taken !== [] && !$this->returnsAtShutdown) {
            // A sweep that dies of a fatal error half-way gives back what it had not answered (a killed one: by the claim's end).
            $this->returnsAtShutdown = true;
            register_shutdown_function(function (): void {
                foreach ($this->unanswered as $entry) {
                    $this->returnStranded($entry);
                }
            });
        }
        return $taken;
    }

    public function ackStranded(StrandedLease $entry): void
    {
        [$id, $claim] = self::strandedClaim($entry);
        unset($this->unanswered[$entry->claim]);
        if ($id > 0) {
            $this->sql->write('DELETE FROM ' . DatabaseLineSchema::strandedTable() . " WHERE id = {$id} AND claim = '{$claim}'");
        }
    }

    public function returnStranded(StrandedLease $entry): void
    {
        [$id, $claim] = self::strandedClaim($entry);
        unset($this->unanswered[$entry->claim]);
        if ($id > 0) {
            $this->sql->write('UPDATE ' . DatabaseLineSchema::strandedTable() . " SET claim = '', claimed_until_ms = 0 WHERE id = {$id} AND claim = '{$claim}'");
        }
    }

    /** @return array{int, string} the row id and claim token of an entry this store claimed (0 for anything else) */
    private static function strandedClaim(StrandedLease $entry): array
    {
        return preg_match('/^(\d+):([0-9a-f]{32})$/', $entry->claim, $m) === 1 ? [(int) $m[1], $m[2]] : [0, ''];
    }

    /** @return list<TicketStatus> WaitingLine::staleTickets() */
    public function staleTickets(int $max): array
    {
        $known = $this->sweepFound['stale'] ?? null;
        unset($this->sweepFound['stale']);
        if ($known === false) {
            return [];
        }
        return StaleTickets::in($this->line(), $max, ($this->scope)()->toString());
    }

    /** @return list<QueueStatus> WaitingLine::line(), in service order */
    public function line(): array
    {
        [, $slotsTable] = DatabaseSql::tables();
        $tickets = DatabaseLineSchema::ticketsTable();
        $rows = $this->sql->read(
            'SELECT t.id, t.ticket, t.ref, t.tenant, t.weight, t.key_set, t.key_limits, t.state, t.start_tag, t.first_deferred_ms, t.install, t.blog_id,'
            . " (SELECT MAX(s.expires_ms) FROM {$slotsTable} s WHERE s.token = t.ticket AND s.reserved = 1) AS reserved_until, "
            . DatabaseSql::NOW_MS . " AS now_ms FROM {$tickets} t ORDER BY t.start_tag, t.id",
        );
        $aging = LineOrder::agingMs();
        /** @var array<string, array{score: float, tenant: string, weight: int, keys: array<string,int>, tickets: list<TicketStatus>, scope: string}> $queues */
        $queues = [];
        foreach ($rows as $row) {
            $now = (int) $row['now_ms'];
            $weight = (int) $row['weight'];
            $waited = max(0, $now - (int) $row['first_deferred_ms']);
            $reserved = (string) $row['state'] === 'reserved';
            $scope = (new Scope((string) $row['install'], (int) $row['blog_id']))->toString();
            $id = $scope . "\0" . $row['tenant'] . "\0" . $weight . "\0" . $row['key_set'];
            $queues[$id] ??= ['score' => INF, 'tenant' => (string) $row['tenant'], 'weight' => $weight,
                'keys' => DatabaseHandOff::decodeLimits((string) $row['key_limits']), 'tickets' => [], 'scope' => $scope];
            $score = $reserved ? -INF : LineOrder::score((float) $row['start_tag'], $weight, $waited, $aging);
            $queues[$id]['score'] = min($queues[$id]['score'], $score);
            $queues[$id]['tickets'][] = new TicketStatus(
                (string) $row['ticket'],
                (int) $row['ref'],
                $reserved ? 'reserved' : 'waiting',
                $waited,
                intdiv((int) $row['first_deferred_ms'], 1000),
                $reserved ? max(0, (int) $row['reserved_until'] - $now) : 0,
                (int) round(LineOrder::effectiveWeight($weight, $waited, $aging)),
            );
        }
        uasort($queues, static fn (array $a, array $b): int => $a['score'] <=> $b['score']);
        return array_values(array_map(
            static fn (array $q): QueueStatus => new QueueStatus($q['tenant'], $q['weight'], $q['keys'], $q['tickets'], $q['scope']),
            $queues,
        ));
    }

    /**
     * What the sweep's one read found waiting (DatabaseBackend::sweep()): 'wakes', 'stranded', 'stale' => any there.
     *
     * @param array<string, bool> $found
     */
    public function found(array $found): void
    {
        $this->sweepFound = $found;
    }

    /**
     * The reservation (a ticket token) for action $ref of $scope's blog on every one of these keys, or null.
     *
     * @param array<string, DatabaseSlots> $keys
     */
    public static function reservationOf(array $keys, int $ref, Scope $scope): ?string
    {
        $token = null;
        foreach ($keys as $slots) {
            $found = null;
            foreach ($slots->slots as $slot) {
                if ($slot->reserved && $slot->ref === $ref && $slot->token !== '' && $slot->scope == $scope) {
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
    public static function anyWaiting(array $keys): bool
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
    public function convertReservation(string $ticket, string $token, array $limits, int $ttlMs, string $label, LocalProcess $me, int $ref): bool
    {
        [, $slotsTable] = DatabaseSql::tables();
        $case = 'CASE lease_key';
        foreach ($limits as $key => $limit) {
            $case .= ' WHEN ' . DatabaseSql::bytes((string) $key) . " THEN {$limit}";
        }
        $case .= ' ELSE limit_n END';
        $changed = $this->sql->write(
            "UPDATE {$slotsTable} SET token = '{$token}', host = " . DatabaseSql::bytes($me->host) . ", host_id = '{$me->hostId}', pid = {$me->pid},"
            . " start_time = {$me->startTime}, label = CONVERT(" . DatabaseSql::bytes($label) . ' USING utf8mb4), acquired_ms = ' . DatabaseSql::NOW_MS . ','
            . ' expires_ms = ' . DatabaseSql::NOW_MS . " + {$ttlMs}, request_until_ms = 0, ref = {$ref}, reserved = 0, gen = gen + 1,"
            . " limit_n = {$case}, acquired = acquired + 1 WHERE token = '{$ticket}' AND reserved = 1",
        );
        if ($changed === 0) {
            return false;
        }
        $this->sql->write('DELETE FROM ' . DatabaseLineSchema::ticketsTable() . " WHERE ticket = '{$ticket}'");
        return true;
    }

    /**
     * A grant to scheduled action $ref: its ticket (and any wake of it) leaves the
     * line in one statement; a reservation it held on other keys lapses by its
     * expiry and goes to the next ticket.
     */
    public function ticketServed(int $ref): void
    {
        $this->sql->write('DELETE t, w FROM ' . DatabaseLineSchema::ticketsTable() . ' t LEFT JOIN ' . DatabaseLineSchema::wakesTable()
            . " w ON w.ticket = t.ticket WHERE t.ref = {$ref} AND " . DatabaseSql::scopeIs(($this->scope)(), 't'));
    }

    /** Scheduled action $ref showed up and was refused: a lapsed ticket of it may be handed a slot again. */
    public function ticketShowedUp(int $ref): void
    {
        $this->sql->write('UPDATE ' . DatabaseLineSchema::ticketsTable() . " SET lapsed = 0, gen = gen + 1 WHERE ref = {$ref} AND "
            . DatabaseSql::scopeIs(($this->scope)()) . " AND state = 'waiting' AND lapsed = 1");
    }

    /**
     * These reservations' slots are gone (lapsed: the ticket waits again but is
     * not handed a slot until its action shows up; or reset: it waits again).
     *
     * @param list<string> $tokens
     */
    public function reservationsGone(array $tokens, bool $lapsed): void
    {
        $tokens = array_values(array_filter($tokens, [LeaseArguments::class, 'isToken']));
        if ($tokens === []) {
            return;
        }
        $this->sql->write(
            'UPDATE ' . DatabaseLineSchema::ticketsTable() . " SET state = 'waiting', lapsed = " . ($lapsed ? 1 : 0) . ', gen = gen + 1'
            . " WHERE ticket IN ('" . implode("','", $tokens) . "') AND state = 'reserved'",
        );
    }

    /** A dead holder's action id, kept for its own blog's next sweep (takeStranded()); a lease that names no blog has none to go to. */
    public function strand(DatabaseSlot $lease): void
    {
        $scope = $lease->scope;
        if ($scope === null || $scope->install === '') {
            return;
        }
        if (isset($this->sweepFound['stranded']) && $scope == ($this->scope)()) {
            $this->sweepFound['stranded'] = true; // the sweep's read is older than this record
        }
        $this->sql->write(
            'INSERT INTO ' . DatabaseLineSchema::strandedTable() . ' (ref, label, pid, host, install, blog_id) VALUES (' . $lease->ref . ', CONVERT(' . DatabaseSql::bytes($lease->label)
            . ' USING utf8mb4), ' . $lease->pid . ', ' . DatabaseSql::bytes((string) gethostname()) . ', ' . DatabaseSql::bytes($scope->install) . ", {$scope->blogId})",
        );
    }
}
