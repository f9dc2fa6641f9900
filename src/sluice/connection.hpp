// A process's handle on the host's table: attaches on first use, and moves to
// the new segment when an operator recreates it (the old one is marked retired).
#pragma once

#include <memory>

#include "sluice/lease_table.hpp"
#include "sluice/segment.hpp"

namespace sluice {

class Connection {
public:
    explicit Connection(SegmentOptions options) : options_(std::move(options)) {}

    // The current table. Throws SegmentError if the segment cannot be used.
    LeaseTable& table() {
        if (!segment_ || segment_->header()->retired.load(std::memory_order_acquire)) attach();
        return *table_;
    }

    // Identifies the segment that table() returned: key indices and lease
    // handles from another generation mean nothing in this one.
    uint64_t generation() const { return segment_ ? segment_->header()->generation : 0; }

    // Replaces the segment with an empty one of the next generation.
    void recreate();

    const SegmentOptions& options() const { return options_; }
    bool attached() const { return segment_ != nullptr; }

private:
    void attach();

    SegmentOptions options_;
    std::unique_ptr<Segment> segment_;
    std::unique_ptr<LeaseTable> table_;
};

}  // namespace sluice
