<?php
/**
 * The database backend's waiting line (tickets: enqueue, move, cancel; wakes
 * taken; the line as operators see it), on the same database as its leases,
 * so every host that shares the database shares one line. The hand-off itself
 * is DatabaseHandOff's, the stranded records DatabaseStranded's, what an
 * acquire does with a ticket's reservation DatabaseReservations'.
 *
 * Tables (DatabaseLineSchema): sluice_line_tickets (one row per ticket: action id,
 * tenant, weight, key set and limits, state 'waiting', 'reserved' (slots
 * reserved for it, its wake not taken yet), 'woken' (its wake taken: one
 * guarded UPDATE, so each is taken once) or 'served' (its reservation became
 * a lease, in that UPDATE: it has left the line, counts nowhere, and is
 * deleted by the next enqueue, or with its key's waiting flag once no ticket
 * waits there), a start tag for the fair order)
 * and sluice_line_stranded (DatabaseStranded).
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
 * A hand-off (DatabaseHandOff) runs whenever slots free (release, reclaim of
 * a dead or expired holder, a lapsed reservation, reset, cancel, sweep) and
 * tickets wait: it reads the keys' slots and the waiting tickets, picks the
 * next ticket whose keys all have room and reserves its slots: a slot row
 * whose token is the ticket's, with no owner, that lapses by its expiry (the
 * reservation window) and then goes to the next ticket. The reservation and
 * the ticket's state (its wake) are one guarded UPDATE. Enqueues, which
 * compute start tags from the whole line, and cancels hold one named lock
 * (GET_LOCK) for their few statements.
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

final class DatabaseLine implements LineRecords
{
    /** @param \Closure(): Scope $scope the caller's install and blog: it reaches only their tickets, wakes and stranded records */
    public function __construct(
        private readonly DatabaseSql $sql,
        private readonly DatabaseHandOff $handOffs,
        private readonly DatabaseOwnWakes $wakes,
        private readonly DatabaseStranded $stranded,
        private readonly \Closure $scope,
    ) {
    }

    /**
     * What the sweep's one read (found()) found waiting, each consumed by the
     * call that deals with it: 'wakes', 'stale' => any there.
     *
     * @var array<string, bool>
     */
    private array $sweepFound = [];

    /**
     * WaitingLine::enqueue(); $held: RateBuckets::enqueueHeld() (work deferred
     * for a rate budget): the ticket waits lapsed, handed no slot until its
     * action shows up again, when its bucket will have refilled.
     *
     * @param array<string,int> $limits
     * @throws LineFullException when the line holds as many tickets as it may
     */
    public function enqueue(array $limits, int $ref, string $tenant, int $weight, int $firstDeferredAt, bool $held = false): Ticket
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
            // Served tickets (DatabaseReservations::convertReservation()) have left the line: they count nowhere, and go here.
            $row = $this->sql->read(
                "SELECT (SELECT COUNT(*) FROM {$tickets} WHERE state <> 'served') AS total,{$place}"
                . " (SELECT COUNT(*) FROM {$tickets} WHERE state = 'served') AS served,"
                . " (SELECT MIN(start_tag) FROM {$tickets} WHERE state = 'waiting' AND lapsed = 0) AS v,"
                . " (SELECT MAX(start_tag + {$scale} / weight) FROM {$tickets} WHERE {$queue} AND state <> 'served') AS last_finish,"
                . ' (SELECT COUNT(*) FROM ' . $tickets . ' WHERE key_set = ' . DatabaseSql::bytes($keySet) . " AND state <> 'served') AS in_set,"
                . " e.ticket, e.lapsed, (SELECT COUNT(*) FROM {$tickets} x WHERE x.key_set = e.key_set AND x.id < e.id AND x.state <> 'served') AS ahead, "
                . DatabaseSql::NOW_MS . ' AS now_ms'
                . " FROM (SELECT 1 AS one) d LEFT JOIN {$tickets} e ON e.ref = {$ref} AND e.state <> 'served' AND " . DatabaseSql::scopeIs($scope, 'e')
                . ' ORDER BY e.id LIMIT 1',
            )[0] ?? [];
            if ((int) ($row['served'] ?? 0) > 0) {
                $this->sql->write("DELETE FROM {$tickets} WHERE state = 'served'");
            }
            $limit = (int) array_reduce($limits, static fn (?int $m, int $l): int => $m === null ? $l : min($m, $l));
            if (($row['ticket'] ?? null) !== null) {
                $token = (string) $row['ticket'];
                if ($held) {
                    $this->sql->write("UPDATE {$tickets} SET lapsed = 1, gen = gen + 1 WHERE ticket = '{$token}' AND state = 'waiting' AND lapsed = 0");
                } elseif ((int) $row['lapsed'] === 1) {
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
                . implode(', ', $k) . ", '{$encoded}', 'waiting', " . ($held ? 1 : 0) . ', ' . sprintf('%.6F', $start) . ", {$firstMs}, {$nowMs}, "
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
        // Reserved already (its wake may have named the old copy, which is gone now): the wake is due again, for the new copy.
        $this->wakes->forget($ticket);
        $changed = $this->sql->write(
            "UPDATE {$tickets} t LEFT JOIN {$slotsTable} s ON s.token = t.ticket AND s.reserved = 1"
            . " SET t.state = IF(t.state = 'woken', 'reserved', t.state), t.ref = {$ref}, t.gen = t.gen + 1, s.ref = {$ref}, s.gen = s.gen + 1"
            . " WHERE t.ticket = '{$ticket}' AND t.state <> 'served' AND " . DatabaseSql::scopeIs($scope, 't'),
        );
        if ($changed > 1) {
            $this->wakes->queuedInTable();
        }
        return $changed > 0;
    }

    public function cancelTicket(string $ticket): bool
    {
        if (!LeaseArguments::isToken($ticket)) {
            return false;
        }
        $tickets = DatabaseLineSchema::ticketsTable();
        $this->wakes->forget($ticket);
        $this->sql->lock();
        try {
            // Deleted only in the state just read: a hand-off (which takes no lock) that reserved it in between
            // makes this read again, so a reservation it was given is always freed.
            for ($attempt = 0; ; $attempt++) {
                $rows = $this->sql->read("SELECT state, key_limits FROM {$tickets} WHERE ticket = '{$ticket}' AND state <> 'served' AND " . DatabaseSql::scopeIs(($this->scope)()));
                if ($rows === []) {
                    return false;
                }
                $state = in_array($rows[0]['state'], ['waiting', 'reserved', 'woken'], true) ? (string) $rows[0]['state'] : 'waiting';
                if ($this->sql->write("DELETE FROM {$tickets} WHERE ticket = '{$ticket}' AND state = '{$state}'") > 0) {
                    break;
                }
                if ($attempt >= 2) {
                    throw new DatabaseBackendException("Sluice's database backend could not cancel ticket {$ticket}: its state kept changing");
                }
            }
            if ($state !== 'waiting') { // reserved, its wake taken or not
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

    /**
     * WaitingLine::takeWakes(). A wake is a ticket whose slots were reserved:
     * 'reserved' until someone takes the wake, then 'woken', by one guarded
     * UPDATE, so each is taken once. The wakes this process made for its
     * blog are taken by ticket and ref in one UPDATE (read back only where
     * another session took one first; a hand-over's was taken as it was
     * made); then, unless $ownOnly or the sweep's
     * read found none, one UPDATE claims up to $max of this blog's others and
     * one read returns them.
     *
     * @return list<Wake>
     */
    public function takeWakes(int $max, bool $ownOnly = false): array
    {
        $found = $this->sweepFound['wakes'] ?? null;
        unset($this->sweepFound['wakes']);
        $scope = ($this->scope)();
        $tickets = DatabaseLineSchema::ticketsTable();
        [$wakes, $own] = $this->wakes->take(max(1, $max), $scope->toString());
        if ($own !== []) {
            $claim = random_int(1, PHP_INT_MAX);
            $pairs = implode(', ', array_map(static fn (Wake $w): string => "('{$w->ticket}', {$w->ref})", $own));
            $taken = $this->sql->write("UPDATE {$tickets} SET state = 'woken', gen = {$claim} WHERE state = 'reserved' AND (ticket, ref) IN ({$pairs}) AND "
                . DatabaseSql::scopeIs($scope));
            if ($taken < count($own)) {
                $got = $taken === 0 ? [] : array_flip(array_map('strval', array_column($this->sql->read("SELECT ticket FROM {$tickets} WHERE gen = {$claim} AND state = 'woken'"), 'ticket')));
                $own = array_values(array_filter($own, static fn (Wake $w): bool => isset($got[$w->ticket])));
            }
            $wakes = [...$wakes, ...$own];
        }
        // After a release only a process that queued a wake in the table reads it; a sweep whose read found
        // no wake reads nothing either.
        if ((!$this->wakes->takeQueuedInTable() && ($ownOnly || $found === false)) || count($wakes) >= $max) {
            return $wakes;
        }
        $claim = random_int(1, PHP_INT_MAX);
        $limit = max(1, min($max - count($wakes), 1000));
        if ($this->sql->write("UPDATE {$tickets} SET state = 'woken', gen = {$claim} WHERE state = 'reserved' AND " . DatabaseSql::scopeIs($scope)
            . " ORDER BY id LIMIT {$limit}") === 0) {
            return $wakes;
        }
        [, $slotsTable] = DatabaseSql::tables();
        $rows = $this->sql->read(
            'SELECT t.ticket, t.ref, MAX(s.expires_ms) - ' . DatabaseSql::NOW_MS . " AS left_ms FROM {$tickets} t"
            . " JOIN {$slotsTable} s ON s.token = t.ticket AND s.reserved = 1 WHERE t.gen = {$claim} AND t.state = 'woken' AND " . DatabaseSql::scopeIs($scope, 't')
            . ' GROUP BY t.ticket, t.ref ORDER BY MIN(t.id)',
        );
        foreach ($rows as $row) {
            $wakes[] = new Wake((string) $row['ticket'], (int) $row['ref'], max(0, (int) $row['left_ms']));
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
            . DatabaseSql::NOW_MS . " AS now_ms FROM {$tickets} t WHERE t.state <> 'served' ORDER BY t.start_tag, t.id",
        );
        $aging = LineOrder::agingMs();
        /** @var array<string, array{score: float, tenant: string, weight: int, keys: array<string,int>, tickets: list<TicketStatus>, scope: string}> $queues */
        $queues = [];
        foreach ($rows as $row) {
            $now = (int) $row['now_ms'];
            $weight = (int) $row['weight'];
            $waited = max(0, $now - (int) $row['first_deferred_ms']);
            $reserved = (string) $row['state'] !== 'waiting'; // reserved, its wake taken ('woken') or not
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

    /** @return list<StrandedLease> */
    public function takeStranded(int $max): array
    {
        return $this->stranded->takeStranded($max);
    }

    public function ackStranded(StrandedLease $entry): void
    {
        $this->stranded->ackStranded($entry);
    }

    public function returnStranded(StrandedLease $entry): void
    {
        $this->stranded->returnStranded($entry);
    }

    /**
     * What the sweep's one read found waiting (DatabaseReclaims::sweep()): 'wakes', 'stranded', 'stale' => any there.
     *
     * @param array<string, bool> $found
     */
    public function found(array $found): void
    {
        $this->stranded->sweepFound($found['stranded'] ?? null);
        unset($found['stranded']);
        $this->sweepFound = $found;
    }
}
