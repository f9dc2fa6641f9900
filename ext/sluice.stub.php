<?php

/**
 * Sluice: host-wide concurrency slots for PHP, in shared memory.
 *
 * Every PHP process of the host (PHP-FPM workers, CLI queue runners) that loads
 * this extension with the same `sluice.segment` sees one table of keys. A key has
 * a limit; a lease takes one slot on each of up to four keys, all or nothing.
 * Leases of dead processes and leases past their TTL are reclaimed by the next
 * acquire; leases still held at request end are released by the extension.
 *
 * Regenerate sluice_arginfo.h with tools/gen-arginfo after editing this file.
 *
 * @generate-class-entries
 */

namespace Sluice {

    /**
     * The layout version of the shared segment this build reads and writes. It
     * is part of the segment's name (see segment_path()), so builds of different
     * layouts never share a segment.
     *
     * @var int
     * @cvalue SLUICE_LAYOUT_VERSION
     */
    const LAYOUT_VERSION = UNKNOWN;

    /**
     * A set of keys with their limits, and the TTL of the leases it grants.
     *
     * Construct it once per request (or keep it in a static) and call
     * tryAcquire() or acquire() for each unit of work. The key records are
     * resolved in the shared segment once and cached; the cache follows a
     * recreate_segment() by any process of the host.
     *
     * @strict-properties
     * @not-serializable
     */
    final class Limiter
    {
        /**
         * @param array $limits 1 to 4 keys (string => int limit), e.g.
         *        `['site' => 3, 'provider:openai' => 1]`. A key is 1 to 64 bytes without
         *        NUL bytes (integer array keys are taken as their decimal string);
         *        a limit is 1 to the segment's slots per key (`sluice.max_slots_per_key`).
         *        A lease takes one slot on every key, or none.
         * @param int $ttl Lease lifetime in seconds; 0 means `sluice.default_ttl`.
         *        A lease past its TTL is reclaimed by the next acquire that finds
         *        its keys full; renew() extends it.
         * @param string $scope Who this limiter's leases and tickets belong to:
         *        `"<install>/<blog>"` (install: 1 to 16 letters, digits, '-', '_'
         *        or '.', e.g. a hash of the WordPress install; blog: 0 to
         *        4294967295, in decimal without leading zeros), or `""` outside
         *        WordPress. Action ids are unique only per blog while the segment
         *        is shared by every blog and install of the host, so the waiting
         *        line matches tickets, wakes and stranded records on the scope
         *        too: tryAcquireFor() finds only this scope's ticket, enqueue()
         *        files the ticket under it, and a holder that dies leaves its
         *        stranded record to this scope alone. Stored in the segment as
         *        16 zero-padded bytes and a uint32.
         * @param array $buckets 0 to 4 token buckets (rate budgets) taken in
         *        the same all-or-nothing call as the slots: key => `['rate' =>
         *        tokens per second, 'burst' => the most tokens the bucket holds,
         *        'tokens' => what one acquire takes (default 1)]`, e.g.
         *        `['rpm:openai' => ['rate' => 0.475, 'burst' => 1.5]]`. Numbers
         *        are 0 to 1e9; a rate of 0 uses the budget learned from the
         *        provider (bucket_observe()), or none. A bucket refills lazily
         *        from the host's monotonic clock; an acquire is granted only
         *        when every slot is free and every bucket holds its tokens
         *        (or, for a take larger than the burst, is full: the take then
         *        leaves a debt). A bucket's key is a key record of its own
         *        beside the slot keys (`status()` lists it; key_rates() shows
         *        the bucket).
         * @throws \ValueError for an empty or oversized `$limits`, a bad key, a limit out of range, a negative TTL,
         *         a malformed scope, or a bucket with a bad key or numbers out of range
         * @throws \TypeError for a limit that is not an int, or a bucket that is not an array of numbers
         * @throws CapacityException when the segment has no free key record for a new key
         * @throws SegmentException when the shared segment cannot be used (see the message)
         */
        public function __construct(array $limits, int $ttl = 0, string $scope = '', array $buckets = []) {}

        /**
         * Takes one slot on every key at once, without waiting.
         *
         * @param string $label Shown beside the lease in status() (job id, flow step,
         *        provider); truncated to 96 bytes.
         * @param array $tokens key => tokens this acquire takes from that bucket
         *        (one of the constructor's `$buckets`) instead of its `tokens`,
         *        e.g. `['tpm:openai' => 1800]`: 0 to 1e9
         * @return Lease|null The lease, or null when any key is at its limit or
         *         a bucket must refill first (then lastRefusal() tells which one).
         * @throws \ValueError for a `$tokens` key that is not one of the buckets, or a count out of range
         * @throws CapacityException when every lease record of the segment is taken
         * @throws SegmentException when the shared segment cannot be used
         */
        public function tryAcquire(string $label = '', array $tokens = []): ?Lease {}

        /**
         * Like tryAcquire(), but waits up to `$timeoutMs` for a slot. The wait sleeps
         * on a futex and is woken as soon as a holder releases; it does not count
         * towards max_execution_time. With `$ref` (an action id), each try is
         * tryAcquireFor()'s: a reservation the waiting line makes for that action's
         * ticket while it sleeps (the release that freed the slot wakes it) becomes
         * its lease at once, and the lease remembers `$ref` for take_stranded().
         *
         * A bucket that must refill first is waited for by sleeping until it
         * will have refilled (or the timeout).
         *
         * @param int $timeoutMs 0 to 600000 milliseconds; 0 tries once.
         * @param array $tokens as for tryAcquire()
         * @param int $ref 0, or the action id whose ticket's reservation it may take
         * @return Lease|null null when no slot freed in time
         * @throws \ValueError for a timeout out of range, bad `$tokens` or a negative `$ref`
         * @throws CapacityException when every lease record of the segment is taken
         * @throws SegmentException when the shared segment cannot be used
         */
        public function acquire(int $timeoutMs, string $label = '', array $tokens = [], int $ref = 0): ?Lease {}

        /**
         * Why the last tryAcquire() or acquire() of this limiter returned null.
         *
         * @return array{key: string, limit: int, active: int, kind: string, retry_after_ms: int, level: float}|null
         *         `kind` 'slot': `key` is the first full key, with its limit and
         *         the leases it had; 'rate': every slot was free but the bucket
         *         `key` holds only `level` tokens (or the provider paused it),
         *         and the take would be allowed in `retry_after_ms` (limit and
         *         active are 0). null if the last call was granted (or none was
         *         made yet)
         */
        public function lastRefusal(): ?array {}

        /**
         * tryAcquire() for Action Scheduler action `$ref` (the waiting line). If a
         * ticket of this key set and this limiter's scope has ref `$ref` and holds a reservation (a slot a
         * hand-off kept for it), the reservation becomes the caller's lease (TTL
         * the limiter's, label as given) and the ticket leaves the line; if its
         * ticket is waiting, acquires as usual and on success the ticket leaves
         * the line (refused, a lapsed ticket becomes eligible for a hand-off
         * again: its action showed up); with no ticket, exactly tryAcquire().
         * The lease remembers `$ref` and the scope: should its holder die,
         * take_stranded() of that scope reports it.
         *
         * With buckets: a reservation becomes the lease only if the buckets
         * hold their tokens; if not, the reservation is given back at once (the
         * slot goes to the next ticket) and the ticket waits, handed nothing
         * until its action shows up again. A waiting ticket refused for a
         * bucket is held the same way (see enqueue()'s `$hold`).
         * Lease::waitedMs() of a lease granted here tells how long the action
         * waited in line.
         *
         * @param int $ref the action id, at least 1
         * @param array $tokens as for tryAcquire()
         * @return Lease|null null when no slot (lastRefusal() tells which key)
         * @throws \ValueError for `$ref` below 1, or bad `$tokens`
         * @throws CapacityException when every lease record of the segment is taken
         * @throws SegmentException when the shared segment cannot be used
         */
        public function tryAcquireFor(int $ref, string $label = '', array $tokens = []): ?Lease {}

        /**
         * Puts action `$ref` in this key set's waiting line under `$tenant`, in
         * this limiter's scope, or finds its ticket if one of the scope already
         * has this ref (then weight and tenant
         * stay as they were, and a lapsed ticket is eligible for a hand-off
         * again). When a slot of these keys frees, the line hands it to the
         * next ticket whose keys all have room, in weighted fair order across
         * tenants (a ticket's weight rises with its wait and reaches 100 after
         * `sluice.aging_seconds`), reserves it for `sluice.reservation_ms` and
         * pushes a wake (take_wakes()).
         *
         * @param int $ref the action id (its current Action Scheduler copy), at least 1
         * @param string $tenant who the work is for (e.g. the flow id), up to 64 bytes
         * @param int $weight 1 to 100
         * @param int $firstDeferredAt unix seconds of the work's first deferral; 0 = now
         * @param bool $hold the action waits for a rate budget, not a slot: its
         *        ticket keeps its place and age but is handed no slot until the
         *        action shows up again (tryAcquireFor()); false re-confirms a
         *        held or lapsed ticket
         * @return array{ticket: string, new: bool, ahead: int, limit: int, mean_hold_ms: int}
         *         `ticket`: 32 hex characters; `ahead`: tickets ahead of it in
         *         service order competing for these keys (an estimate); `limit`:
         *         the smallest limit of the keys; `mean_hold_ms`: the largest mean
         *         hold time of the keys (0 if unknown)
         * @throws \ValueError for `$ref` below 1, a tenant over 64 bytes, a weight outside 1..100
         *         or a negative `$firstDeferredAt`
         * @throws CapacityException when the line is full (`sluice.max_tickets`)
         * @throws SegmentException when the shared segment cannot be used
         */
        public function enqueue(int $ref, string $tenant, int $weight = 1, int $firstDeferredAt = 0, bool $hold = false): array {}

        /** @return array<string,int> the keys and limits given to the constructor */
        public function limits(): array {}

        /** @return int the lease TTL in seconds (the default TTL resolved) */
        public function ttl(): int {}
    }

    /**
     * One granted slot on each key of a Limiter. Released by release(), when the
     * object is destroyed, at the end of the request (also after exit() or a
     * fatal error such as max_execution_time), or by the next acquirer if this
     * process dies or the TTL passes. Only Limiter creates leases.
     *
     * @strict-properties
     * @not-serializable
     */
    final class Lease
    {
        /** Leases come from Limiter::tryAcquire() and Limiter::acquire(). */
        private function __construct() {}

        /**
         * @return string the lease's token, 40 lowercase hex characters: the capability
         *         to release or renew it from anywhere (Sluice\release(), Sluice\renew())
         */
        public function token(): string {}

        /**
         * Gives the slots back and wakes waiters.
         *
         * @return bool false if the lease was not held any more (already released,
         *         reclaimed, reset, or the segment was recreated)
         */
        public function release(): bool {}

        /**
         * Extends the lease to `$ttl` seconds from now.
         *
         * @param int $ttl seconds, at least 1
         * @return bool false if the lease is not held any more
         * @throws \ValueError for a TTL below 1
         */
        public function renew(int $ttl): bool {}

        /** @return bool whether the shared table still holds this lease */
        public function isHeld(): bool {}

        /**
         * Marks a provider request (an HTTP call to an AI provider) as started
         * under this lease, with the longest it may take. Should this process
         * die before requestFinished() (SIGKILL, OOM, request_terminate_timeout),
         * the provider keeps serving the orphaned request, so the slot drains:
         * it stays taken until the request's start + `$maxSeconds`, then is
         * reclaimed (as `reclaimed_dead`). A later call replaces the deadline.
         * The TTL is not changed and still reclaims the lease regardless;
         * release() and Sluice\reset() still free it at once.
         *
         * @param int $maxSeconds 1 to 86400: the request's timeout
         * @return bool false if the lease is not held any more
         * @throws \ValueError for `$maxSeconds` out of range
         */
        public function requestStarted(int $maxSeconds): bool {}

        /**
         * Marks the provider request as answered (or failed): should this
         * process die now, its slot is reclaimed at once again.
         *
         * @return bool false if the lease is not held any more
         */
        public function requestFinished(): bool {}

        /** @return list<string> the keys this lease holds a slot on */
        public function keys(): array {}

        /**
         * @return int how long the action waited in the line before this lease
         *         (ms since its ticket's first deferral); -1 when it had no ticket
         */
        public function waitedMs(): int {}
    }

    /**
     * The base of every exception this extension throws (other than ValueError
     * and TypeError for bad arguments).
     */
    class Exception extends \RuntimeException {}

    /**
     * The shared segment cannot be used: invalid sluice.* INI settings, a segment
     * owned by another user or with a too permissive mode (the message names the
     * owner and mode it found and the INI lines that let PHP-FPM and CLI users
     * share one segment), a foreign or corrupt layout, no space in /dev/shm. Also
     * thrown by the one call during which records of the segment kept failing
     * their checks after two repairs: every lease and ticket was then dropped and
     * later calls work (a record that fails a check is otherwise repaired around,
     * silently but counted: segment_info()'s `corruption_repairs`). The message
     * says which and what to do.
     */
    class SegmentException extends Exception {}

    /**
     * The segment is sound but full: no free key record (sluice.max_keys) or no
     * free lease record (sluice.max_leases). Both are fixed when the segment is
     * created; raise the setting and recreate it.
     */
    class CapacityException extends Exception {}

    /**
     * Every key of the segment, with its counters and holders.
     *
     * @return array<string, array{limit: int, active: int, peak: int, peak_since: int, waiters: int,
     *         acquired: int, throttled: int, released: int, reclaimed_dead: int,
     *         reclaimed_expired: int, mean_hold_ms: int, queued: int, reserved: int,
     *         wakes_sent: int, wakes_lapsed: int, wakes_missed: int,
     *         holders: list<array{token: string, pid: int, label: string, age_ms: int,
     *         ttl_left_ms: int, waiting: bool, request_open: bool, drain_left_ms: int,
     *         owner_dead: bool, ref: int, reservation: bool, scope: string}>}>
     *         `peak`: the most slots held at once since `peak_since` (unix
     *         seconds): the key's creation, its last reset(), or the last acquire
     *         that asked for another limit than the one before (a peak reached
     *         under another limit says nothing about this one).
     *         `mean_hold_ms`: exponentially weighted mean of hold times (released
     *         leases only; 0 unknown); `queued`: waiting tickets whose key set has
     *         this key; `reserved`: reservations on it (holders with `reservation`
     *         true, pid 0); `wakes_sent`: hand-offs, `wakes_lapsed`: reservations
     *         that ran out unclaimed, `wakes_missed`: reported by wake_missed().
     *         A holder's `ref` is the action it acquired for (0: none), `scope`
     *         its limiter's scope (a reservation: its ticket's).
     *         `limit` is the limit the last acquirer asked for; `holders` lists the
     *         holders first, then the processes waiting in acquire() (`waiting` true);
     *         `ttl_left_ms` is negative for a lease past its TTL not yet reclaimed.
     *         `request_open`: a provider request marked started (Lease::requestStarted())
     *         has not finished and its deadline lies ahead; `drain_left_ms`: the ms
     *         to that deadline (0 when none), the longest the slot stays taken
     *         after its owner died; `owner_dead`: the owning process is gone (the
     *         slot drains, or waits for the next acquire or sweep() to reclaim it).
     * @throws SegmentException when the shared segment cannot be used
     */
    function status(): array {}

    /**
     * The segment this process is attached to.
     *
     * @return array{name: string, generation: int, size_bytes: int, max_keys: int,
     *         slots_per_key: int, max_leases: int, key_count: int, leases_in_use: int,
     *         repairs: int, max_tickets: int, tickets_in_use: int,
     *         corruption_repairs: int, corruption_resets: int, slots_per_key_setting: string}
     *         `name` is the POSIX shm name; `repairs` counts recoveries after a
     *         process died inside the critical section or a record failed a check;
     *         `corruption_repairs` the latter alone (a record that failed a bounds
     *         check: never followed, the table rebuilt around it) and
     *         `corruption_resets` the times repairs kept failing and every lease
     *         and ticket was dropped. `slots_per_key` is the largest limit a key
     *         can have in this segment; `slots_per_key_setting`
     *         ("sluice.max_slots_per_key") raises it for a segment created
     *         afterwards (Sluice\recreate_segment()).
     * @throws SegmentException when the shared segment cannot be used
     */
    function segment_info(): array {}

    /**
     * The file that holds a segment: `/dev/shm/sluice.v<LAYOUT_VERSION>.<name>`
     * (its init lock is the same path plus `.lock`). Scripts and tests use this
     * instead of spelling the name, which changes with the layout version.
     * Attaches to nothing.
     *
     * @param string|null $name a segment name (letters, digits, '-', '_' and '.',
     *        1 to 100 characters); null for this process's `sluice.segment`
     * @throws \ValueError for an invalid name
     * @throws SegmentException when `$name` is null and `sluice.segment` is invalid
     */
    function segment_path(?string $name = null): string {}

    /**
     * Releases a lease by its token (see Lease::token()), from any process.
     *
     * @return bool false if the lease is not held any more
     * @throws \ValueError for a malformed token
     */
    function release(string $token): bool {}

    /**
     * Extends a lease by its token to `$ttl` seconds from now.
     *
     * @return bool false if the lease is not held any more
     * @throws \ValueError for a malformed token or a TTL below 1
     */
    function renew(string $token, int $ttl): bool {}

    /**
     * Lease::requestStarted() by token, from any process.
     *
     * @return bool false if the lease is not held any more
     * @throws \ValueError for a malformed token or `$maxSeconds` out of 1 to 86400
     */
    function request_started(string $token, int $maxSeconds): bool {}

    /**
     * Lease::requestFinished() by token, from any process.
     *
     * @return bool false if the lease is not held any more
     * @throws \ValueError for a malformed token
     */
    function request_finished(string $token): bool {}

    /**
     * Drops every lease of `$key` (operator action; their holders' Lease objects
     * report isHeld() false). Counters are kept.
     *
     * @return int how many leases were dropped; 0 for an unknown key
     */
    function reset(string $key): int {}

    /**
     * Reclaims every lease of the segment whose owner died or whose TTL passed
     * (acquire does this for the keys it needs on its own).
     *
     * @return array{reclaimed_dead: int, reclaimed_expired: int}
     */
    function sweep(): array {}

    /**
     * Replaces the segment with an empty one of the next generation, sized from
     * this process's INI settings. Every process moves to it on its next call;
     * leases of the old one are simply not held any more.
     *
     * @return int the new generation
     */
    function recreate_segment(): int {}

    /**
     * The ticket's action moved to a new Action Scheduler copy.
     *
     * @param string $scope the ticket's scope (see Limiter::__construct())
     * @param string $ticket a ticket from Limiter::enqueue()
     * @param int $ref the new copy's action id, at least 1
     * @return bool false if no such ticket in `$scope` (it left the line, or
     *         it is another scope's: that one is not touched)
     * @throws \ValueError for a malformed scope or ticket or `$ref` below 1
     */
    function ticket_set_ref(string $scope, string $ticket, int $ref): bool {}

    /**
     * Takes the ticket out of the line. Its reservation, if any, is released
     * and handed on to the next ticket.
     *
     * @return bool false if no such ticket in `$scope`
     * @throws \ValueError for a malformed scope or ticket
     */
    function ticket_cancel(string $scope, string $ticket): bool {}

    /**
     * Pops up to `$max` hand-offs of `$scope`: each ticket whose reservation
     * is still held and the ref of its action, to pull forward. Wakes of
     * tickets that were claimed, cancelled or lapsed since are dropped; other
     * scopes' wakes stay for their own processes.
     *
     * @param int $max 1 to 4096
     * @return list<array{ticket: string, ref: int, reserved_left_ms: int}>
     * @throws \ValueError for a malformed scope or `$max` out of range
     */
    function take_wakes(string $scope, int $max = 64): array {}

    /**
     * The plugin could not pull the woken ticket's copy forward: counted as
     * `wakes_missed` on its keys. The reservation lapses by itself.
     *
     * @return bool false if no such ticket in `$scope`
     * @throws \ValueError for a malformed scope or ticket
     */
    function wake_missed(string $scope, string $ticket): bool {}

    /**
     * Claims up to `$max` stranded actions of `$scope`: leases acquired with
     * Limiter::tryAcquireFor() (by a limiter of that scope) whose holder died
     * (reclaimed, after any drain). Nobody else sees a claimed entry. Once its
     * work is dealt with, ack_stranded() drops it; return_stranded() puts it
     * back at once. A claim that is neither acked nor returned goes back by
     * itself: at the end of this request, when this process dies, or 300 s
     * after the claim. So an entry is dropped only once it has been dealt with
     * (the ring keeps the last 256 entries: beyond that the oldest is lost).
     *
     * @param int $max 1 to 4096
     * @return list<array{id: string, ref: int, label: string, pid: int}>
     *         `id`: 32 hex characters naming this claim
     * @throws \ValueError for a malformed scope or `$max` out of range
     */
    function take_stranded(string $scope, int $max = 64): array {}

    /**
     * The claimed stranded entry was dealt with: it is dropped.
     *
     * @param string $id an `id` from take_stranded()
     * @return bool false if `$scope` holds no such claim (acked or returned
     *         already, or its claim lapsed and another process took it)
     * @throws \ValueError for a malformed scope or id
     */
    function ack_stranded(string $scope, string $id): bool {}

    /**
     * The claimed stranded entry could not be dealt with now: it goes back, and
     * the next take_stranded() of its scope (in any process) claims it again.
     *
     * @return bool false if `$scope` holds no such claim
     * @throws \ValueError for a malformed scope or id
     */
    function return_stranded(string $scope, string $id): bool {}

    /**
     * The key's small opaque record (the WordPress plugin keeps a provider's
     * adaptive limit and circuit breaker there), with this host's wall clock.
     * A key that has no record (or is not in the segment) reads version 0 and
     * no data; reading never creates the key.
     *
     * @return array{version: int, data: string, cap: int, now_ms: int} `cap`: the key's cap for the
     *         waiting line (see key_record_cas()); `now_ms`: unix milliseconds now
     * @throws \ValueError for a key of 0 or more than 64 bytes, or with a NUL byte
     * @throws SegmentException when the shared segment cannot be used
     */
    function key_record(string $key): array {}

    /**
     * Writes `$data` as the key's record if the record is still at `$version`
     * (the version key_record() read; 0 when it had none); its version then
     * goes up by one. Compare-and-set: of two writers that read one version,
     * exactly one succeeds. Creates the key's record in the segment if needed.
     *
     * The same write may set the key's cap for the waiting line: a hand-off
     * then fills the key up to the cap instead of the limits its tickets were
     * queued under (a provider's adaptive limit moves after they were), or,
     * with -1, hands the key no slot at all (an open circuit). A cap that
     * opens or grows hands free slots to waiting tickets at once.
     *
     * @param int $version 0 or more
     * @param string $data at most 128 bytes
     * @param int|null $cap null: keep the cap; -1: no hand-off; 0: no cap; else the key's limit for hand-offs
     * @return bool false when the record is at another version (read again and redo the change)
     * @throws \ValueError for a bad key, a negative version, data over 128 bytes or a cap out of range
     * @throws CapacityException when the segment has no free key record for a new key
     * @throws SegmentException when the shared segment cannot be used
     */
    function key_record_cas(string $key, int $version, string $data, ?int $cap = null): bool {}

    /**
     * Gives tokens back to the key's bucket (a refund: the step used fewer
     * than it took) or, negative, takes more (an extra charge: it used more),
     * under the rate and burst its last acquire gave (or the learned ones).
     * The level never exceeds the burst; a charge may leave a debt. A bucket
     * without a budget is left as it is.
     *
     * @param float $tokens -1e9 to 1e9
     * @return array{rate: float, burst: float, learned_rate: float, learned_burst: float, level: float,
     *         paused_ms: int, takes: int, refusals: int, tokens_taken: float} the bucket after
     * @throws \ValueError for a bad key or a count out of range
     * @throws CapacityException when the segment has no free key record for a new key
     * @throws SegmentException when the shared segment cannot be used
     */
    function bucket_adjust(string $key, float $tokens): array {}

    /**
     * What the provider said about the budget behind the key's bucket, from
     * its rate-limit headers: `at_most` tokens are left (the bucket's level is
     * capped there; a higher figure changes nothing), no take for `pause_ms`
     * (a retry-after, or nothing left until its reset; a pause never gets
     * shorter and lasts at most an hour), and the budget it announces as
     * `learned_rate`/`learned_burst` (used by acquires whose bucket has rate 0).
     * Every entry is optional.
     *
     * @param array $word any of `at_most` (float), `pause_ms` (int), `learned_rate`, `learned_burst` (float)
     * @return array the bucket after, as bucket_adjust() returns it
     * @throws \ValueError for a bad key, an unknown entry or a number out of range
     * @throws CapacityException when the segment has no free key record for a new key
     * @throws SegmentException when the shared segment cannot be used
     */
    function bucket_observe(string $key, array $word): array {}

    /**
     * Adds to keys' capacity counters of this minute (or `$minute`): eight
     * counters per key and minute, kept for the last 16 minutes in the
     * segment (what each counts is the caller's; the WordPress plugin counts
     * arrivals, admissions, completions, hold times, waits, deferrals and
     * provider requests), all in one lock hold.
     *
     * @param array $counts key => [counter 0..7 => amount >= 0]
     * @param int $minute unix minute (unix seconds / 60); 0 = now; one more than 15 minutes old is dropped
     * @throws \ValueError for a bad key, a counter out of range or a negative amount
     * @throws CapacityException when the segment has no free key record for a new key
     * @throws SegmentException when the shared segment cannot be used
     */
    function window_add(array $counts, int $minute = 0): void {}

    /**
     * Every key's bucket and capacity counters.
     *
     * @return array<string, array{rate: float, burst: float, learned_rate: float, learned_burst: float,
     *         level: float, paused_ms: int, takes: int, refusals: int, tokens_taken: float,
     *         windows: list<array{minute: int, counts: list<int>}>}>
     *         `rate`/`burst`: the last acquire's (0: no budget); `level`: tokens
     *         in it now (negative: a debt); `paused_ms`: how long the provider's
     *         pause still lasts; `windows`: the minutes of the last 16 that have
     *         counts, oldest first
     * @throws SegmentException when the shared segment cannot be used
     */
    function key_rates(): array {}

    /**
     * The whole waiting line in service order: one entry per queue (tenant,
     * weight, key set), the queue served next first, its tickets FIFO.
     *
     * @return list<array{scope: string, tenant: string, weight: int, keys: array<string,int>,
     *         tickets: list<array{ticket: string, ref: int, state: string, age_ms: int,
     *         first_deferred_at: int, reserved_left_ms: int, effective_weight: float,
     *         lapsed: bool}>}>
     *         `state` is 'waiting' or 'reserved'; `age_ms` counts from the first
     *         deferral; `lapsed`: its reservation ran out and it waits for its
     *         action or a re-enqueue before it is handed a slot again
     */
    function line(): array {}
}

namespace Sluice\Testing {

    /**
     * Fault injection for crash tests, available only with sluice.test_hooks=1:
     * the next acquire (or Limiter::enqueue() of a new ticket, or request mark)
     * of this process stops forever inside the critical section (holding the
     * segment's mutex), so a test can SIGKILL it there.
     *
     * @throws \Sluice\Exception when sluice.test_hooks is off
     */
    function park_next_acquire_in_critical_section(): void {}
}
