// The named POSIX shared-memory segment: creating it safely, attaching to it,
// and checking that what we attached to is ours and intact.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>

#include "sluice/errors.hpp"
#include "sluice/layout.hpp"

namespace sluice {

struct SegmentOptions {
    std::string name = "sluice";  // logical name; see Segment::shm_name()
    uint32_t max_keys = 256;
    uint32_t slots_per_key = 64;
    uint32_t max_leases = 4096;
    uint32_t max_tickets = 16384;   // the waiting line's capacity (as many queues)
    // Not part of the segment: how this process runs the line's hand-offs.
    uint32_t aging_seconds = 90;    // a ticket's weight reaches kMaxWeight after this wait
    uint32_t reservation_ms = 10000;  // how long a hand-off keeps the slot for its ticket
    mode_t mode = 0600;
    std::optional<gid_t> group;   // shared trust group, e.g. www-data's
};

inline constexpr size_t kMaxSegmentNameBytes = 100;

// Letters, digits, '-', '_' and '.', 1 to kMaxSegmentNameBytes; throws
// InvalidArgument naming sluice.segment otherwise.
void check_segment_name(std::string_view name);

// Checks ranges and the name; throws InvalidArgument naming the bad field.
void validate_options(const SegmentOptions& options);

class Segment {
public:
    // Opens the segment, creating and initialising it if needed (under an
    // flock on a side object, so a creator that dies half-way never wedges
    // the others). Throws SegmentError when the segment cannot be trusted.
    static std::unique_ptr<Segment> attach(const SegmentOptions& options);

    // Replaces the segment under this name with a fresh one of the next
    // generation. The old one is marked retired first, so processes that still
    // map it move over instead of splitting the host across two tables.
    static std::unique_ptr<Segment> recreate(const SegmentOptions& options);

    // Unlinks the segment and its lock object (tests, uninstall).
    static void remove(const std::string& name);

    // "/sluice.v<layout>.<name>": the layout version keeps builds apart.
    static std::string shm_name(const std::string& name);

    // Where Linux shows that object: "/dev/shm/sluice.v<layout>.<name>". The
    // one place that spells the file name for scripts and tests (through the
    // extension's Sluice\segment_path()); its init lock is the same plus ".lock".
    static std::string shm_path(const std::string& name);

    SegmentHeader* header() const { return header_; }

    // True once the name no longer refers to this object (its link count is 0).
    bool unlinked() const;
    const SegmentGeometry& geometry() const { return geometry_; }
    const std::string& name() const { return name_; }
    size_t size() const { return geometry_.total_size(); }

    // Records by index. An index comes from the caller or from the segment
    // itself, so it is checked against this mapping's own geometry (never the
    // header's, which any writer could change): out of range is a CorruptRecord.
    KeyRecord* key(uint32_t index) const {
        if (__builtin_expect(index >= geometry_.max_keys, 0)) corrupt_record("key index", index, geometry_.max_keys);
        return reinterpret_cast<KeyRecord*>(base() + geometry_.keys_offset() +
                                            geometry_.key_stride() * index);
    }
    // slots_per_key entries; KeyRecord::active says how many are in use (see LeaseTable::active_of).
    uint16_t* key_slots(KeyRecord* record) const {
        return reinterpret_cast<uint16_t*>(reinterpret_cast<char*>(record) + sizeof(KeyRecord));
    }
    LeaseRecord* lease(uint32_t index) const {
        if (__builtin_expect(index >= geometry_.max_leases, 0))
            corrupt_record("lease index", index, geometry_.max_leases);
        return reinterpret_cast<LeaseRecord*>(base() + geometry_.leases_offset()) + index;
    }
    TicketRecord* ticket(uint32_t index) const {
        if (__builtin_expect(index >= geometry_.max_tickets, 0))
            corrupt_record("ticket index", index, geometry_.max_tickets);
        return reinterpret_cast<TicketRecord*>(base() + geometry_.tickets_offset()) + index;
    }
    QueueRecord* queue(uint32_t index) const {
        if (__builtin_expect(index >= geometry_.max_tickets, 0))
            corrupt_record("queue index", index, geometry_.max_tickets);
        return reinterpret_cast<QueueRecord*>(base() + geometry_.queues_offset()) + index;
    }
    uint32_t ref_bucket_count() const { return ref_buckets_; }
    uint32_t* ref_bucket(uint32_t index) const {
        if (__builtin_expect(index >= ref_buckets_, 0)) corrupt_record("ref bucket", index, ref_buckets_);
        return reinterpret_cast<uint32_t*>(base() + geometry_.buckets_offset()) + index;
    }
    WakeEntry* wake_entry(uint64_t n) const {
        return reinterpret_cast<WakeEntry*>(base() + geometry_.wakes_offset()) + n % kWakeRingSize;
    }
    // The key's rate record (same index as its KeyRecord).
    RateRecord* rate(uint32_t index) const {
        if (__builtin_expect(index >= geometry_.max_keys, 0)) corrupt_record("rate index", index, geometry_.max_keys);
        return reinterpret_cast<RateRecord*>(base() + geometry_.rates_offset()) + index;
    }
    StrandedEntry* stranded_entry(uint64_t n) const {
        return reinterpret_cast<StrandedEntry*>(base() + geometry_.stranded_offset()) + n % kStrandedRingSize;
    }

private:
    Segment(boost::interprocess::shared_memory_object shm, boost::interprocess::mapped_region region,
            std::string name);
    // recreate()'s work, under the init lock: retire what is under the name,
    // unlink it, create and initialise the next generation.
    static std::unique_ptr<Segment> replace_locked(const std::string& shm, const SegmentOptions& options);
    // Maps `object` if its creator finished; nullptr if it is still empty.
    static std::unique_ptr<Segment> adopt_if_initialised(boost::interprocess::shared_memory_object& object,
                                                         const std::string& shm);
    char* base() const { return static_cast<char*>(region_.get_address()); }

    boost::interprocess::shared_memory_object shm_;
    boost::interprocess::mapped_region region_;
    std::string name_;
    SegmentHeader* header_;
    SegmentGeometry geometry_;
    uint32_t ref_buckets_;
};

// One read of a field of the segment, which another process may write at any
// moment: the value checked is the value used (the compiler may not read it again).
template <class T>
inline T once(const T& field) {
    return *static_cast<const volatile T*>(&field);
}

}  // namespace sluice
