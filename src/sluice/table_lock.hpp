// Internal to the lease table: the scoped lock that repairs the table when the
// previous holder died inside it, and the list of keys to wake after unlock.
#pragma once

#include <array>
#include <cstdint>

#include "sluice/futex.hpp"
#include "sluice/lease_table.hpp"
#include "sluice/robust_mutex.hpp"

namespace sluice {

// Like LMDB's mdb_mutex_failed(): EOWNERDEAD means we now hold a mutex whose
// data may be half-updated. Repair first, then mark it consistent; unlocking
// without that would make the mutex permanently unrecoverable for the host.
class TableLock {
public:
    explicit TableLock(LeaseTable& table) : mutex_(&table.segment_.header()->mutex) {
        if (robust_mutex_lock(mutex_) == LockOutcome::PreviousOwnerDied) {
            table.repair_locked();
            robust_mutex_mark_consistent(mutex_);
        }
    }
    ~TableLock() { robust_mutex_unlock(mutex_); }
    TableLock(const TableLock&) = delete;
    TableLock& operator=(const TableLock&) = delete;

private:
    pthread_mutex_t* mutex_;
};

// Keys whose waiters must be woken once the mutex is released (waking them
// while we hold it would only make them sleep again on the mutex). Filled
// under the lock, with keys that have waiters only; used after unlock.
struct LeaseTable::WakeList {
    std::array<uint32_t, 16> keys;  // [0, count) valid; left uninitialised on purpose (hot path)
    uint32_t count = 0;
    uint32_t wake_all_below = 0;  // on overflow: wake keys [0, this)

    void add(uint32_t key_index, uint32_t key_count) {
        for (uint32_t i = 0; i < count; ++i)
            if (keys[i] == key_index) return;
        if (count < keys.size())
            keys[count++] = key_index;
        else
            wake_all_below = key_count;
    }

    void wake(const Segment& segment) const {
        for (uint32_t k = 0; k < wake_all_below; ++k) futex_wake_all(&segment.key(k)->wait_seq);
        if (wake_all_below) return;
        for (uint32_t i = 0; i < count; ++i) futex_wake_all(&segment.key(keys[i])->wait_seq);
    }
};

}  // namespace sluice
