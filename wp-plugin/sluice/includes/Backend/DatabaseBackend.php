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
 * It keeps the waiting line too (DatabaseLine, with DatabaseHandOff,
 * DatabaseStranded and DatabaseReservations): tickets, reservations, wakes
 * and stranded records in tables beside the leases, so every host of the
 * database shares one line. While no ticket waits for its keys, a pair
 * still costs 3 queries. Its SQL goes through DatabaseSql; its keys' slot rows
 * are read by DatabaseKeys; leases are taken back (a dead or expired
 * holder's, the sweep, an operator's reset) by DatabaseReclaims. Each key may
 * have a small record beside its slots (RecordStore, DatabaseRecords: the
 * provider protection's state), and per-minute capacity counters
 * (DatabaseCapacityCounters, one statement per call), and a token bucket
 * (RateBuckets, DatabaseBuckets: its tokens are taken by the same UPDATE that
 * claims the slots).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseBackend implements Backend, OperatorView, WaitingLine, Capacity, RecordStore, CapacityCounters, RateBuckets
{
    use FixedMaxLimit;
    use ForwardsLineRecords;
    use ForwardsCapacityCounters;
    use ForwardsBuckets;

    public const MAX_KEYS = LeaseArguments::MAX_KEYS;
    public const MAX_KEY_BYTES = LeaseArguments::MAX_KEY_BYTES;
    /** The largest limit: a key has one row per slot. */
    public const MAX_LIMIT = LeaseArguments::MAX_LIMIT;
    public const MAX_LABEL_BYTES = LeaseArguments::MAX_LABEL_BYTES;
    public const MAX_TTL_SECONDS = LeaseArguments::MAX_TTL_SECONDS;
    public const MAX_REQUEST_SECONDS = LeaseArguments::MAX_REQUEST_SECONDS;
    /** What a ttl of 0 means (as sluice.default_ttl for the extension). */
    public const DEFAULT_TTL_SECONDS = LeaseArguments::DEFAULT_TTL_SECONDS;

    /** Claims lost to a concurrent acquirer before this one gives up (a refusal). */
    private const ATTEMPTS = 3;

    /**
     * Tokens this process took and has not released (released when the request ends), each with its slots
     * (key => slot number) where tickets waited for its keys when it was taken (its release then tries to hand
     * them straight to the next ticket, DatabaseHandOff::handOver()), else null.
     *
     * @var array<string, array<string, int>|null>
     */
    private array $held = [];

    private bool $releaseAtShutdown = false;

    private readonly DatabaseSql $sql;
    private readonly DatabaseKeys $keys;
    private readonly DatabaseHandOff $handOffs;
    private readonly DatabaseLine $line;
    private readonly DatabaseReservations $reservations;
    private readonly DatabaseRecords $records;
    private readonly DatabaseReclaims $reclaims;
    private readonly DatabaseCapacityCounters $counters;
    private readonly DatabaseBuckets $buckets;

    /**
     * @param ?string $scope the install and blog of this store's leases and line records ("<install>/<blog>",
     *                       Scope); null: the current blog's, looked up on every call (so switch_to_blog() is
     *                       followed); a string pins it
     */
    public function __construct(private readonly ?string $scope = null)
    {
        $this->sql = new DatabaseSql();
        $this->keys = new DatabaseKeys($this->sql);
        $this->records = new DatabaseRecords($this->sql);
        $wakes = new DatabaseOwnWakes($this->sql);
        $this->handOffs = new DatabaseHandOff($this->sql, $this->keys, $wakes, $this->scope(...));
        $stranded = new DatabaseStranded($this->sql, $this->scope(...));
        $this->line = new DatabaseLine($this->sql, $this->handOffs, $wakes, $stranded, $this->scope(...));
        $this->reservations = new DatabaseReservations($this->sql, $this->scope(...));
        $this->reclaims = new DatabaseReclaims($this->sql, $this->handOffs, $this->line, $this->reservations, $stranded);
        $this->counters = new DatabaseCapacityCounters($this->sql);
        $this->buckets = new DatabaseBuckets($this->sql);
    }

    /** Whose tickets, wakes and stranded records a call of this process reaches: its blog's only. */
    private function scope(): Scope
    {
        return Scope::parse($this->scope ?? Scope::current());
    }

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

    public function readRecord(string $key): StoredRecord
    {
        return $this->records->read($key);
    }

    public function writeRecord(string $key, int $version, string $data, ?int $cap = null): bool
    {
        $written = $this->records->write($key, $version, $data, $cap);
        if ($written && $cap !== null && $this->records->capChanged()) {
            $this->handOffs->handOff([$key], []); // a cap that opened or grew lets waiting tickets in now
        }
        return $written;
    }

    protected function capacityCounters(): DatabaseCapacityCounters
    {
        return $this->counters;
    }

    public function lineAvailable(): bool
    {
        return $this->unavailableReason() === null && (new DatabaseLineSchema())->isCurrent();
    }

    public function tryAcquire(array $limits, int $ttl, string $label): Lease|Refusal
    {
        return $this->acquire($limits, $ttl, $label, 0);
    }

    public function tryAcquireFor(array $limits, int $ttl, string $label, int $ref): Lease|Refusal
    {
        if ($ref < 1) {
            throw new \ValueError("a ref is an action id of at least 1, not {$ref}");
        }
        return $this->acquire($limits, $ttl, $label, $ref);
    }

    public function tryAcquireTaking(array $limits, int $ttl, string $label, ?int $ref, array $buckets): Lease|Refusal
    {
        if ($ref !== null && $ref < 1) {
            throw new \ValueError("a ref is an action id of at least 1, not {$ref}");
        }
        return $this->acquire($limits, $ttl, $label, $ref ?? 0, $buckets);
    }

    public function enqueueHeld(array $limits, int $ref, string $tenant, int $weight, int $firstDeferredAt): Ticket
    {
        return $this->line->enqueue($limits, $ref, $tenant, $weight, $firstDeferredAt, true);
    }

    protected function bucketStore(): BucketStore
    {
        return $this->buckets;
    }

    /**
     * tryAcquire(), and for scheduled action $ref (> 0): its ticket's reservation
     * becomes the lease; else a grant removes its ticket from the line. With
     * $buckets the same UPDATE takes their tokens (DatabaseBuckets): all or nothing.
     *
     * @param array<string,int> $limits
     * @param array<string, array{rate: float, burst: float, tokens: float}> $buckets
     */
    private function acquire(array $limits, int $ttl, string $label, int $ref, array $buckets = []): Lease|Refusal
    {
        $taking = $buckets !== [] ? $this->buckets->claimParts($buckets) : ['from' => [], 'set' => [], 'where' => []];
        LeaseArguments::checkLimits($limits);
        $ttlMs = LeaseArguments::ttlSeconds($ttl) * 1000;
        $label = LeaseArguments::label($label);
        $me = LocalProcess::current();
        $token = bin2hex(random_bytes(16));
        $keys = [];
        for ($attempt = 0; $attempt < self::ATTEMPTS; $attempt++) {
            $keys = $this->keys->read(array_keys($limits), $limits);
            $lined = $ref > 0 && DatabaseReservations::anyWaiting($keys);
            if ($lined) {
                $reservation = DatabaseReservations::reservationOf($keys, $ref, $this->scope());
                if ($reservation !== null) {
                    if ($this->reservations->convertReservation($reservation, $token, $limits, $ttlMs, $label, $me, $ref, $taking)) {
                        $this->remember($token, DatabaseReservations::slotsOf($keys, $reservation));
                        $first = $keys[array_key_first($keys)]->ticketFirstMs[$reservation] ?? null;
                        return new Lease($token, $limits, null, $first !== null ? max(0, $keys[array_key_first($keys)]->nowMs - $first) : Lease::WAIT_NOT_KNOWN);
                    }
                    $short = $buckets !== [] ? $this->buckets->refusal($buckets) : null;
                    if ($short !== null) {
                        // Its budget is short: the reserved slots go on to the next ticket now, not at their expiry.
                        $this->handOffs->handOff($this->reservations->giveBack($reservation), $limits);
                        return $short;
                    }
                    continue; // it lapsed or was cancelled meanwhile: read again
                }
            }
            $claims = [];
            foreach ($limits as $key => $limit) {
                $key = (string) $key;
                $slot = $this->pickSlot($keys, $key, $limit, $me);
                if ($slot === null) {
                    $this->keys->throttled($key, $limit);
                    if ($lined) {
                        $this->reservations->ticketShowedUp($ref);
                    }
                    return new Refusal($key, $limit, $keys[$key]->taken());
                }
                $claims[$key] = [$slot, $keys[$key]->taken() + 1, $keys[$key]->slots[$slot]->limit];
            }
            if ($this->keys->claim($token, $claims, $limits, $ttlMs, $label, $me, $ref, $this->scope(), $taking)) {
                $hadTicket = $lined && $this->reservations->ticketServed($ref);
                $this->remember($token, DatabaseReservations::anyWaiting($keys) ? array_map(static fn (array $c): int => $c[0], $claims) : null);
                return new Lease($token, $limits, null, $hadTicket ? Lease::WAIT_NOT_KNOWN : Lease::NO_TICKET);
            }
            $short = $buckets !== [] ? $this->buckets->refusal($buckets) : null;
            if ($short !== null) {
                return $short; // a held ticket stays held: its action comes back when the bucket has refilled
            }
            // A concurrent acquirer took a chosen slot first (or a deadlock rolled the claim back): read again.
        }
        // Lost every race: each time, the slots we saw free were taken before our claim (a key churning at its limit).
        $first = (string) array_key_first($limits);
        $this->keys->throttled($first, $limits[$first]);
        return new Refusal($first, $limits[$first], max($keys[$first]->taken(), $limits[$first]));
    }

    public function release(Lease $lease): bool
    {
        return $this->freeToken($lease->token, array_map('strval', array_keys($lease->limits)), $lease->limits);
    }

    public function renew(Lease $lease, int $ttl): bool
    {
        $ttlMs = LeaseArguments::ttlSeconds($ttl) * 1000;
        return $this->updateHeld($lease->token, 'expires_ms = ' . DatabaseSql::NOW_MS . ' + ' . $ttlMs);
    }

    public function requestStarted(Lease $lease, int $maxSeconds, int $renewTtl = 0): bool
    {
        if ($maxSeconds < 1 || $maxSeconds > LeaseArguments::MAX_REQUEST_SECONDS) {
            throw new \ValueError('a provider request may be open 1 to ' . LeaseArguments::MAX_REQUEST_SECONDS . " seconds, not $maxSeconds");
        }
        $renew = $renewTtl > 0 ? 'expires_ms = ' . DatabaseSql::NOW_MS . ' + ' . (LeaseArguments::ttlSeconds($renewTtl) * 1000) . ', ' : '';
        return $this->updateHeld($lease->token, $renew . 'request_until_ms = ' . DatabaseSql::NOW_MS . ' + ' . ($maxSeconds * 1000));
    }

    public function requestFinished(Lease $lease): bool
    {
        return $this->updateHeld($lease->token, 'request_until_ms = 0');
    }

    protected function lineRecords(): LineRecords
    {
        return $this->line;
    }

    public function operatorView(): OperatorView
    {
        return $this;
    }

    public function keys(): array
    {
        return $this->keys->status($this->lineAvailable());
    }

    public function releaseToken(string $token): bool
    {
        if (!LeaseArguments::isToken($token)) {
            return false;
        }
        return $this->freeToken($token, null, []);
    }

    /**
     * Gives a lease's slots back in ONE statement, which also tells whether
     * tickets wait for one of its keys (their key rows then count the hit, and
     * the rows changed exceed the lease's keys): only then is the slot handed on.
     * A lease taken while tickets waited for its keys first tries to hand its
     * slots straight to the next ticket (DatabaseHandOff::handOver(): one read,
     * one UPDATE that releases and reserves).
     *
     * @param list<string>|null $keys  the lease's keys (null: read them first)
     * @param array<string,int> $limits
     */
    private function freeToken(string $token, ?array $keys, array $limits): bool
    {
        $slots = $this->held[$token] ?? null;
        unset($this->held[$token]);
        if ($slots !== null && $keys !== null) {
            $handedOver = $this->handOffs->handOver($token, $slots);
            if ($handedOver) {
                return true;
            }
        }
        [$keysTable, $slotsTable] = DatabaseSql::tables();
        if ($keys === null) {
            $keys = array_values(array_map('strval', array_column($this->sql->read("SELECT lease_key FROM {$slotsTable} WHERE token = '{$token}'"), 'lease_key')));
            if ($keys === []) {
                return false;
            }
        }
        $changed = $this->sql->write(
            "UPDATE {$slotsTable} s LEFT JOIN {$keysTable} k ON k.lease_key = s.lease_key"
            . " SET s.token = '', s.request_until_ms = 0, s.ref = 0, s.reserved = 0, s.gen = s.gen + 1, s.released = s.released + 1,"
            . " k.line_hits = k.line_hits + (k.waiting > 0) WHERE s.token = '{$token}'",
        );
        if ($changed > count($keys)) {
            $this->handOffs->handOff($keys, $limits);
        }
        return $changed > 0;
    }

    public function reset(string $key): int
    {
        return $this->reclaims->reset($key);
    }

    public function sweep(): int
    {
        return $this->reclaims->sweep($this->lineAvailable(), $this->scope());
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
            if ($why !== null && $this->reclaims->reclaim($row, $why)) {
                foreach ($keys as $other) {
                    $other->freeToken($token);
                }
            }
        }
        $free = $slots->freeWithin($limit);
        return $free !== [] && $slots->taken() < $limit ? $free[array_rand($free)] : null;
    }

    private function updateHeld(string $token, string $assignment): bool
    {
        if (!LeaseArguments::isToken($token)) {
            return false;
        }
        [, $slotsTable] = DatabaseSql::tables();
        // gen changes on every call, so a write that sets the same values still counts as a change.
        return $this->sql->write("UPDATE {$slotsTable} SET {$assignment}, gen = gen + 1 WHERE token = '{$token}'") > 0;
    }

    /** @param array<string, int>|null $slots where tickets waited for its keys: its slots (key => slot number) */
    private function remember(string $token, ?array $slots): void
    {
        $this->held[$token] = $slots;
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
}
