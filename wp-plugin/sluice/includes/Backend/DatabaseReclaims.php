<?php
/**
 * Takes the database backend's leases back: one whose owner died on this
 * host (and has no provider request open) or whose TTL ran out (reclaim(),
 * also from an acquire that finds its key full), every such lease at once
 * (sweep(), on every queue run), and every lease on a key (an operator's
 * reset()). Each hands the freed slots to the next tickets of the line.
 *
 * @internal the database backend's (DatabaseBackend)
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseReclaims
{
    public function __construct(
        private readonly DatabaseSql $sql,
        private readonly DatabaseHandOff $handOffs,
        private readonly DatabaseLine $line,
        private readonly DatabaseReservations $reservations,
        private readonly DatabaseStranded $stranded,
    ) {
    }

    /** Frees every lease holding a slot of the key (on all its keys); returns how many went. */
    public function reset(string $key): int
    {
        [, $slotsTable] = DatabaseSql::tables();
        // The whole lease goes, on every key it holds (as the native reset drops lease records).
        $tokens = array_column($this->sql->read("SELECT DISTINCT token FROM {$slotsTable} WHERE lease_key = " . DatabaseSql::bytes($key) . " AND token <> ''"), 'token');
        $tokens = array_values(array_filter(array_map('strval', $tokens), [LeaseArguments::class, 'isToken']));
        // The key's peak counts again from now.
        $this->sql->write("UPDATE {$slotsTable} SET peak = 0, peak_since_ms = " . DatabaseSql::NOW_MS . ' WHERE lease_key = ' . DatabaseSql::bytes($key));
        if ($tokens === []) {
            return 0;
        }
        $in = "'" . implode("','", $tokens) . "'";
        $rows = $this->sql->read("SELECT lease_key, token, reserved FROM {$slotsTable} WHERE token IN ({$in})");
        $this->sql->write("UPDATE {$slotsTable} SET " . DatabaseSql::FREEING . " WHERE token IN ({$in})");
        $left = $this->sql->read("SELECT DISTINCT token FROM {$slotsTable} WHERE token IN ({$in})");
        $reservations = [];
        foreach ($rows as $row) {
            if ((int) $row['reserved'] === 1) {
                $reservations[(string) $row['token']] = true;
            }
        }
        $this->reservations->reservationsGone(array_keys($reservations), false);
        $this->handOffs->handOff(array_values(array_unique(array_map('strval', array_column($rows, 'lease_key')))), []);
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
    public function sweep(bool $lineAvailable, Scope $scope): int
    {
        [$keysTable, $slotsTable] = DatabaseSql::tables();
        $me = LocalProcess::current();
        $now = DatabaseSql::NOW_MS;
        $found = ["(SELECT COUNT(*) FROM {$keysTable} WHERE waiting > 0) AS waiting_keys"];
        if ($lineAvailable) {
            // This blog's records only: another blog's are its own processes' to deal with.
            $ours = DatabaseSql::scopeIs($scope);
            $found[] = '(SELECT COUNT(*) FROM ' . DatabaseLineSchema::ticketsTable() . " WHERE {$ours} AND state = 'reserved') AS wakes";
            $found[] = '(SELECT COUNT(*) FROM ' . DatabaseLineSchema::strandedTable() . " WHERE {$ours} AND (claim = '' OR claimed_until_ms <= {$now})) AS stranded";
            $found[] = '(SELECT COUNT(*) FROM ' . DatabaseLineSchema::ticketsTable() . " WHERE {$ours} AND state <> 'served' AND first_deferred_ms <= {$now} - " . WaitingLine::STALE_AFTER_MS . ') AS stale';
        }
        $mine = $me->hostId !== '' ? " OR (s.reserved = 0 AND s.request_until_ms <= c.now_ms AND s.host_id = '{$me->hostId}')" : '';
        $rows = $this->sql->read(
            'SELECT c.*, s.lease_key, s.token, s.host_id, s.pid, s.start_time, s.expires_ms, s.request_until_ms, s.ref, s.reserved, s.label, s.install, s.blog_id'
            . ' FROM (SELECT ' . implode(', ', $found) . ", {$now} AS now_ms) c"
            . " LEFT JOIN {$slotsTable} s ON s.token <> '' AND (s.expires_ms <= c.now_ms{$mine})",
        );
        $census = $rows[0] ?? [];
        $this->line->found(isset($census['wakes'])
            ? ['wakes' => (int) $census['wakes'] > 0, 'stranded' => (int) $census['stranded'] > 0, 'stale' => (int) $census['stale'] > 0]
            : []);
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
            $this->handOffs->handOffWaiting();
        }
        return $swept;
    }

    /**
     * Frees every slot of a lease whose owner died (not draining) or whose TTL
     * ran out; false if it was gone. A dead holder's action id is kept for
     * takeStranded(); a lapsed reservation's ticket waits again; the slots go
     * to the next ticket of the line.
     */
    public function reclaim(DatabaseSlot $lease, string $why): bool
    {
        $token = $lease->token;
        [, $slotsTable] = DatabaseSql::tables();
        $counter = $why === 'expired' ? 'reclaimed_expired' : 'reclaimed_dead';
        // A reservation past its window lapsed (counted before FREEING clears `reserved`: MySQL assigns left to right).
        $lapsed = $why === 'expired' ? 'wakes_lapsed = wakes_lapsed + reserved, ' : '';
        // Re-checked by the statement itself: still this lease, still past its TTL / past any open request's deadline.
        $still = $why === 'expired' ? 'expires_ms <= ' . DatabaseSql::NOW_MS : 'request_until_ms <= ' . DatabaseSql::NOW_MS;
        $keys = array_values(array_map('strval', array_column($this->sql->read("SELECT lease_key FROM {$slotsTable} WHERE token = '{$token}'"), 'lease_key')));
        if ($this->sql->write("UPDATE {$slotsTable} SET {$lapsed}" . DatabaseSql::FREEING . ", {$counter} = {$counter} + 1 WHERE token = '{$token}' AND {$still}") === 0) {
            return false;
        }
        if ($lease->reserved) {
            $this->reservations->reservationsGone([$token], true);
        } elseif ($why === 'dead' && $lease->ref > 0) {
            $this->stranded->strand($lease);
        }
        $this->handOffs->handOff($keys, []);
        return true;
    }
}
