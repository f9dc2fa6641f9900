// The operations on the shared lease table. Every public call takes the
// segment's robust mutex once and touches only the records of the keys it
// names (plus, rarely, a reclaim pass), so the hot path stays a few dozen ns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/clock.hpp"
#include "sluice/layout.hpp"
#include "sluice/rate_bucket.hpp"
#include "sluice/scope.hpp"
#include "sluice/segment.hpp"
#include "sluice/token.hpp"

namespace sluice {

struct Grant {
    uint32_t lease_index;
    Token token;
    // How long the action waited in line before this grant (since its
    // ticket's first deferral); -1: it had no ticket.
    int64_t waited_ns = -1;
};

// Slot: a key had no free slot (limit, active). Rate: the slots were free but
// a bucket (SlotRequest::takes) cannot give its tokens yet.
enum class RefusalKind : uint32_t { Slot = 0, Rate = 1 };

// Why an acquire was refused: the first key that had no free slot or, when
// every slot was free, the first bucket that has to refill first.
struct Refusal {
    uint32_t key_index;
    uint32_t limit;
    uint32_t active;
    RefusalKind kind = RefusalKind::Slot;
    int64_t retry_after_ns = 0;  // Rate: when the take would be allowed (refill or the provider's pause)
    double level = 0;            // Rate: tokens in the bucket now
};

// One bucket an acquire takes tokens from, together with its slots (all or
// nothing): `tokens` from the bucket of key `key_index` (its RateRecord; a
// key's bucket and its slots are apart, so a bucket key may name slots too).
// spec.rate 0: the rate and burst learned from the provider (bucket_observe),
// or no budget when none was learned.
struct BucketTake {
    uint32_t key_index;
    double tokens;
    BucketSpec spec;
};

struct AcquireResult {
    bool acquired;
    Grant grant;      // valid when acquired
    Refusal refusal;  // valid when not
};

struct SlotRequest {
    const uint32_t* keys;    // resolved key indices (see resolve_key)
    const uint32_t* limits;  // one per key, 1..slots_per_key
    size_t count;            // 1..kMaxKeysPerLease, no duplicates
    int64_t ttl_ns;          // > 0
    std::string_view label;  // truncated to kMaxLabelBytes
    int64_t ref = 0;         // the holder's action, reported if it dies (take_stranded); 0: none
    Scope scope{};           // the holder's scope: try_acquire_for finds only this scope's ticket
    const BucketTake* takes = nullptr;  // buckets taken with the slots (0..kMaxBucketsPerTake, distinct keys)
    size_t take_count = 0;
};

// How this process runs the line's hand-offs (not part of the segment).
struct LinePolicy {
    int64_t aging_ns = 90 * int64_t(1000000000);        // weight reaches kMaxWeight after this wait
    int64_t reservation_ns = 10 * int64_t(1000000000);  // a hand-off keeps the slot this long
};

// enqueue(): one deferred action of a key set.
struct LineRequest {
    const uint32_t* keys;    // resolved key indices, as in SlotRequest
    const uint32_t* limits;
    size_t count;
    int64_t ref;             // >= 1
    std::string_view tenant; // up to kMaxTenantBytes
    uint32_t weight;         // 1..kMaxWeight
    int64_t first_deferred_unix;  // unix seconds; 0: now
    Scope scope{};           // the ticket's: only this scope finds, moves or cancels it
    // The action waits for a rate budget, not a slot: its ticket keeps its
    // place and age but is handed nothing until its action shows up again
    // (try_acquire_for), when the bucket has refilled.
    bool hold = false;
};

struct EnqueueResult {
    std::string ticket;      // 32 hex characters
    bool created;            // false: a ticket of this key set already had the ref
    uint32_t ahead;          // tickets served before it that compete for its keys (estimate)
    uint32_t limit;          // the smallest limit of its keys
    int64_t mean_hold_ns;    // the largest mean hold of its keys; 0: unknown
};

struct WakeInfo {
    std::string ticket;
    int64_t ref;
    int64_t reserved_left_ns;
};

struct StrandedInfo {
    int64_t ref;
    std::string label;
    int32_t pid;
    std::string id;          // 32 hex characters: the claim, for ack_stranded / return_stranded
};

// How long a claim of take_stranded() lasts unless acked or returned (it
// also lapses as soon as the claiming process is gone).
inline constexpr int64_t kStrandedClaimNs = 300 * int64_t(1000000000);

struct LineTicketInfo {
    std::string ticket;
    int64_t ref;
    bool reserved;
    bool lapsed;
    int64_t age_ns;              // since its first deferral
    int64_t first_deferred_unix;
    int64_t reserved_left_ns;    // 0 unless reserved
    double effective_weight;
};

struct LineQueueInfo {
    std::string scope;       // format_scope()
    std::string tenant;
    uint32_t weight;
    std::vector<std::pair<std::string, uint32_t>> keys;  // name, limit
    std::vector<LineTicketInfo> tickets;                 // FIFO
};

struct HolderInfo {
    std::string token;  // public form (format_token): parse_token() turns it back
    int32_t pid;
    int64_t acquired_at_ns;
    int64_t expires_at_ns;
    std::string label;
    bool waiting;       // a waiter parked in acquire(), not a holder
    int64_t request_open_until_ns;  // 0: no provider request open (see mark_request_started)
    bool owner_dead;    // the owning process is gone (its slot drains or awaits reclaim)
    uint64_t start_time, pid_namespace;  // the owner's identity beside its pid (see owner.hpp)
    int64_t ref;        // the holder's action (SlotRequest::ref)
    bool reservation;   // a slot a hand-off keeps for a ticket (no owner)
    std::string scope;  // format_scope() of the holder (a reservation: its ticket's)
};

struct KeyInfo {
    std::string key;
    uint32_t limit, active, peak, waiters;
    uint64_t acquired, throttled, released, reclaimed_dead, reclaimed_expired;
    std::vector<HolderInfo> holders;  // holders first, then waiters
    int64_t mean_hold_ns;             // 0: unknown
    uint32_t queued, reserved;
    uint64_t wakes_sent, wakes_lapsed, wakes_missed;
    int64_t peak_since_unix;          // `peak` counts from then
};

// A key's record as read_key_record() found it.
struct KeyRecordValue {
    uint64_t version;  // 0: none yet
    std::string data;
    int32_t cap;       // the key's cap for the waiting line (KeyRecord::record_cap)
};

struct SegmentInfo {
    std::string shm_name;
    uint64_t generation, size_bytes, repairs;
    uint32_t max_keys, slots_per_key, max_leases, key_count, leases_in_use;
    uint32_t max_tickets, tickets_in_use;
    uint64_t corruption_repairs, corruption_resets;
};

struct Snapshot {
    int64_t now_ns;
    SegmentInfo segment;
    std::vector<KeyInfo> keys;
};

// What a provider said about a bucket (bucket_observe).
struct BucketObservation {
    double at_most = -1;            // tokens left at most (the level is capped there); < 0: not said
    int64_t pause_ns = 0;           // no take for this long (retry-after, nothing left until a reset)
    BucketSpec learned{};           // the budget its headers announce; rate 0: not said
};

struct BucketInfo {
    BucketSpec spec;                // the last taker's
    BucketSpec learned;
    double level;                   // now, under `spec` (or the learned one); the burst when no budget
    int64_t paused_left_ns;
    uint64_t takes, refusals;
    double tokens_taken;
};

// window_add(): `delta` to counter `field` (0..kWindowFields-1) of key `key_index`.
struct WindowAdd {
    uint32_t key_index;
    uint32_t field;
    uint64_t delta;
};

struct KeyRatesInfo {
    std::string key;
    BucketInfo bucket;
    std::vector<WindowMinute> windows;  // the minutes on record in the last kWindowMinutes, oldest first
};

// The longest provider request a lease can mark open (one day).
inline constexpr int64_t kMaxRequestSeconds = 86400;

struct SweepResult {
    uint32_t reclaimed_dead = 0;
    uint32_t reclaimed_expired = 0;
};

// The rules for a key name: 1 to kMaxKeyBytes bytes, no NUL byte. Throws
// InvalidArgument saying which is broken. Takes no lock and touches no
// segment, so callers can check every key of a request before creating any.
void check_key(std::string_view key);

class WakeList;

class LeaseTable {
public:
    explicit LeaseTable(const Segment& segment, LinePolicy policy = {}) : segment_(segment), policy_(policy) {}
    void set_line_policy(LinePolicy policy) { policy_ = policy; }
    const LinePolicy& line_policy() const { return policy_; }

    // Index of the record for `key`, created on first use. Throws
    // InvalidArgument for an empty, oversized or NUL-containing key and
    // CapacityError when every key record is taken.
    uint32_t resolve_key(std::string_view key);

    // All-or-nothing over the request's keys, in one lock hold. Reclaims
    // expired leases and leases of dead owners from a full key before refusing.
    AcquireResult try_acquire(const SlotRequest& request);

    // Like try_acquire, but sleeps (futex, no polling) up to timeout_ns for a
    // slot. Waiters are visible in snapshots and woken when a slot frees.
    AcquireResult acquire(const SlotRequest& request, int64_t timeout_ns);

    // False when the lease is no longer held (already released, reclaimed or reset).
    bool release(uint32_t lease_index, const Token& token);
    bool renew(uint32_t lease_index, const Token& token, int64_t ttl_ns);
    bool is_held(uint32_t lease_index, const Token& token);

    // The holder has started a provider request that may run up to
    // max_seconds (1..kMaxRequestSeconds, else InvalidArgument). Should the
    // holder die, its slot drains: it stays taken until that deadline (the
    // provider may still be serving the orphaned request), then is reclaimed.
    // A later call replaces the deadline. The TTL is unchanged and still
    // reclaims regardless; release and reset still free at once.
    // False when the lease is not held (as release).
    bool mark_request_started(uint32_t lease_index, const Token& token, int64_t max_seconds);
    // The request answered: a dead holder's slot is reclaimed at once again.
    bool mark_request_finished(uint32_t lease_index, const Token& token);

    // ---- The waiting line (waiting_line.cpp) ----

    // try_acquire for action `request.ref`: a live (or not yet reclaimed)
    // reservation of its ticket becomes its lease; a waiting ticket acquires
    // as usual and leaves the line when granted (when refused, a lapsed
    // ticket may be handed a slot again); with no ticket, try_acquire.
    AcquireResult try_acquire_for(const SlotRequest& request);
    // acquire() for action `request.ref` (at least 1): each try is
    // try_acquire_for's, so a reservation the line makes for its ticket while
    // it sleeps is taken as soon as the release that made it wakes it, as a
    // slot left free is; the lease remembers `ref` (take_stranded).
    AcquireResult acquire_for(const SlotRequest& request, int64_t timeout_ns);

    // Puts action `ref` in the line of its key set, or finds its ticket (a
    // lapsed one becomes eligible again). CapacityError when full.
    EnqueueResult enqueue(const LineRequest& request);

    // By ticket text (InvalidArgument when malformed); false: no such
    // ticket in `scope` (another scope's ticket is not touched).
    bool ticket_set_ref(const Scope& scope, std::string_view ticket, int64_t ref);
    bool ticket_cancel(const Scope& scope, std::string_view ticket);
    bool wake_missed(const Scope& scope, std::string_view ticket);

    // Pops up to `max` wakes of `scope` (dropping those whose reservation is
    // gone); other scopes' wakes stay for their own processes.
    std::vector<WakeInfo> take_wakes(const Scope& scope, size_t max);

    // Claims up to `max` stranded actions of `scope` for `claim_ns` (or until
    // this process dies): others do not see them meanwhile. ack_stranded()
    // drops one that was dealt with, return_stranded() puts one back at once;
    // a claim that lapses puts it back by itself. False: no such claim (acked,
    // returned, lapsed and taken by another, overwritten, another scope's);
    // InvalidArgument for a malformed id.
    std::vector<StrandedInfo> take_stranded(const Scope& scope, size_t max, int64_t claim_ns = kStrandedClaimNs);
    bool ack_stranded(const Scope& scope, std::string_view id);
    bool return_stranded(const Scope& scope, std::string_view id);

    // Every queue in service order (the next one served first), tickets FIFO.
    std::vector<LineQueueInfo> line();

    // ---- Key records (key_record.cpp) ----

    // The key's record: version 0 and no data when it has none (an unknown
    // key is not created). InvalidArgument for a key check_key() refuses.
    KeyRecordValue read_key_record(std::string_view key);
    // Writes `data` (at most kMaxRecordBytes, else InvalidArgument) as the
    // key's record if it is still at `version`, which then goes up by one;
    // false when it is at another version. Creates the key record (as
    // resolve_key(), with its CapacityError when the table is full). With
    // `set_cap`, the key's cap for the waiting line becomes `cap` in the same
    // step (see KeyRecord::record_cap); a freed or raised capacity is handed on.
    bool write_key_record(std::string_view key, uint64_t version, std::string_view data, bool set_cap = false,
                          int32_t cap = 0);

    // ---- Rate budgets and capacity counters (key_rates.cpp) ----

    // Tokens back into the key's bucket (a refund, tokens > 0) or out of it
    // (an extra charge, tokens < 0), under the rate and burst its last taker
    // gave. A key whose bucket has no budget is left as it is.
    BucketInfo bucket_adjust(uint32_t key_index, double tokens);
    // The provider's word on the bucket: caps its level, pauses it, and
    // records the budget its headers announce.
    BucketInfo bucket_observe(uint32_t key_index, const BucketObservation& word);
    // Adds to the counters of the current minute (unix_minute 0: now; a
    // minute more than kWindowMinutes - 1 old is dropped). InvalidArgument
    // for a field out of range.
    void window_add(const WindowAdd* adds, size_t count, int64_t unix_minute = 0);
    // Every key's bucket and counters.
    std::vector<KeyRatesInfo> key_rates();

    // Drops every lease of `key`; returns how many. Unknown key: 0.
    uint32_t reset(std::string_view key);

    // Reclaims every expired or orphaned lease and waiter in the table.
    SweepResult sweep();

    // Every key with its holders and waiters; owner_dead is looked up after
    // the lock is released.
    Snapshot snapshot();
    SegmentInfo info() const;

private:
    friend class TableLock;

    // Runs op() under the segment's lock (defined in table_lock.hpp). Every
    // index and length read from the segment is checked before it is
    // followed; a record that fails (CorruptRecord) is never followed: the
    // table is repaired around it, as after EOWNERDEAD, and op() runs again.
    // If records keep failing, every lease and ticket is dropped (the table is
    // reset in place) and SegmentError says so.
    template <class Op>
    auto locked(Op&& op) -> decltype(op());
    static constexpr int kCorruptionRetries = 2;
    // After attempt `attempt` of locked() met `e`: repairs, or resets and throws.
    void recover_from_corruption(int attempt, const CorruptRecord& e);
    // Drops every lease, waiter, ticket and wake; keeps key names, counters
    // and the stranded ring (its entries are checked where they are read).
    void wipe_locked() noexcept;

    // The segment's counts, checked: a key's slots in use (<= slots_per_key),
    // a lease's keys (1..kMaxKeysPerLease), the key records in use (<= max_keys).
    uint32_t active_of(const KeyRecord* k) const;
    uint32_t keys_of(const LeaseRecord* rec) const;
    uint32_t key_count() const;
    // Appends lease `index` to key k's slots (CorruptRecord when they are full).
    void push_slot(KeyRecord* k, uint32_t index);
    // A label or key name of at most `max` bytes, or CorruptRecord.
    static std::string_view text_of(const char* bytes, uint32_t len, size_t max, const char* what);

    // A Waiting record: a process parked in acquire() (see register_waiter).
    struct WaiterHandle {
        uint32_t index;
        Token token;
    };

    LeaseRecord* lease(uint32_t index) const { return segment_.lease(index); }
    // The index of `key`'s record, or kNoKey; under the lock.
    static constexpr uint32_t kNoKey = 0xffffffffu;
    uint32_t find_key_locked(std::string_view key) const;
    KeyRecord* key(uint32_t index) const { return segment_.key(index); }
    bool holds(uint32_t lease_index, const Token& token) const;

    void validate(const SlotRequest& request) const;
    AcquireResult try_acquire_locked(const SlotRequest& request, const Token& token, int64_t now,
                                     bool count_throttle, WakeList& wake);
    AcquireResult try_acquire_for_locked(const SlotRequest& request, const Token& token, int64_t now,
                                         bool count_throttle, WakeList& wake);
    // acquire()'s sleep and retries around one kind of try (try_acquire_locked or try_acquire_for_locked).
    template <typename Try>
    AcquireResult acquire_waiting(const SlotRequest& request, int64_t timeout_ns, Try attempt);
    uint32_t take_free_record(WakeList& wake);
    void fill_owner(LeaseRecord* record, const Token& token, int64_t now, int64_t ttl_ns, std::string_view label,
                    const Scope& scope);
    // The limit an acquirer asked for; another than the last one restarts the peak.
    void note_limit(KeyRecord* k, uint32_t limit);
    // Puts a record back on the free list: a barrier, then state = Free (the
    // commit point), then the link. The caller has already undone what the
    // record stood for (slots, waiter count) and keeps leases_in_use.
    void push_free(uint32_t index);

    // Reservation: a reservation given back by its ticket's cancel (no
    // counters); every other reason lapses a reservation back to waiting.
    enum class FreeReason { Released, Dead, Expired, Reset, Reservation };
    void free_lease(uint32_t lease_index, FreeReason reason, WakeList& wake);
    WaiterHandle register_waiter(uint32_t key_index, const Token& token, int64_t now, int64_t deadline,
                                 std::string_view label, WakeList& wake);
    // Frees the waiter's record if it is still that waiter's (a sweep may
    // have reclaimed it meanwhile, and it may be someone else's now).
    void free_waiter(const WaiterHandle& waiter);
    void free_waiter_record(uint32_t index);
    // Frees Waiting records of `key_index` whose owner died or that expired.
    void reclaim_waiters(uint32_t key_index, int64_t now);
    int64_t earliest_expiry(uint32_t key_index) const;

    // Frees expired and orphaned leases holding `key_index`.
    void reclaim_key(uint32_t key_index, int64_t now, WakeList& wake);
    // Keep: the owner lives, or it died with a provider request still open
    // (the slot drains until the request's deadline). Expired: past the TTL,
    // whatever else. Dead: the owner is gone and nothing is open.
    enum class OwnerCheck { Keep, Expired, Dead };
    OwnerCheck check_owner(LeaseRecord* record, int64_t now);
    bool set_request_deadline(uint32_t lease_index, const Token& token, int64_t until_ns);
    SweepResult sweep_locked(int64_t now, WakeList& wake);

    Snapshot snapshot_records();  // snapshot() but owner_dead, in one lock hold

    // After EOWNERDEAD or a CorruptRecord: rebuilds every derived structure
    // from the lease and ticket records, dropping records that fail a check;
    // if the records change under it (a writer outside the lock), wipes.
    void repair_locked() noexcept;
    void repair_records_locked();
    void repair_line_locked();

    // Buckets of an acquire (key_rates.cpp). buckets_refuse(): false when
    // every take may go now; else fills `why` with the first that must wait
    // (counted as a refusal on its record when `count`). buckets_take(): takes them.
    bool buckets_refuse(const SlotRequest& r, int64_t now, Refusal& why, bool count);
    void buckets_take(const SlotRequest& r, int64_t now);
    BucketInfo bucket_info(const RateRecord* rec, int64_t now) const;
    // The reservation of ticket `ti` becomes the caller's lease if its buckets
    // allow; else the reservation is given back (the ticket waits again,
    // lapsed, and the slot goes to the next ticket) and the refusal says why.
    AcquireResult claim_reservation(uint32_t ti, const SlotRequest& r, const Token& token, int64_t now,
                                    WakeList& wake);
    // A waiting ticket whose action waits for a rate budget: no hand-off
    // until its action shows up again (as a lapsed one).
    void hold_ticket(uint32_t ti);

    // The line's internals (waiting_line.cpp).
    TicketRecord* ticket(uint32_t index) const { return segment_.ticket(index); }
    QueueRecord* queue(uint32_t index) const { return segment_.queue(index); }
    // Runs the hand-off when a slot freed while tickets were ready.
    void finish_locked(WakeList& wake) {
        if (__builtin_expect(segment_.header()->handoff_pending != 0, 0)) hand_off_locked(monotonic_ns(), wake);
    }
    void hand_off_locked(int64_t now, WakeList& wake);
    bool reserve_locked(uint32_t queue_index, uint32_t ticket_index, double finish, double start, int64_t now,
                        WakeList& wake);
    // The reservation of a lease freed for `reason`: its ticket waits again (lapsed).
    void lapse_reservation(uint32_t lease_index, FreeReason reason);
    uint32_t find_ticket(int64_t ref, const uint16_t* sorted_keys, uint32_t count, const Scope& scope) const;
    // kNoTicket when it names no live ticket of `scope`.
    uint32_t parse_ticket(std::string_view text, const Scope& scope) const;
    // The stranded entry a claim id names, if `scope` holds that claim; nullptr if not.
    StrandedEntry* claimed_stranded(const Scope& scope, std::string_view id) const;
    void drop_dealt_with_stranded();  // advances the ring's tail over dropped entries
    void repair_stranded_locked() noexcept;  // drops entries that fail a check, then the same
    void remove_ticket(uint32_t index);
    // The one place a ticket joins the tail of its queue, with its counts
    // (enqueue, and the repair that rebuilds the queues).
    void append_ticket(uint32_t index);
    void make_ready(uint32_t index);
    void hash_insert(uint32_t index);
    void hash_remove(uint32_t index);
    void link_queue(uint32_t index);
    void free_queue(uint32_t index);
    void push_stranded(const LeaseRecord* rec);
    // Turns ticket `t`'s reservation into the caller's lease.
    AcquireResult convert_reservation(uint32_t t, const SlotRequest& request, const Token& token, int64_t now);
    double effective_weight(uint32_t weight, int64_t waited_ns) const;
    // Queue `qi` after checking every field that is followed (weight, keys, limits, tenant length).
    QueueRecord* checked_queue(uint32_t qi) const;
    uint32_t queue_keys(const QueueRecord* q) const;  // its key count, 1..kMaxKeysPerLease
    // The first ticket of the queue that can be handed a slot; kNoTicket if none.
    uint32_t first_ready(const QueueRecord* q) const;
    bool has_room(const QueueRecord* q) const;

    const Segment& segment_;
    LinePolicy policy_;
};

}  // namespace sluice
