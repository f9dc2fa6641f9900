// Internal to the lease table: the keys whose waiters must be woken once the
// mutex is released (waking them while we hold it would only make them sleep
// again on the mutex). Filled under the lock, with keys that have waiters
// only; used after unlock.
#pragma once

#include <array>
#include <cstdint>

#include "sluice/futex.hpp"
#include "sluice/segment.hpp"

namespace sluice {

class WakeList {
public:
    void add(uint32_t key_index, uint32_t key_count) {
        for (uint32_t i = 0; i < count_; ++i)
            if (keys_[i] == key_index) return;
        if (count_ < keys_.size())
            keys_[count_++] = key_index;
        else
            wake_all_below_ = key_count;
    }

    void wake(const Segment& segment) const {
        for (uint32_t k = 0; k < wake_all_below_; ++k) futex_wake_all(&segment.key(k)->wait_seq);
        if (wake_all_below_) return;
        for (uint32_t i = 0; i < count_; ++i) futex_wake_all(&segment.key(keys_[i])->wait_seq);
    }

private:
    std::array<uint32_t, 16> keys_;  // [0, count_) valid; left uninitialised on purpose (hot path)
    uint32_t count_ = 0;
    uint32_t wake_all_below_ = 0;  // on overflow: wake keys [0, this)
};

}  // namespace sluice
