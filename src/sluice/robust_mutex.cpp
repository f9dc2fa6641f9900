#include "sluice/robust_mutex.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include "sluice/errors.hpp"

namespace sluice {

namespace {
[[noreturn]] void fail(const char* what, int rc) {
    throw SegmentError(std::string("sluice: ") + what + " failed: " + std::strerror(rc));
}
}  // namespace

void robust_mutex_init(pthread_mutex_t* m) {
    pthread_mutexattr_t attr;
    int rc = pthread_mutexattr_init(&attr);
    if (rc == 0) rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (rc == 0) rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    if (rc == 0) rc = pthread_mutex_init(m, &attr);
    pthread_mutexattr_destroy(&attr);
    if (rc != 0) fail("pthread_mutex_init", rc);
}

LockOutcome robust_mutex_lock(pthread_mutex_t* m) {
    int rc = pthread_mutex_lock(m);
    if (rc == 0) return LockOutcome::Acquired;
    if (rc == EOWNERDEAD) return LockOutcome::PreviousOwnerDied;
    if (rc == ENOTRECOVERABLE) {
        // Someone unlocked after EOWNERDEAD without repairing. Nothing in this
        // segment can be trusted again; only a recreate gets the host going.
        throw SegmentError(
            "sluice: the segment's mutex is not recoverable (a process released it "
            "without repairing the table); recreate the segment (Sluice\\recreate_segment())");
    }
    fail("pthread_mutex_lock", rc);
}

void robust_mutex_mark_consistent(pthread_mutex_t* m) {
    int rc = pthread_mutex_consistent(m);
    if (rc != 0) fail("pthread_mutex_consistent", rc);
}

void robust_mutex_unlock(pthread_mutex_t* m) { pthread_mutex_unlock(m); }

}  // namespace sluice
