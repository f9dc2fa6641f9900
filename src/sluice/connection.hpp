// A process's handle on the host's table: attaches on first use, and moves to
// the new segment when an operator recreates it (the old one is marked
// retired) or when the name was unlinked under it (rm, systemd's RemoveIPC).
#pragma once

#include <memory>

#include "sluice/clock.hpp"
#include "sluice/lease_table.hpp"
#include "sluice/segment.hpp"

namespace sluice {

class Connection {
public:
    explicit Connection(SegmentOptions options) : options_(std::move(options)) {}

    // The current table. Throws SegmentError if the segment cannot be used.
    LeaseTable& table() {
        if (!segment_ || segment_->header()->retired.load(std::memory_order_acquire) ||
            (coarse_monotonic_ns() >= next_link_check_ns_ && orphaned()))
            attach();
        return *table_;
    }

    // The same, without the once-a-second look at whether the name was
    // unlinked: for release and renew of a lease this process holds, which
    // live in the table that granted them anyway (saves a clock read).
    LeaseTable& table_of_held_lease() {
        if (!segment_ || segment_->header()->retired.load(std::memory_order_acquire)) attach();
        return *table_;
    }

    // Identifies the mapping that table() returned, within this process: key
    // indices and lease handles from another mapping mean nothing in this one.
    // (Not the segment's generation: a segment created anew after an unlink
    // starts again at generation 1.) 0 before the first attach.
    uint64_t mapping_id() const { return segment_ ? mapping_id_ : 0; }

    // The segment's own generation, as operators see it.
    uint64_t generation() const { return segment_ ? segment_->header()->generation : 0; }

    // Replaces the segment with an empty one of the next generation.
    void recreate();

    const SegmentOptions& options() const { return options_; }
    bool attached() const { return segment_ != nullptr; }

private:
    void attach();
    // Drops the current mapping, then maps what `open` (Segment::attach or
    // Segment::recreate) returns: the two differ only in how they get it.
    void rebind(std::unique_ptr<Segment> (*open)(const SegmentOptions&));
    bool orphaned();  // due for the check; looks and schedules the next one

    SegmentOptions options_;
    uint64_t mapping_id_ = 0;
    int64_t next_link_check_ns_ = 0;
    std::unique_ptr<Segment> segment_;
    std::unique_ptr<LeaseTable> table_;
};

}  // namespace sluice
