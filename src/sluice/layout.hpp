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
inline constexpr uint32_t kLayoutVersion = 2;  // 2: LeaseRecord::request_open_until_ns
inline constexpr size_t kMaxKeyBytes = 64;
inline constexpr size_t kMaxLabelBytes = 96;
inline constexpr size_t kMaxKeysPerLease = 4;
inline constexpr uint32_t kNoLease = 0xffffffffu;
// The most key records, slots per key and lease records a segment can have:
// key slots and lease records name each other by 16-bit index.
inline constexpr uint32_t kMaxCapacity = 65535;

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
};

// Where each region starts, computed from the capacities alone so that a reader
// can validate the header's total_size before touching anything past it.
struct SegmentGeometry {
    uint32_t max_keys;
    uint32_t slots_per_key;
    uint32_t max_leases;

    static constexpr size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }
    size_t key_stride() const {
        return align_up(sizeof(KeyRecord) + sizeof(uint16_t) * slots_per_key, 64);
    }
    size_t keys_offset() const { return align_up(sizeof(SegmentHeader), 64); }
    size_t leases_offset() const { return keys_offset() + key_stride() * max_keys; }
    size_t total_size() const { return leases_offset() + sizeof(LeaseRecord) * max_leases; }
};

}  // namespace sluice
