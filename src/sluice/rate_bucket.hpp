// The arithmetic of a token bucket, apart from any segment, so it can be
// tested on its own and every store (the segment, the database, Redis) keeps
// the same rules.
//
// A bucket holds at most `burst` tokens and refills at `rate` tokens per
// second, lazily: nothing runs while nobody asks. Its state is one instant,
// full_at (the generic cell rate algorithm's "theoretical arrival time"): the
// bucket is full from then on, and before it holds
//     level(now) = burst - rate * (full_at - now),
// which may go below zero (a debt: a take larger than the burst, or an extra
// charge after a response used more than was expected). One instant instead of
// (level, refilled at) keeps every change a single assignment, which the
// database's multi-table UPDATE and a Lua script can make atomically too.
//
// A take of n tokens is allowed when the provider has not paused us and the
// level reaches min(n, burst): a step bigger than the burst is never shut out
// for good, it waits for a full bucket and leaves a debt behind. A refund puts
// tokens back (never above the burst), an observation from the provider caps
// the level (it knows about other clients of the same account) or pauses the
// bucket until an instant.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace sluice {

// Tokens per second and the most tokens the bucket holds. rate 0: no budget
// (only a pause holds takes back).
struct BucketSpec {
    double rate = 0;
    double burst = 0;
};

// CLOCK_MONOTONIC instants; 0: long past (a full bucket, no pause).
struct BucketState {
    int64_t full_at_ns = 0;
    int64_t paused_until_ns = 0;
};

// The largest rate and burst a bucket takes (a thousand million tokens);
// anything above, below 0 or not a number is refused by check_bucket_spec.
inline constexpr double kMaxBucketValue = 1e9;
// A pause never reaches further than this (a provider's word is for minutes).
inline constexpr int64_t kMaxBucketPauseNs = 3600 * int64_t(1000000000);

inline bool valid_bucket_value(double v) { return std::isfinite(v) && v >= 0 && v <= kMaxBucketValue; }

// Seconds as nanoseconds, clamped to +-1e18 so that no cast overflows.
inline int64_t bucket_seconds_to_ns(double seconds) {
    if (!(seconds == seconds)) return 0;  // NaN
    const double ns = seconds * 1e9;
    if (ns >= 1e18) return int64_t(1e18);
    if (ns <= -1e18) return -int64_t(1e18);
    return int64_t(ns);
}

inline int64_t bucket_add_ns(int64_t a, int64_t b) {
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

// Tokens in the bucket now (<= burst; negative: a debt).
inline double bucket_level(const BucketSpec& spec, const BucketState& state, int64_t now_ns) {
    if (spec.rate <= 0) return spec.burst;
    const int64_t ahead = state.full_at_ns > now_ns ? state.full_at_ns - now_ns : 0;
    return spec.burst - spec.rate * (double(ahead) / 1e9);
}

struct BucketCheck {
    bool allowed;
    int64_t retry_after_ns;  // when refused: how long until this take would be allowed
};

// Whether `tokens` may be taken now; nothing changes.
inline BucketCheck bucket_check(const BucketSpec& spec, const BucketState& state, int64_t now_ns, double tokens) {
    const int64_t paused = state.paused_until_ns > now_ns ? state.paused_until_ns - now_ns : 0;
    int64_t short_ns = 0;
    if (spec.rate > 0) {
        const double need = std::min(std::max(tokens, 0.0), spec.burst);
        const double level = bucket_level(spec, state, now_ns);
        if (level < need) short_ns = std::max<int64_t>(1, bucket_seconds_to_ns((need - level) / spec.rate));
    }
    const int64_t wait = std::max(paused, short_ns);
    return BucketCheck{wait == 0, wait};
}

// Takes `tokens` (the caller checked first): full_at moves on by tokens / rate.
inline void bucket_take(const BucketSpec& spec, BucketState& state, int64_t now_ns, double tokens) {
    if (spec.rate <= 0 || !(tokens > 0)) return;
    state.full_at_ns = bucket_add_ns(std::max(state.full_at_ns, now_ns), bucket_seconds_to_ns(tokens / spec.rate));
}

// Gives `tokens` back (a refund; the level never exceeds the burst), or with
// a negative count charges them (a response that used more than expected).
inline void bucket_give(const BucketSpec& spec, BucketState& state, int64_t now_ns, double tokens) {
    if (spec.rate <= 0 || !(tokens == tokens)) return;
    if (tokens < 0) {
        bucket_take(spec, state, now_ns, -tokens);
        return;
    }
    if (state.full_at_ns <= now_ns) return;  // already full
    state.full_at_ns = std::max(now_ns, bucket_add_ns(state.full_at_ns, -bucket_seconds_to_ns(tokens / spec.rate)));
}

// The provider says only `level` tokens are left: the bucket never holds more
// than that now (a lower level than ours wins; a higher one changes nothing).
inline void bucket_cap_level(const BucketSpec& spec, BucketState& state, int64_t now_ns, double level) {
    if (spec.rate <= 0 || !(level == level)) return;
    const double missing = spec.burst - std::max(level, -kMaxBucketValue);
    if (missing <= 0) return;
    state.full_at_ns = std::max(state.full_at_ns, bucket_add_ns(now_ns, bucket_seconds_to_ns(missing / spec.rate)));
}

// No take before now + pause_ns (a provider's retry-after, or its word that
// nothing is left until a reset). A later, shorter pause does not shorten it.
inline void bucket_pause(BucketState& state, int64_t now_ns, int64_t pause_ns) {
    if (pause_ns <= 0) return;
    state.paused_until_ns = std::max(state.paused_until_ns, bucket_add_ns(now_ns, std::min(pause_ns, kMaxBucketPauseNs)));
}

}  // namespace sluice
