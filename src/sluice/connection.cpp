#include "sluice/connection.hpp"

#include "sluice/clock.hpp"

namespace sluice {

void Connection::attach() { rebind(&Segment::attach); }

void Connection::recreate() { rebind(&Segment::recreate); }

void Connection::rebind(std::unique_ptr<Segment> (*open)(const SegmentOptions&)) {
    // The old mapping goes first: a table must never outlive its segment.
    table_.reset();
    segment_.reset();
    segment_ = open(options_);
    LinePolicy policy;
    policy.aging_ns = int64_t(options_.aging_seconds) * kNsPerSecond;
    policy.reservation_ns = int64_t(options_.reservation_ms) * kNsPerMs;
    table_ = std::make_unique<LeaseTable>(*segment_, policy);
    ++mapping_id_;
    next_link_check_ns_ = coarse_monotonic_ns() + kNsPerSecond;
}

// Unlinking the name while processes map the object (rm in /dev/shm,
// systemd-logind's RemoveIPC= when the creating user logs out) would leave
// them on the old table while newcomers create a new one: two tables, two
// limits. So, at most once a second, a mapper checks that its object still has
// a name; when it has none, it marks it retired (every other mapper then moves
// at its next call) and attaches to the segment under the name, creating it if
// needed. Leases held in the old table are lost to the new one: over the limit
// only until those holders finish.
bool Connection::orphaned() {
    next_link_check_ns_ = coarse_monotonic_ns() + kNsPerSecond;
    if (!segment_->unlinked()) return false;
    segment_->header()->retired.store(1, std::memory_order_release);
    return true;
}

}  // namespace sluice
