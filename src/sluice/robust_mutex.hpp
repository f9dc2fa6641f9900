// A raw process-shared robust pthread mutex. Boost's interprocess_mutex is not
// robust in 1.74: a holder killed while locked would deadlock the whole host.
#pragma once

#include <pthread.h>

namespace sluice {

enum class LockOutcome {
    Acquired,
    // The previous holder died inside the critical section. The caller now holds
    // the lock, must repair the data it guards, then call mark_consistent().
    PreviousOwnerDied,
};

// Initialises `m` in place (only the segment creator does this).
void robust_mutex_init(pthread_mutex_t* m);

// Throws SegmentError on ENOTRECOVERABLE or any other failure.
LockOutcome robust_mutex_lock(pthread_mutex_t* m);
void robust_mutex_mark_consistent(pthread_mutex_t* m);
void robust_mutex_unlock(pthread_mutex_t* m);

}  // namespace sluice
