<?php
/**
 * The database backend's hand-off: whenever slots free and tickets wait for
 * their keys, the next tickets whose keys all have room (in fair order,
 * LineOrder) get the slots reserved for them. One UPDATE reserves a
 * ticket's slots and marks it reserved: it matches only while the ticket waits
 * (not lapsed) and every chosen slot is free, so two hand-offs at once never
 * reserve one slot or one ticket twice (the one that loses reads again), and
 * no named lock is taken for it. The ticket's state is its wake ('reserved'
 * until someone of its blog takes it: DatabaseLine::takeWakes()); this
 * process remembers the wakes it made (DatabaseOwnWakes), so that after a
 * release it takes them in one guarded UPDATE without reading the table; a
 * release that hands its own slots over (handOver()) takes its wake in that
 * same UPDATE.
 * Only clearing a key's waiting flag takes the line's named lock, which
 * enqueues hold while they add a ticket and set the flag, so no flag is
 * cleared under a ticket that was just added.
 *
 * @internal the database backend's (DatabaseBackend)
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseHandOff
{
    /** Tickets a hand-off considers, lowest start tags first. */
    private const WINDOW = 1000;

    /** Reservations lost to a concurrent hand-off or acquire before this one leaves the rest to the next release or sweep. */
    private const ATTEMPTS = 3;

    /** @param \Closure(): Scope $scope the caller's install and blog: the wakes of its tickets are its own to deliver */
    public function __construct(
        private readonly DatabaseSql $sql,
        private readonly DatabaseKeys $keys,
        private readonly DatabaseOwnWakes $wakes,
        private readonly \Closure $scope,
    ) {
    }

    /**
     * Hands the free slots of these keys to the next tickets whose keys all
     * have room, if tickets wait for them: reserves the slots and queues a
     * wake for each. Returns how many tickets were handed a slot.
     *
     * @param list<string>      $keys
     * @param array<string,int> $limits limits to create missing slot rows with ([] for none)
     */
    public function handOff(array $keys, array $limits): int
    {
        if ($keys === []) {
            return 0;
        }
        $served = 0;
        for ($attempt = 0; $attempt < self::ATTEMPTS; $attempt++) {
            [$n, $lost] = $this->serve($keys, $limits);
            $served += $n;
            if (!$lost) {
                break;
            }
        }
        return $served;
    }

    /**
     * One round: reads the keys' slots and the tickets on them, reserves for
     * the next tickets whose keys all have room. Lost: a reservation matched
     * nothing (another hand-off or an acquire got there first): read again.
     *
     * @param list<string>      $keys
     * @param array<string,int> $limits
     * @return array{int, bool} tickets served, lost a race
     */
    private function serve(array $keys, array $limits): array
    {
        $slots = $this->keys->read($keys, $limits);
        $flagged = array_keys(array_filter($slots, static fn (DatabaseSlots $s): bool => $s->waiting && $s->freeWithin(PHP_INT_MAX) !== []));
        if ($flagged === []) {
            return [0, false];
        }
        $rows = $this->ticketsOn($flagged);
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
        if ($idle !== [] && count($rows) < self::WINDOW) {
            $this->clearWaiting($idle);
        }
        if ($candidates === []) {
            return [0, false];
        }
        if ($more !== []) {
            $slots += $this->keys->read(array_keys($more), []);
        }
        $nowMs = 0;
        foreach ($slots as $s) {
            $nowMs = max($nowMs, $s->nowMs);
        }
        $candidates = self::inFairOrder($candidates, $nowMs);
        $scope = ($this->scope)();
        $served = 0;
        foreach ($candidates as $row) {
            $claims = [];
            foreach ($row['limits'] as $k => $l) {
                // A key's record may cap it (a provider's adaptive limit; -1: an open circuit): that wins over
                // the limit its tickets were queued under, which the limit in force moved away from since.
                $cap = isset($slots[(string) $k]) ? $slots[(string) $k]->cap : 0;
                $l = $cap > 0 ? $cap : $l;
                $slot = $cap >= 0 && isset($slots[(string) $k]) && $slots[(string) $k]->known ? $slots[(string) $k]->room($l) : null;
                if ($slot === null) {
                    continue 2;
                }
                $claims[(string) $k] = $slot;
            }
            $mine = (string) $row['install'] === $scope->install && (int) $row['blog_id'] === $scope->blogId;
            if (!$this->reserve((string) $row['ticket'], (int) $row['ref'], $claims, $mine)) {
                return [$served, true]; // another hand-off took this ticket, or a newcomer a slot, meanwhile: read again
            }
            foreach ($claims as $k => $slot) {
                $slots[$k]->slots[$slot]->token = (string) $row['ticket'];
            }
            $served++;
        }
        return [$served, false];
    }

    /**
     * Waiting tickets in the order they are served at the database's time $nowMs (LineOrder; aging moves
     * them): on a tie the ticket first deferred earlier, then the older row.
     *
     * @param list<array<string, mixed>> $candidates
     * @return list<array<string, mixed>>
     */
    private static function inFairOrder(array $candidates, int $nowMs): array
    {
        $aging = LineOrder::agingMs();
        foreach ($candidates as $i => $row) {
            $candidates[$i]['score'] = LineOrder::score((float) $row['start_tag'], (int) $row['weight'], max(0, $nowMs - (int) $row['first_deferred_ms']), $aging);
        }
        usort($candidates, static fn (array $a, array $b): int => [$a['score'], (int) $a['first_deferred_ms'], (int) $a['id']] <=> [$b['score'], (int) $b['first_deferred_ms'], (int) $b['id']]);
        return $candidates;
    }

    /**
     * A release that expects tickets (they waited for its keys when it was
     * taken): when the next ticket to serve asks for exactly this lease's keys
     * and has room on them with this lease gone, one UPDATE releases the
     * lease's slots and reserves them for it (it matches only while the lease
     * holds them and the ticket waits, so nothing is reserved twice, and no
     * newcomer takes the slots in between), after one read of the tickets
     * with the keys' counts and caps. False when that is not the case (the
     * lease untouched): the caller releases as usual, and the hand-off that
     * follows looks at every key.
     *
     * @param array<string, int> $slots the lease's slots, key => slot number
     */
    public function handOver(string $lease, array $slots): bool
    {
        if ($slots === [] || !LeaseArguments::isToken($lease)) {
            return false;
        }
        ksort($slots, SORT_STRING);
        [, $slotsTable] = DatabaseSql::tables();
        $counts = [];
        $i = 0;
        foreach (array_keys($slots) as $key) {
            $counts[] = "(SELECT COUNT(*) FROM {$slotsTable} WHERE lease_key = " . DatabaseSql::bytes((string) $key) . " AND token <> '') AS taken{$i}, "
                . DatabaseKeys::capOf((string) $key) . " AS cap{$i}";
            $i++;
        }
        $rows = $this->ticketsOn(array_keys($slots), implode(', ', $counts) . ', ' . DatabaseSql::NOW_MS . ' AS now_ms');
        if ($rows === []) {
            return false;
        }
        $candidates = [];
        foreach ($rows as $row) {
            if ((string) $row['state'] === 'waiting' && (int) $row['lapsed'] === 0) {
                $row['limits'] = self::decodeLimits((string) $row['key_limits']);
                $candidates[] = $row;
            }
        }
        $first = $rows[0];
        foreach (self::inFairOrder($candidates, (int) $first['now_ms']) as $row) {
            $limits = $row['limits'];
            ksort($limits, SORT_STRING);
            if (array_keys($limits) !== array_keys($slots)) {
                return false; // the next ticket needs other keys too: the full hand-off looks at them
            }
            $i = 0;
            foreach ($slots as $key => $slot) {
                $cap = (int) $first["cap{$i}"];
                $limit = $cap > 0 ? $cap : $limits[$key];
                if ($cap < 0 || (int) $first["taken{$i}"] - 1 >= $limit || $slot > $limit) {
                    continue 2; // no room for it on this key (a cap may have come down): the next ticket
                }
                $i++;
            }
            return $this->reserveFrom($lease, (string) $row['ticket'], (int) $row['ref'], $slots, (string) $row['install'] === ($this->scope)()->install && (int) $row['blog_id'] === ($this->scope)()->blogId);
        }
        return false;
    }

    /**
     * The tickets on these keys, lowest start tags first (up to WINDOW).
     *
     * @param list<string|int> $keys
     * @param string           $more more columns (SQL) on every row
     * @return list<array<string, mixed>>
     */
    private function ticketsOn(array $keys, string $more = ''): array
    {
        $in = implode(',', array_map(static fn ($k): string => DatabaseSql::bytes((string) $k), $keys));
        return $this->sql->read(
            'SELECT id, ticket, ref, weight, key_limits, state, lapsed, start_tag, first_deferred_ms, k1, k2, k3, k4, install, blog_id'
            . ($more !== '' ? ', ' . $more : '') . ' FROM ' . DatabaseLineSchema::ticketsTable()
            . " WHERE (k1 IN ({$in}) OR k2 IN ({$in}) OR k3 IN ({$in}) OR k4 IN ({$in})) AND state <> 'served' ORDER BY start_tag, id LIMIT " . self::WINDOW,
        );
    }

    /**
     * No ticket waits for these keys any more: their flags go, so a release
     * there costs no hand-off, and so do their served tickets. Under the enqueues' lock, and only for keys
     * that still have no ticket then (one enqueued since the read keeps it).
     *
     * @param list<string> $keys
     */
    private function clearWaiting(array $keys): void
    {
        $this->sql->lock();
        try {
            foreach ($this->ticketsOn($keys) as $row) {
                $keys = array_diff($keys, [(string) $row['k1'], (string) $row['k2'], (string) $row['k3'], (string) $row['k4']]);
            }
            if ($keys !== []) {
                [$keysTable] = DatabaseSql::tables();
                $in = implode(',', array_map([DatabaseSql::class, 'bytes'], $keys));
                $this->sql->write("UPDATE {$keysTable} SET waiting = 0 WHERE lease_key IN ({$in})");
                // The served tickets of these keys (they left the line as their reservations became leases) go with the line.
                $this->sql->write('DELETE FROM ' . DatabaseLineSchema::ticketsTable() . " WHERE state = 'served' AND (k1 IN ({$in}) OR k2 IN ({$in}) OR k3 IN ({$in}) OR k4 IN ({$in}))");
            }
        } finally {
            $this->sql->unlock();
        }
    }

    /** A sweep hands on the free slots of every key tickets wait for (a hand-off that failed midway heals here). */
    public function handOffWaiting(): void
    {
        [$keysTable] = DatabaseSql::tables();
        $keys = array_values(array_map('strval', array_column($this->sql->read("SELECT lease_key FROM {$keysTable} WHERE waiting > 0"), 'lease_key')));
        foreach (array_chunk($keys, 64) as $chunk) {
            $this->handOff($chunk, []);
        }
    }

    /**
     * Reserves the chosen slots for the ticket and marks it reserved (its
     * wake, for anyone of its blog to take), in one UPDATE that matches only
     * while the ticket waits and every slot is free. This process remembers
     * the wakes of its own blog's tickets (DatabaseOwnWakes), so it takes them
     * without reading the table.
     *
     * @param array<string,int> $claims key => slot
     */
    private function reserve(string $ticket, int $ref, array $claims, bool $mine): bool
    {
        return $this->reserveFrom('', $ticket, $ref, $claims, $mine);
    }

    /**
     * reserve() of slots that are free ($lease '') or held by lease $lease
     * (released in the same UPDATE, counted as a release).
     *
     * @param array<string,int> $claims key => slot
     */
    private function reserveFrom(string $lease, string $ticket, int $ref, array $claims, bool $mine): bool
    {
        [, $slotsTable] = DatabaseSql::tables();
        $tickets = DatabaseLineSchema::ticketsTable();
        $ms = LineOrder::reservationMs();
        ksort($claims, SORT_STRING);
        $from = ["{$tickets} t"];
        // A release that hands its own slots over takes the wake at once: its caller pulls the copy forward next.
        $taken = $lease !== '' && $mine;
        $set = ['t.state = ' . ($taken ? "'woken'" : "'reserved'"), 't.gen = t.gen + 1'];
        if (!LeaseArguments::isToken($ticket) || ($lease !== '' && !LeaseArguments::isToken($lease))) {
            return false; // a row that is not ours (or a corrupt one) is never written into SQL
        }
        // t.ref: a ticket moved to a new copy since it was read (moveTicket takes no lock) is not reserved for
        // the old copy's ref, which nobody would claim: the UPDATE matches nothing and the hand-off reads again.
        $where = ["t.ticket = '{$ticket}'", "t.state = 'waiting'", 't.lapsed = 0', "t.ref = {$ref}"];
        $i = 0;
        foreach ($claims as $key => $slot) {
            $s = 's' . $i++;
            $from[] = "{$slotsTable} {$s}";
            $set[] = "{$s}.token = '{$ticket}', {$s}.host = '', {$s}.host_id = '', {$s}.pid = 0, {$s}.start_time = 0, {$s}.label = 'reserved for a woken ticket',"
                . " {$s}.acquired_ms = " . DatabaseSql::NOW_MS . ", {$s}.expires_ms = " . DatabaseSql::NOW_MS . " + {$ms}, {$s}.request_until_ms = 0,"
                . " {$s}.ref = {$ref}, {$s}.reserved = 1, {$s}.gen = {$s}.gen + 1, {$s}.wakes_sent = {$s}.wakes_sent + 1,"
                . " {$s}.install = t.install, {$s}.blog_id = t.blog_id" // only the ticket's blog takes the reservation
                . ($lease !== '' ? ", {$s}.released = {$s}.released + 1" : '');
            $where[] = "{$s}.lease_key = " . DatabaseSql::bytes((string) $key) . " AND {$s}.slot = {$slot} AND {$s}.token = '{$lease}'";
        }
        $startedAt = microtime(true);
        if ($this->sql->write('UPDATE ' . implode(', ', $from) . ' SET ' . implode(', ', $set) . ' WHERE ' . implode(' AND ', $where)) !== count($claims) + 1) {
            return false;
        }
        if ($mine) {
            $this->wakes->made($ticket, $ref, $startedAt + $ms / 1000, ($this->scope)()->toString(), $taken);
        }
        return true;
    }

    /** @param array<string,int> $limits sorted */
    public static function encodeLimits(array $limits): string
    {
        $parts = [];
        foreach ($limits as $key => $limit) {
            $parts[] = bin2hex((string) $key) . '=' . $limit;
        }
        return implode(',', $parts);
    }

    /** @return array<string,int> */
    public static function decodeLimits(string $encoded): array
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
