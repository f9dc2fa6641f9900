<?php
/**
 * The database backend's hand-off: whenever slots free and tickets wait for
 * their keys, the next tickets whose keys all have room (in fair order,
 * LineOrder) get the slots reserved for them and a wake each, under the
 * line's named lock, held for its few statements only. The reservation and
 * the ticket's state are written by one UPDATE, the wake by one INSERT.
 *
 * @internal the database backend's (DatabaseBackend)
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseHandOff
{
    public function __construct(
        private readonly DatabaseSql $sql,
        private readonly DatabaseKeys $keys,
    ) {
    }

    /** Tickets a hand-off considers, lowest start tags first. */
    private static int $handOffWindow = 1000;

    /** This process queued a wake since it last took them (else a wake after a release reads nothing). */
    private bool $wakesQueued = false;

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
        // Read without the lock: the reservation's UPDATE re-checks every slot it takes.
        $slots = $this->keys->read($keys, $limits);
        $flagged = array_keys(array_filter($slots, static fn (DatabaseSlots $s): bool => $s->waiting && $s->freeWithin(PHP_INT_MAX) !== []));
        if ($flagged === []) {
            return 0;
        }
        $this->sql->lock();
        try {
            $tickets = DatabaseLineSchema::ticketsTable();
            $in = implode(',', array_map(static fn ($k): string => DatabaseSql::bytes((string) $k), $flagged));
            $rows = $this->sql->read(
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
                [$keysTable] = DatabaseSql::tables();
                $this->sql->write("UPDATE {$keysTable} SET waiting = 0 WHERE lease_key IN (" . implode(',', array_map([DatabaseSql::class, 'bytes'], $idle)) . ')');
            }
            if ($candidates === []) {
                return 0;
            }
            if ($more !== []) {
                $slots += $this->keys->read(array_keys($more), []);
            }
            $nowMs = 0;
            foreach ($slots as $s) {
                $nowMs = max($nowMs, $s->nowMs);
            }
            $aging = LineOrder::agingMs();
            foreach ($candidates as $i => $row) {
                $candidates[$i]['score'] = LineOrder::score((float) $row['start_tag'], (int) $row['weight'], max(0, $nowMs - (int) $row['first_deferred_ms']), $aging);
            }
            // On a tie the ticket first deferred earlier, then the older row.
            usort($candidates, static fn (array $a, array $b): int => [$a['score'], (int) $a['first_deferred_ms'], (int) $a['id']] <=> [$b['score'], (int) $b['first_deferred_ms'], (int) $b['id']]);
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
     * Reserves the chosen slots for the ticket and marks it reserved, in one
     * UPDATE that matches only while the ticket waits and every slot is free;
     * then queues its wake.
     *
     * @param array<string,int> $claims key => slot
     */
    private function reserve(string $ticket, int $ref, array $claims): bool
    {
        [, $slotsTable] = DatabaseSql::tables();
        $tickets = DatabaseLineSchema::ticketsTable();
        $ms = LineOrder::reservationMs();
        ksort($claims, SORT_STRING);
        $from = ["{$tickets} t"];
        $set = ["t.state = 'reserved'", 't.gen = t.gen + 1'];
        $where = ["t.ticket = '{$ticket}'", "t.state = 'waiting'"];
        $i = 0;
        foreach ($claims as $key => $slot) {
            $s = 's' . $i++;
            $from[] = "{$slotsTable} {$s}";
            $set[] = "{$s}.token = '{$ticket}', {$s}.host = '', {$s}.host_id = '', {$s}.pid = 0, {$s}.start_time = 0, {$s}.label = 'reserved for a woken ticket',"
                . " {$s}.acquired_ms = " . DatabaseSql::NOW_MS . ", {$s}.expires_ms = " . DatabaseSql::NOW_MS . " + {$ms}, {$s}.request_until_ms = 0,"
                . " {$s}.ref = {$ref}, {$s}.reserved = 1, {$s}.gen = {$s}.gen + 1, {$s}.wakes_sent = {$s}.wakes_sent + 1,"
                . " {$s}.install = t.install, {$s}.blog_id = t.blog_id"; // only the ticket's blog takes the reservation
            $where[] = "{$s}.lease_key = " . DatabaseSql::bytes((string) $key) . " AND {$s}.slot = {$slot} AND {$s}.token = ''";
        }
        if ($this->sql->write('UPDATE ' . implode(', ', $from) . ' SET ' . implode(', ', $set) . ' WHERE ' . implode(' AND ', $where)) !== count($claims) + 1) {
            return false;
        }
        // The wake is for the ticket's blog, whose processes pull its copy forward.
        $this->sql->write('INSERT INTO ' . DatabaseLineSchema::wakesTable() . " (ticket, install, blog_id) SELECT ticket, install, blog_id FROM {$tickets} WHERE ticket = '{$ticket}'");
        $this->wakesQueued = true;
        return true;
    }

    /** This process queued a wake (a reservation, or a reserved ticket moved to a new copy). */
    public function wakeQueued(): void
    {
        $this->wakesQueued = true;
    }

    /** True when this process queued a wake since it last asked; asking clears it. */
    public function takeQueuedWakes(): bool
    {
        $queued = $this->wakesQueued;
        $this->wakesQueued = false;
        return $queued;
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
