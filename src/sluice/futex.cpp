#include "sluice/futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>

#include "sluice/clock.hpp"

namespace sluice {

// Not FUTEX_PRIVATE_FLAG: the word lives in memory shared between processes.
void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, int64_t timeout_ns) {
    if (timeout_ns <= 0) return;
    timespec ts{time_t(timeout_ns / kNsPerSecond), long(timeout_ns % kNsPerSecond)};
    ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, expected, &ts, nullptr, 0);
}

void futex_wake_all(std::atomic<uint32_t>* word) {
    ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

}  // namespace sluice
