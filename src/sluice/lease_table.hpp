// The operations on the shared lease table. Every public call takes the
// segment's robust mutex once and touches only the records of the keys it
// names (plus, rarely, a reclaim pass), so the hot path stays a few dozen ns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/layout.hpp"
#include "sluice/segment.hpp"
#include "sluice/token.hpp"

namespace sluice {

struct Grant {
    uint32_t lease_index;
    Token token;
};

// Why an acquire was refused: the first key that had no free slot.
struct Refusal {
    uint32_t key_index;
    uint32_t limit;
    uint32_t active;
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
};

struct KeyInfo {
    std::string key;
    uint32_t limit, active, peak, waiters;
    uint64_t acquired, throttled, released, reclaimed_dead, reclaimed_expired;
    std::vector<HolderInfo> holders;  // holders first, then waiters
};

struct SegmentInfo {
    std::string shm_name;
    uint64_t generation, size_bytes, repairs;
    uint32_t max_keys, slots_per_key, max_leases, key_count, leases_in_use;
};

struct Snapshot {
    int64_t now_ns;
    SegmentInfo segment;
    std::vector<KeyInfo> keys;
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
    explicit LeaseTable(const Segment& segment) : segment_(segment) {}

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

    // A Waiting record: a process parked in acquire() (see register_waiter).
    struct WaiterHandle {
        uint32_t index;
        Token token;
    };

    LeaseRecord* lease(uint32_t index) const { return segment_.lease(index); }
    KeyRecord* key(uint32_t index) const { return segment_.key(index); }
    bool holds(uint32_t lease_index, const Token& token) const;

    void validate(const SlotRequest& request) const;
    AcquireResult try_acquire_locked(const SlotRequest& request, const Token& token, int64_t now,
                                     bool count_throttle, WakeList& wake);
    uint32_t take_free_record(WakeList& wake);
    void fill_owner(LeaseRecord* record, const Token& token, int64_t now, int64_t ttl_ns, std::string_view label);
    // Puts a record back on the free list: a barrier, then state = Free (the
    // commit point), then the link. The caller has already undone what the
    // record stood for (slots, waiter count) and keeps leases_in_use.
    void push_free(uint32_t index);

    enum class FreeReason { Released, Dead, Expired, Reset };
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

    // After EOWNERDEAD: rebuilds every derived structure from the lease records.
    void repair_locked() noexcept;

    const Segment& segment_;
};

}  // namespace sluice
