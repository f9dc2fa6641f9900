// The token bucket's arithmetic (rate_bucket.hpp), on its own: refill from the
// clock, takes up to the level, debts for takes above the burst, refunds that
// never overfill, the provider's word (a capped level, a pause), and numbers
// that could come from a corrupt segment.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "sluice/clock.hpp"
#include "sluice/rate_bucket.hpp"

namespace sluice {
namespace {

constexpr int64_t kT0 = 1000 * kNsPerSecond;  // an arbitrary monotonic instant

TEST(RateBucketTest, AFreshBucketIsFullAndTakesDownToItsLevel) {
    const BucketSpec spec{2.0, 3.0};  // 2 tokens a second, at most 3
    BucketState state;
    EXPECT_DOUBLE_EQ(bucket_level(spec, state, kT0), 3.0);
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(bucket_check(spec, state, kT0, 1).allowed) << "take " << i;
        bucket_take(spec, state, kT0, 1);
    }
    EXPECT_NEAR(bucket_level(spec, state, kT0), 0.0, 1e-9);
    const BucketCheck refused = bucket_check(spec, state, kT0, 1);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after_ns, 500 * kNsPerMs) << "one token at 2 a second";
}

TEST(RateBucketTest, ItRefillsFromTheClockAndNeverAboveTheBurst) {
    const BucketSpec spec{2.0, 3.0};
    BucketState state;
    bucket_take(spec, state, kT0, 3);
    EXPECT_NEAR(bucket_level(spec, state, kT0 + 250 * kNsPerMs), 0.5, 1e-9);
    EXPECT_NEAR(bucket_level(spec, state, kT0 + 1 * kNsPerSecond), 2.0, 1e-9);
    EXPECT_DOUBLE_EQ(bucket_level(spec, state, kT0 + 60 * kNsPerSecond), 3.0) << "capped at the burst";
    EXPECT_TRUE(bucket_check(spec, state, kT0 + 500 * kNsPerMs, 1).allowed);
    EXPECT_FALSE(bucket_check(spec, state, kT0 + 499 * kNsPerMs, 1).allowed);
}

TEST(RateBucketTest, ATakeAboveTheBurstWaitsForAFullBucketAndLeavesADebt) {
    const BucketSpec spec{100.0, 1000.0};  // e.g. tokens per minute 6,000
    BucketState state;
    bucket_take(spec, state, kT0, 500);
    const BucketCheck wait = bucket_check(spec, state, kT0, 1500);
    EXPECT_FALSE(wait.allowed) << "1500 needs a full bucket (1000), it holds 500";
    EXPECT_EQ(wait.retry_after_ns, 5 * kNsPerSecond);
    const int64_t later = kT0 + wait.retry_after_ns;
    ASSERT_TRUE(bucket_check(spec, state, later, 1500).allowed);
    bucket_take(spec, state, later, 1500);
    EXPECT_NEAR(bucket_level(spec, state, later), -500.0, 1e-6);
    EXPECT_NEAR(double(bucket_check(spec, state, later, 1).retry_after_ns), 5.01e9, 1e3);
}

TEST(RateBucketTest, AnyWindowOfTheRefillPeriodSeesAtMostBurstPlusRateTimesWindow) {
    // The property the per-minute budgets rest on: with rate (L - B) / 60 and
    // burst B, any 60 s holds at most L takes, however they are timed.
    const double L = 30, B = 1.5;
    const BucketSpec spec{(L - B) / 60.0, B};
    BucketState state;
    std::vector<int64_t> granted;
    for (int64_t t = kT0; t < kT0 + 600 * kNsPerSecond; t += 37 * kNsPerMs) {  // asks every 37 ms for 10 minutes
        if (bucket_check(spec, state, t, 1).allowed) {
            bucket_take(spec, state, t, 1);
            granted.push_back(t);
        }
    }
    size_t most = 0;
    for (size_t i = 0, j = 0; i < granted.size(); ++i) {
        while (granted[i] - granted[j] >= 60 * kNsPerSecond) ++j;
        most = std::max(most, i - j + 1);
    }
    EXPECT_LE(most, size_t(L));
    EXPECT_GE(granted.size(), size_t(10 * (L - B))) << "and it still lets the budget through";
}

TEST(RateBucketTest, ARefundNeverFillsAboveTheBurstAndAChargeGoesIntoDebt) {
    const BucketSpec spec{10.0, 100.0};
    BucketState state;
    bucket_take(spec, state, kT0, 80);
    bucket_give(spec, state, kT0, 30);
    EXPECT_NEAR(bucket_level(spec, state, kT0), 50.0, 1e-6);
    bucket_give(spec, state, kT0, 500);
    EXPECT_DOUBLE_EQ(bucket_level(spec, state, kT0), 100.0);
    bucket_give(spec, state, kT0, -150);  // a response that used 150 more than expected
    EXPECT_NEAR(bucket_level(spec, state, kT0), -50.0, 1e-6);
    EXPECT_FALSE(bucket_check(spec, state, kT0, 1).allowed);
}

TEST(RateBucketTest, TheProvidersWordCapsTheLevelAndPauses) {
    const BucketSpec spec{1.0, 10.0};
    BucketState state;
    bucket_cap_level(spec, state, kT0, 20);
    EXPECT_DOUBLE_EQ(bucket_level(spec, state, kT0), 10.0) << "more left than we hold: nothing changes";
    bucket_cap_level(spec, state, kT0, 2);
    EXPECT_NEAR(bucket_level(spec, state, kT0), 2.0, 1e-9);
    bucket_cap_level(spec, state, kT0, 5);
    EXPECT_NEAR(bucket_level(spec, state, kT0), 2.0, 1e-9) << "a higher figure never raises the level";

    bucket_pause(state, kT0, 3 * kNsPerSecond);
    BucketCheck paused = bucket_check(spec, state, kT0, 1);
    EXPECT_FALSE(paused.allowed);
    EXPECT_EQ(paused.retry_after_ns, 3 * kNsPerSecond);
    bucket_pause(state, kT0, 1 * kNsPerSecond);
    EXPECT_EQ(bucket_check(spec, state, kT0, 1).retry_after_ns, 3 * kNsPerSecond) << "a shorter pause does not shorten it";
    bucket_pause(state, kT0, 10 * 3600 * kNsPerSecond);
    EXPECT_EQ(bucket_check(spec, state, kT0, 1).retry_after_ns, kMaxBucketPauseNs) << "at most an hour";
}

TEST(RateBucketTest, WithoutABudgetOnlyAPauseHoldsTakesBack) {
    const BucketSpec none{0.0, 0.0};
    BucketState state;
    for (int i = 0; i < 1000; ++i) bucket_take(none, state, kT0, 1e6);
    EXPECT_TRUE(bucket_check(none, state, kT0, 1e6).allowed);
    bucket_pause(state, kT0, 2 * kNsPerSecond);
    EXPECT_FALSE(bucket_check(none, state, kT0, 1).allowed);
    EXPECT_TRUE(bucket_check(none, state, kT0 + 2 * kNsPerSecond, 1).allowed);
}

TEST(RateBucketTest, NumbersFromACorruptRecordNeitherOverflowNorCrash) {
    const BucketSpec spec{1e-9, 1e9};
    BucketState state{INT64_MAX, INT64_MIN};
    EXPECT_FALSE(bucket_check(spec, state, kT0, 1e9).allowed);
    bucket_take(spec, state, kT0, 1e9);
    EXPECT_EQ(state.full_at_ns, INT64_MAX);
    bucket_give(spec, state, kT0, 1e9);
    bucket_cap_level(spec, state, kT0, -1e300);
    state = BucketState{INT64_MIN, INT64_MAX};
    EXPECT_FALSE(bucket_check(spec, state, kT0, 1).allowed);
    EXPECT_GT(bucket_check(spec, state, kT0, 1).retry_after_ns, 0);
    EXPECT_FALSE(valid_bucket_value(std::numeric_limits<double>::quiet_NaN()));
    EXPECT_FALSE(valid_bucket_value(std::numeric_limits<double>::infinity()));
    EXPECT_FALSE(valid_bucket_value(-1));
    EXPECT_EQ(bucket_seconds_to_ns(std::numeric_limits<double>::quiet_NaN()), 0);
    EXPECT_EQ(bucket_seconds_to_ns(1e300), int64_t(1e18));
}

}  // namespace
}  // namespace sluice
