// Internal to the lease table: the scoped lock that repairs the table when the
// previous holder died inside it, and LeaseTable::locked(), which also
// repairs it when a record fails a check.
#pragma once

#include "sluice/lease_table.hpp"
#include "sluice/robust_mutex.hpp"

namespace sluice {

// Like LMDB's mdb_mutex_failed(): EOWNERDEAD means we now hold a mutex whose
// data may be half-updated. Repair first, then mark it consistent; unlocking
// without that would make the mutex permanently unrecoverable for the host.
// If marking it consistent fails, the mutex is unlocked before the error
// goes up (as LMDB does): nobody else may be left waiting on a lock whose
// holder has given up.
class TableLock {
public:
    explicit TableLock(LeaseTable& table) : mutex_(&table.segment_.header()->mutex) {
        if (robust_mutex_lock(mutex_) == LockOutcome::PreviousOwnerDied) {
            table.repair_locked();
            try {
                robust_mutex_mark_consistent(mutex_);
            } catch (...) {
                robust_mutex_unlock(mutex_);
                throw;
            }
        }
    }
    ~TableLock() { robust_mutex_unlock(mutex_); }
    TableLock(const TableLock&) = delete;
    TableLock& operator=(const TableLock&) = delete;

private:
    pthread_mutex_t* mutex_;
};

// The repair path of EOWNERDEAD, for a record that failed a check: short and
// explicit, under the same lock, which the TableLock releases on every way
// out (a result, an exception of op(), the SegmentError of a reset).
template <class Op>
auto LeaseTable::locked(Op&& op) -> decltype(op()) {
    TableLock lock(*this);
    for (int attempt = 0;; ++attempt) {
        try {
            return op();
        } catch (const CorruptRecord& e) {
            recover_from_corruption(attempt, e);
        }
    }
}

}  // namespace sluice
