// The bytes of the shared-memory segment. Every process of the host maps the
// same layout, so everything here is fixed-size, position-independent (indices,
// never pointers) and versioned: change any struct and bump kLayoutVersion,
// which is also part of the segment name, so incompatible builds never share.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sluice {

inline constexpr uint64_t kMagic = 0x31454349554c53ULL;  // "SLUICE1"
// 2: LeaseRecord::request_open_until_ns; 3: the waiting line (tickets, queues,
// wake and stranded rings), LeaseRecord::ref/ticket, KeyRecord line counters;
// 4: scopes (LeaseRecord, QueueRecord, StrandedEntry), stranded claims,
// KeyRecord::peak_since_unix, the header's corruption counters.
// 5: KeyRecord's record and cap (a small opaque per-key record, key_record.cpp).
// 6: a RateRecord per key (token bucket, per-minute capacity counters).
inline constexpr uint32_t kLayoutVersion = 6;
inline constexpr size_t kMaxKeyBytes = 64;
inline constexpr size_t kMaxLabelBytes = 96;
inline constexpr size_t kMaxKeysPerLease = 4;
inline constexpr uint32_t kNoLease = 0xffffffffu;
// The most key records, slots per key and lease records a segment can have:
// key slots and lease records name each other by 16-bit index.
inline constexpr uint32_t kMaxCapacity = 65535;
// Tickets and queues name each other by 32-bit index.
inline constexpr uint32_t kMaxTicketCapacity = 1u << 20;
inline constexpr uint32_t kNoTicket = 0xffffffffu;
inline constexpr size_t kMaxTenantBytes = 64;
inline constexpr uint32_t kMaxWeight = 100;
// Bounded rings: hand-offs waiting for a WordPress process to pull their copy
// forward, and actions whose holder died (stranded work). When full, the
// oldest entry is overwritten (a lost wake only means the reservation lapses).
inline constexpr uint32_t kWakeRingSize = 1024;
inline constexpr uint32_t kStrandedRingSize = 256;
inline constexpr size_t kMaxInstallBytes = 16;
// A key's capacity counters: one record per minute for the last kWindowMinutes
// minutes (the slot of unix minute m is m % kWindowMinutes), kWindowFields
// counters each, whose meaning is the caller's (see window_add).
inline constexpr uint32_t kWindowMinutes = 16;
inline constexpr uint32_t kWindowFields = 8;
// Buckets one acquire may take beside its slots.
inline constexpr size_t kMaxBucketsPerTake = 4;

// Who a record of the waiting line belongs to: one blog of one WordPress
// install (or, both empty, a caller outside WordPress). Action ids are unique
// only per blog, while the segment is shared by every blog of a network and
// every install of the host, so tickets, wakes and stranded records are
// matched on the scope as well as on the id. Text form "<install>/<blog>"
// (see scope.hpp); all zero is the empty scope "".
struct Scope {
    char install[kMaxInstallBytes];  // zero-padded (an install id has no NUL byte)
    uint32_t blog;
};
// The bytes of a key's record (see KeyRecord::record).
inline constexpr size_t kMaxRecordBytes = 128;

// Written once by the creator; `magic` last, so a reader that sees the magic
// sees a fully initialised segment (the creator may have died before it).
struct alignas(64) SegmentHeader {
    std::atomic<uint64_t> magic;
    uint32_t layout_version;
    uint32_t mutex_size;       // sizeof(pthread_mutex_t) of the creator's build
    uint32_t max_keys;
    uint32_t slots_per_key;
    uint32_t max_leases;
    uint32_t reserved0;
    uint64_t total_size;
    uint64_t generation;       // bumped each time the segment is recreated
    // Set on the old segment when it is replaced, so processes that still map
    // it move to the new one instead of splitting the host across two tables.
    std::atomic<uint32_t> retired;
    uint32_t key_count;        // key records [0, key_count) are in use
    uint32_t free_lease_head;  // singly linked through LeaseRecord::next_free
    uint32_t leases_in_use;
    uint64_t repairs;          // EOWNERDEAD recoveries since creation
    // The waiting line. Ticket records are the truth; queues, their lists,
    // the ref hash and every count below are derived (rebuilt by repair).
    uint32_t max_tickets;      // ticket records; as many queue records
    uint32_t ref_buckets;      // power of two >= max_tickets
    uint32_t free_ticket_head; // singly linked through TicketRecord::next
    uint32_t tickets_in_use;
    uint32_t tickets_ready;    // waiting, not lapsed: can be handed a slot
    uint32_t free_queue_head;  // singly linked through QueueRecord::next
    uint32_t queue_head;       // queues in use, doubly linked
    uint32_t queues_in_use;
    uint32_t handoff_pending;  // a slot freed while tickets were ready
    uint32_t reserved1;
    double virtual_time;       // WFQ system virtual time
    uint64_t ticket_seq;       // FIFO order within a queue
    uint64_t wake_head, wake_tail;          // pushes and pops of the wake ring
    uint64_t stranded_head, stranded_tail;  // the same for the stranded ring
    // A record that failed a bounds check: the table was repaired around it,
    // or (when repairs kept failing) every lease and ticket was dropped.
    uint64_t corruption_repairs;
    uint64_t corruption_resets;
    alignas(64) pthread_mutex_t mutex;  // robust, process-shared
};

// Fixed part of a key record; `slots_per_key` lease indices follow it.
struct KeyRecord {
    char key[kMaxKeyBytes];
    uint32_t key_len;
    uint32_t limit;            // limit the last acquirer asked for (for display)
    uint32_t active;
    uint32_t peak;
    std::atomic<uint32_t> wait_seq;  // futex word: bumped whenever a slot frees
    uint32_t waiters;
    uint64_t acquired;
    uint64_t throttled;
    uint64_t released;
    uint64_t reclaimed_dead;
    uint64_t reclaimed_expired;
    int64_t mean_hold_ns;      // EWMA (alpha 1/4) of hold times, updated on release; 0: unknown.
                               // Integer: a double decaying towards 0 would go denormal (100x slower)
    uint32_t queued;           // waiting tickets whose key set has this key
    uint32_t reserved2;
    uint64_t wakes_sent;       // hand-offs to a ticket with this key
    uint64_t wakes_lapsed;     // reservations that ran out unclaimed
    uint64_t wakes_missed;     // the plugin could not pull the copy forward
    // `peak` counts from here (unix seconds): the record's creation, the last
    // reset() of the key, or the last acquire that asked for another limit.
    int64_t peak_since_unix;
    // A small opaque record for the key (the plugin keeps a provider's adaptive
    // limit and circuit breaker there), read and compare-and-set by
    // read_key_record()/write_key_record(). record_version is the commit
    // point of a write: 0 means no record yet.
    uint64_t record_version;
    uint32_t record_len;       // <= kMaxRecordBytes (never trusted beyond it)
    // The record's writer may cap the key for the waiting line: > 0, hand-offs
    // fill the key up to this instead of the limits its tickets were queued
    // under (a provider's adaptive limit moves after they were); < 0, the line
    // hands this key no slot at all (the provider's circuit is open); 0: none.
    int32_t record_cap;
    unsigned char record[kMaxRecordBytes];
};

struct WindowMinute {
    int64_t minute;            // unix minute these counts belong to; 0: empty
    uint64_t counts[kWindowFields];
};

// Beside each key record (same index), in a region of its own: the key's token
// bucket (rate_bucket.hpp; taken together with slots, see SlotRequest::takes)
// and its capacity counters. Nothing here is derived: repair leaves it alone,
// and every value read from it is checked before use (a corrupt number only
// makes a budget wrong until the next take rewrites it, never a crash).
struct RateRecord {
    int64_t full_at_ns;        // CLOCK_MONOTONIC: the bucket is full from then on (0: full)
    int64_t paused_until_ns;   // no take before this (the provider's word)
    double rate, burst;        // the last taker's (refunds and observations use them); rate 0: no budget
    double learned_rate, learned_burst;  // from the provider's rate-limit headers (bucket_observe)
    uint64_t takes, refusals;
    double tokens_taken;
    uint64_t reserved0;
    WindowMinute windows[kWindowMinutes];
};

// Waiting records park a process inside acquire(): visible, and reclaimable
// like a lease if the waiter dies.
enum class LeaseState : uint32_t { Free = 0, Held = 1, Waiting = 2 };

// One grant, possibly over several keys (all-or-nothing).
struct LeaseRecord {
    uint64_t token[2];         // random; a stale handle never matches a reused record
    LeaseState state;          // the commit point: written last on acquire
    uint32_t next_free;
    int32_t pid;
    uint16_t key_count;
    uint16_t label_len;
    uint64_t start_time;       // owner's start time (clock ticks since boot)
    uint64_t pid_namespace;    // inode of the owner's /proc/self/ns/pid
    int64_t acquired_at_ns;    // CLOCK_MONOTONIC
    int64_t expires_at_ns;
    int64_t owner_verified_at_ns;  // last time /proc confirmed the start time
    // CLOCK_MONOTONIC deadline of the provider request the holder has open
    // (start + its timeout); 0: none. While it lies ahead, a dead owner's
    // lease is not reclaimed: the provider may still be serving that request.
    int64_t request_open_until_ns;
    uint16_t keys[kMaxKeysPerLease];
    char label[kMaxLabelBytes];
    int64_t ref;               // the holder's action (stranded work); 0: none
    // A reservation: the slot a hand-off keeps for this ticket until it is
    // claimed or its expiry (the window) passes. No live owner (pid 0).
    uint32_t ticket;           // kNoTicket for an ordinary lease
    Scope scope;               // the holder's (a reservation: its ticket's)
};

enum class TicketState : uint32_t { Free = 0, Waiting = 1, Reserved = 2 };

// One deferred action in the line.
struct TicketRecord {
    uint64_t token[2];         // [0]: 32 random bits, [1]: 64
    TicketState state;         // the commit point of enqueue and removal
    uint32_t queue;
    uint32_t prev, next;       // the queue's FIFO (next: the free list when Free)
    uint32_t hash_next;        // the ref hash chain
    uint32_t lease;            // Reserved: its reservation lease record
    uint32_t lapsed;           // its reservation ran out: no hand-off until claim or re-enqueue
    uint32_t reserved0;
    int64_t ref;               // the plugin's reference (its Action Scheduler copy)
    int64_t first_deferred_ns; // CLOCK_MONOTONIC of the first deferral (aging)
    int64_t first_deferred_unix;
    uint64_t seq;              // enqueue order (repair rebuilds the FIFOs from it)
};

// One FIFO per (tenant, weight, key set). Its fields are written before the
// first ticket that names it commits, and never change while tickets do.
struct QueueRecord {
    uint32_t in_use;
    uint32_t weight;           // 1..kMaxWeight
    uint32_t head, tail;       // tickets, kNoTicket when empty
    uint32_t count;            // tickets in it (waiting or reserved)
    uint32_t ready;            // waiting and not lapsed
    uint32_t prev, next;       // the in-use list (next: the free list)
    uint32_t key_count;
    uint32_t tenant_len;
    uint16_t keys[kMaxKeysPerLease];   // ascending
    uint32_t limits[kMaxKeysPerLease];
    double vtime;              // virtual finish time of its last service
    char tenant[kMaxTenantBytes];
    Scope scope;               // its tickets' (a queue holds one scope's tickets)
};

struct WakeEntry {
    uint32_t ticket;
    uint32_t reserved0;
    uint64_t token[2];
};

// A stranded entry is taken in two steps: take_stranded() claims it (for a
// while, and only while its claimer lives), ack_stranded() drops it once the
// work was dealt with, return_stranded() puts it back at once.
enum class StrandedState : uint32_t { Free = 0, Ready = 1, Claimed = 2 };

struct StrandedEntry {
    uint64_t seq;              // the push that wrote it: an id names this entry, never a later one in its slot
    StrandedState state;
    int32_t pid;               // the holder that died
    int64_t ref;
    Scope scope;
    uint64_t claim;            // random; the claim's half of the id
    int64_t claim_until_ns;    // CLOCK_MONOTONIC: the claim lapses then
    int32_t claimer_pid;       // a claim lapses when its claimer dies, too
    uint32_t label_len;
    uint64_t claimer_start_time, claimer_pid_namespace;
    char label[kMaxLabelBytes];
};

// Where each region starts, computed from the capacities alone so that a reader
// can validate the header's total_size before touching anything past it.
struct SegmentGeometry {
    uint32_t max_keys;
    uint32_t slots_per_key;
    uint32_t max_leases;
    uint32_t max_tickets;

    static uint32_t ref_buckets_for(uint32_t tickets) {
        uint32_t n = 1;
        while (n < tickets) n <<= 1;
        return n;
    }
    static constexpr size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }
    size_t key_stride() const {
        return align_up(sizeof(KeyRecord) + sizeof(uint16_t) * slots_per_key, 64);
    }
    size_t keys_offset() const { return align_up(sizeof(SegmentHeader), 64); }
    size_t leases_offset() const { return keys_offset() + key_stride() * max_keys; }
    size_t tickets_offset() const { return align_up(leases_offset() + sizeof(LeaseRecord) * max_leases, 64); }
    size_t queues_offset() const { return align_up(tickets_offset() + sizeof(TicketRecord) * max_tickets, 64); }
    size_t buckets_offset() const { return align_up(queues_offset() + sizeof(QueueRecord) * max_tickets, 64); }
    size_t wakes_offset() const {
        return align_up(buckets_offset() + sizeof(uint32_t) * ref_buckets_for(max_tickets), 64);
    }
    size_t stranded_offset() const { return align_up(wakes_offset() + sizeof(WakeEntry) * kWakeRingSize, 64); }
    size_t rates_offset() const {
        return align_up(stranded_offset() + sizeof(StrandedEntry) * kStrandedRingSize, 64);
    }
    size_t total_size() const { return rates_offset() + sizeof(RateRecord) * max_keys; }
};

}  // namespace sluice
