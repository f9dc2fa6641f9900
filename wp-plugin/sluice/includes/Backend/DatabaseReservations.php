<?php
/**
 * What the database backend's acquire and reclaims do with the line: a
 * scheduled action whose ticket holds a reservation on every key it asks for
 * takes that reservation as its lease (reservationOf(), convertReservation()),
 * a grant to an action takes its ticket out of the line (ticketServed()), a
 * refused one re-confirms a lapsed ticket (ticketShowedUp()), and
 * reservations that lapsed or were reset put their tickets back to waiting
 * (reservationsGone()). The line's flag on the key rows (anyWaiting()) tells
 * an acquire whether it needs any of this.
 *
 * @internal the database backend's (DatabaseBackend, DatabaseReclaims)
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseReservations
{
    /** @param \Closure(): Scope $scope the caller's install and blog: it serves and re-confirms only their tickets */
    public function __construct(
        private readonly DatabaseSql $sql,
        private readonly \Closure $scope,
    ) {
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

    /**
     * The slot a reservation (or lease) holds on each of these keys.
     *
     * @param array<string, DatabaseSlots> $keys
     * @return array<string, int> key => slot number
     */
    public static function slotsOf(array $keys, string $token): array
    {
        $held = [];
        foreach ($keys as $key => $slots) {
            foreach ($slots->slots as $number => $slot) {
                if ($slot->token === $token) {
                    $held[(string) $key] = $number;
                }
            }
        }
        return $held;
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
     * The reservation's slots become the caller's lease, and its ticket leaves the line (marked served), in one UPDATE.
     *
     * With $buckets (DatabaseBuckets::claimParts()) it takes their tokens too, and matches only while every one
     * of them has them.
     *
     * @param array<string,int> $limits
     * @param array{from: list<string>, set: list<string>, where: list<string>} $buckets
     */
    public function convertReservation(string $ticket, string $token, array $limits, int $ttlMs, string $label, LocalProcess $me, int $ref,
        array $buckets = ['from' => [], 'set' => [], 'where' => []]): bool
    {
        [, $slotsTable] = DatabaseSql::tables();
        $case = 'CASE s.lease_key';
        foreach ($limits as $key => $limit) {
            $case .= ' WHEN ' . DatabaseSql::bytes((string) $key) . " THEN {$limit}";
        }
        $case .= ' ELSE s.limit_n END';
        // The ticket leaves the line in the same statement: 'served' counts nowhere (DatabaseLine says when it is deleted).
        $changed = $this->sql->write(
            "UPDATE {$slotsTable} s LEFT JOIN " . DatabaseLineSchema::ticketsTable() . ' t ON t.ticket = s.token'
            . implode('', array_map(static fn (string $b): string => ', ' . $b, $buckets['from']))
            . " SET s.token = '{$token}', s.host = " . DatabaseSql::bytes($me->host) . ", s.host_id = '{$me->hostId}', s.pid = {$me->pid},"
            . " s.start_time = {$me->startTime}, s.label = CONVERT(" . DatabaseSql::bytes($label) . ' USING utf8mb4), s.acquired_ms = ' . DatabaseSql::NOW_MS . ','
            . ' s.expires_ms = ' . DatabaseSql::NOW_MS . " + {$ttlMs}, s.request_until_ms = 0, s.ref = {$ref}, s.reserved = 0, s.gen = s.gen + 1,"
            . " s.limit_n = {$case}, s.acquired = s.acquired + 1, t.state = 'served', t.gen = t.gen + 1"
            . implode('', array_map(static fn (string $b): string => ', ' . $b, $buckets['set']))
            . " WHERE s.token = '{$ticket}' AND s.reserved = 1"
            . implode('', array_map(static fn (string $b): string => ' AND ' . $b, $buckets['where'])),
        );
        return $changed > 0;
    }

    /**
     * A reservation whose action was refused for a rate budget goes back at
     * once (its ticket waits lapsed, as a reservation past its window: handed
     * nothing more until its action shows up again); the keys it held, for the
     * hand-off that follows.
     *
     * @return list<string>
     */
    public function giveBack(string $ticket): array
    {
        [, $slotsTable] = DatabaseSql::tables();
        $keys = array_values(array_map('strval', array_column($this->sql->read("SELECT lease_key FROM {$slotsTable} WHERE token = '{$ticket}' AND reserved = 1"), 'lease_key')));
        if ($keys === [] || $this->sql->write("UPDATE {$slotsTable} SET " . DatabaseSql::FREEING . " WHERE token = '{$ticket}' AND reserved = 1") === 0) {
            return [];
        }
        $this->reservationsGone([$ticket], true);
        return $keys;
    }

    /**
     * A grant to scheduled action $ref: its ticket (with its wake) leaves the
     * line in one statement; a reservation it held on other keys lapses by its
     * expiry and goes to the next ticket. True when it had a ticket (it was
     * waiting in line: not a new arrival for the capacity counters).
     */
    public function ticketServed(int $ref): bool
    {
        return 0 < $this->sql->write('DELETE FROM ' . DatabaseLineSchema::ticketsTable() . " WHERE ref = {$ref} AND " . DatabaseSql::scopeIs(($this->scope)()));
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
            . " WHERE ticket IN ('" . implode("','", $tokens) . "') AND state IN ('reserved', 'woken')",
        );
    }
}
