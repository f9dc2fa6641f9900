<?php
/**
 * The database backend's stranded records: a lease reclaimed because its
 * holder died leaves its action id in sluice_line_stranded (strand()), for
 * its own blog's next sweep. A sweep claims rows (takeStranded(): one UPDATE
 * sets a claim token and a deadline on rows nobody claimed or whose claim
 * lapsed, one read returns them), drops each it dealt with (ackStranded())
 * or gives it back (returnStranded()); what it had not answered when its
 * request ends goes back then, and a sweep that was killed loses its claims
 * by their deadline. Each entry's claim is "<row id>:<claim token>".
 *
 * @internal the database backend's (DatabaseLine)
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseStranded
{
    /** How long a sweep's claim on stranded rows lasts: past it (the sweep died half-way), another sweep takes them. */
    private const STRANDED_CLAIM_MS = 300000;

    /** @var array<string, StrandedLease> stranded rows this process claimed and has neither acked nor returned */
    private array $unanswered = [];

    private bool $returnsAtShutdown = false;

    /** Whether the sweep's one read found stranded rows of this blog (null: no such read, or it was used). */
    private ?bool $sweepFound = null;

    /** @param \Closure(): Scope $scope the caller's install and blog: it takes only their stranded records */
    public function __construct(
        private readonly DatabaseSql $sql,
        private readonly \Closure $scope,
    ) {
    }

    /** What the sweep's read found (DatabaseReclaims::sweep(); null: no read): takeStranded() reads the table unless it found none. */
    public function sweepFound(?bool $any): void
    {
        $this->sweepFound = $any;
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
        $known = $this->sweepFound;
        $this->sweepFound = null;
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

    /** A dead holder's action id, kept for its own blog's next sweep (takeStranded()); a lease that names no blog has none to go to. */
    public function strand(DatabaseSlot $lease): void
    {
        $scope = $lease->scope;
        if ($scope === null || $scope->install === '') {
            return;
        }
        if ($this->sweepFound !== null && $scope == ($this->scope)()) {
            $this->sweepFound = true; // the sweep's read is older than this record
        }
        $this->sql->write(
            'INSERT INTO ' . DatabaseLineSchema::strandedTable() . ' (ref, label, pid, host, install, blog_id) VALUES (' . $lease->ref . ', CONVERT(' . DatabaseSql::bytes($lease->label)
            . ' USING utf8mb4), ' . $lease->pid . ', ' . DatabaseSql::bytes((string) gethostname()) . ', ' . DatabaseSql::bytes($scope->install) . ", {$scope->blogId})",
        );
    }
}

