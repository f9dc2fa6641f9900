#include "sluice/connection.hpp"

namespace sluice {

void Connection::attach() {
    table_.reset();
    segment_.reset();
    segment_ = Segment::attach(options_);
    table_ = std::make_unique<LeaseTable>(*segment_);
}

void Connection::recreate() {
    table_.reset();
    segment_.reset();
    segment_ = Segment::recreate(options_);
    table_ = std::make_unique<LeaseTable>(*segment_);
}

}  // namespace sluice
