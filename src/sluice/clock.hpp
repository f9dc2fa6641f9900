// One clock for every process of the host: CLOCK_MONOTONIC is system-wide and
// never jumps, so expiry instants written by one process mean the same to all.
#pragma once

#include <cstdint>
#include <ctime>

namespace sluice {

inline constexpr int64_t kNsPerMs = 1000000;
inline constexpr int64_t kNsPerSecond = 1000000000;

inline int64_t monotonic_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * kNsPerSecond + ts.tv_nsec;
}

// The same clock read from the kernel's last tick (vDSO, no rdtsc): ~5 ns
// instead of ~23, at most one tick (1-4 ms) behind monotonic_ns(). Lease
// times are whole seconds, so the acquire path stamps them with this one.
inline int64_t coarse_monotonic_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return int64_t(ts.tv_sec) * kNsPerSecond + ts.tv_nsec;
}

// a + b for b >= 0, clamped at INT64_MAX: a ttl or timeout of "forever" must
// not wrap into the past (signed overflow is also UB).
inline int64_t add_saturating(int64_t a, int64_t b) {
    return b > INT64_MAX - a ? INT64_MAX : a + b;
}

// a - b and a + b for any two values, clamped to the int64 range: one of them
// may come from a corrupt record of the segment.
inline int64_t sub_clamped(int64_t a, int64_t b) {
    int64_t r;
    return __builtin_sub_overflow(a, b, &r) ? (b > 0 ? INT64_MIN : INT64_MAX) : r;
}
inline int64_t add_clamped(int64_t a, int64_t b) {
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

}  // namespace sluice
