// Single-process behaviour of the lease table: grants, limits, counters,
// TTLs, tokens and every kind of bad input.
#include <thread>

#include "sluice/clock.hpp"
#include "sluice/errors.hpp"
#include "sluice/owner.hpp"
#include "test_support.hpp"

namespace sluice::test {
namespace {

TEST_F(TableTest, GrantsUpToTheLimitThenRefuses) {
    uint32_t k = table->resolve_key("site");
    auto a = take(k, 2), b = take(k, 2), c = take(k, 2);
    EXPECT_TRUE(a.acquired);
    EXPECT_TRUE(b.acquired);
    ASSERT_FALSE(c.acquired);
    EXPECT_EQ(c.refusal.key_index, k);
    EXPECT_EQ(c.refusal.limit, 2u);
    EXPECT_EQ(c.refusal.active, 2u);
    EXPECT_TRUE(release(a));
    EXPECT_TRUE(take(k, 2).acquired);
    KeyInfo info = key_info("site");
    EXPECT_EQ(info.active, 2u);
    EXPECT_EQ(info.peak, 2u);
    EXPECT_EQ(info.acquired, 3u);
    EXPECT_EQ(info.throttled, 1u);
    EXPECT_EQ(info.released, 1u);
}

TEST_F(TableTest, ReleaseIsIdempotentAndTokenChecked) {
    uint32_t k = table->resolve_key("site");
    auto a = take(k, 1);
    Token forged = a.grant.token;
    forged.lo ^= 1;
    EXPECT_FALSE(table->release(a.grant.lease_index, forged));
    EXPECT_TRUE(table->is_held(a.grant.lease_index, a.grant.token));
    EXPECT_TRUE(release(a));
    EXPECT_FALSE(release(a));
    EXPECT_FALSE(table->is_held(a.grant.lease_index, a.grant.token));
    EXPECT_FALSE(table->release(999999, a.grant.token));
}

TEST_F(TableTest, StaleHandleNeverMatchesAReusedRecord) {
    uint32_t k = table->resolve_key("site");
    auto a = take(k, 1);
    ASSERT_TRUE(release(a));
    auto b = take(k, 1);
    ASSERT_EQ(a.grant.lease_index, b.grant.lease_index) << "the free list hands the record back";
    EXPECT_FALSE(release(a)) << "an old token must not release the new holder";
    EXPECT_TRUE(table->is_held(b.grant.lease_index, b.grant.token));
}

TEST_F(TableTest, SeveralKeysAreAllOrNothing) {
    uint32_t site = table->resolve_key("site"), provider = table->resolve_key("provider:openai");
    auto first = take({site, provider}, {3, 1});
    ASSERT_TRUE(first.acquired);
    auto second = take({site, provider}, {3, 1});
    ASSERT_FALSE(second.acquired);
    EXPECT_EQ(second.refusal.key_index, provider);
    EXPECT_EQ(key_info("site").active, 1u) << "a refused lease must take nothing";
    ASSERT_TRUE(release(first));
    EXPECT_EQ(key_info("site").active, 0u);
    EXPECT_EQ(key_info("provider:openai").active, 0u);
}

TEST_F(TableTest, ExpiredLeaseIsReclaimedOnTheAcquirePath) {
    uint32_t k = table->resolve_key("site");
    auto a = take(k, 1, 1 * kNsPerMs);
    ASSERT_TRUE(a.acquired);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // > TTL + one coarse tick
    EXPECT_TRUE(take(k, 1).acquired);
    EXPECT_FALSE(release(a)) << "the expired holder lost its slot";
    EXPECT_EQ(key_info("site").reclaimed_expired, 1u);
}

TEST_F(TableTest, RenewPushesExpiryOut) {
    uint32_t k = table->resolve_key("site");
    auto a = take(k, 1, 20 * kNsPerMs);
    EXPECT_TRUE(table->renew(a.grant.lease_index, a.grant.token, kMinute));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_FALSE(take(k, 1).acquired);
    EXPECT_THROW(table->renew(a.grant.lease_index, a.grant.token, 0), InvalidArgument);
    ASSERT_TRUE(release(a));
    EXPECT_FALSE(table->renew(a.grant.lease_index, a.grant.token, kMinute));
}

TEST_F(TableTest, ReusedPidWithAnotherStartTimeCountsAsDead) {
    uint32_t k = table->resolve_key("site");
    auto a = take(k, 1);
    // Make the record look like an older process that had our pid.
    LeaseRecord* rec = segment->lease(a.grant.lease_index);
    rec->start_time = current_owner().start_time - 1;
    rec->owner_verified_at_ns = 0;  // due for a start-time check
    EXPECT_TRUE(take(k, 1).acquired);
    EXPECT_EQ(key_info("site").reclaimed_dead, 1u);
}

TEST_F(TableTest, ResetDropsEveryLeaseOfTheKey) {
    uint32_t site = table->resolve_key("site"), other = table->resolve_key("other");
    auto a = take({site, other}, {3, 3});
    auto b = take(site, 3);
    auto c = take(other, 3);
    EXPECT_EQ(table->reset("site"), 2u);
    EXPECT_FALSE(release(a));
    EXPECT_FALSE(release(b));
    EXPECT_TRUE(release(c));
    EXPECT_EQ(key_info("other").active, 0u) << "a reset lease frees all of its keys";
    EXPECT_EQ(table->reset("nope"), 0u);
}

TEST_F(TableTest, SnapshotShowsHoldersWithLabels) {
    uint32_t k = table->resolve_key("site");
    auto a = take(k, 2, kMinute, "job 7 / step ai");
    Snapshot snap = table->snapshot();
    ASSERT_EQ(snap.keys.size(), 1u);
    ASSERT_EQ(snap.keys[0].holders.size(), 1u);
    const HolderInfo& h = snap.keys[0].holders[0];
    EXPECT_EQ(h.label, "job 7 / step ai");
    EXPECT_EQ(h.pid, ::getpid());
    EXPECT_EQ(h.token, format_token(a.grant.lease_index, a.grant.token));
    EXPECT_GT(h.expires_at_ns, snap.now_ns);
    EXPECT_EQ(snap.segment.leases_in_use, 1u);
}

TEST_F(TableTest, LongLabelsAreTruncated) {
    uint32_t k = table->resolve_key("site");
    take(k, 1, kMinute, std::string(300, 'x'));
    EXPECT_EQ(key_info("site").holders.at(0).label.size(), kMaxLabelBytes);
}

TEST_F(TableTest, BadKeysAreRejectedByName) {
    EXPECT_THROW(table->resolve_key(""), InvalidArgument);
    EXPECT_THROW(table->resolve_key(std::string(65, 'k')), InvalidArgument);
    EXPECT_NO_THROW(table->resolve_key(std::string(64, 'k')));
    EXPECT_THROW(table->resolve_key(std::string("a\0b", 3)), InvalidArgument);
}

// The same rules, without a segment: what the extension checks every key of
// a Limiter with before any of them takes a key record.
TEST(KeyRules, CheckKeyNeedsNoSegment) {
    EXPECT_NO_THROW(check_key("provider:openai"));
    EXPECT_NO_THROW(check_key(std::string(kMaxKeyBytes, 'k')));
    EXPECT_THROW(check_key(""), InvalidArgument);
    EXPECT_THROW(check_key(std::string(kMaxKeyBytes + 1, 'k')), InvalidArgument);
    EXPECT_THROW(check_key(std::string("a\0b", 3)), InvalidArgument);
}

TEST_F(TableTest, BadRequestsAreRejected) {
    uint32_t k = table->resolve_key("site"), k2 = table->resolve_key("two");
    EXPECT_THROW(take(k, 0), InvalidArgument);
    EXPECT_THROW(take(k, 9), InvalidArgument) << "above slots_per_key";
    EXPECT_THROW(take(k, 1, 0), InvalidArgument);
    EXPECT_THROW(take({k, k}, {1, 1}), InvalidArgument);
    EXPECT_THROW(take({k, k2, k, k2, k}, {1, 1, 1, 1, 1}), InvalidArgument);
    EXPECT_THROW(take(100, 1), InvalidArgument);
    EXPECT_THROW(take(k2 + 1, 1), InvalidArgument) << "an index that was never resolved here";
    uint32_t limit = 1;
    EXPECT_THROW(table->acquire({&k, &limit, 1, kMinute, ""}, -1), InvalidArgument);
}

TEST_F(TableTest, FullKeyTableIsACapacityError) {
    for (int i = 0; i < 8; ++i) table->resolve_key("k" + std::to_string(i));
    EXPECT_THROW(table->resolve_key("one-too-many"), CapacityError);
    EXPECT_NO_THROW(table->resolve_key("k3")) << "existing keys still resolve";
}

TEST_F(TableTest, FullLeaseTableIsACapacityError) {
    std::vector<uint32_t> keys;
    for (int i = 0; i < 8; ++i) keys.push_back(table->resolve_key("k" + std::to_string(i)));
    for (int i = 0; i < 32; ++i) ASSERT_TRUE(take(keys[i % 8], 8).acquired);
    EXPECT_THROW(take(keys[0], 8), CapacityError);
}

TEST_F(TableTest, HugeTtlSaturatesInsteadOfExpiringAtOnce) {
    uint32_t k = table->resolve_key("site");
    ASSERT_TRUE(take(k, 1, INT64_MAX).acquired);
    EXPECT_FALSE(take(k, 1).acquired) << "limit 1 with one live holder";
}

TEST_F(TableTest, LabelIsCutAtAUtf8CharacterBoundary) {
    uint32_t k = table->resolve_key("site");
    // 95 ASCII bytes then a 3-byte character: the byte limit (96) falls inside it.
    std::string label(95, 'a');
    label += "\xE2\x82\xAC";  // U+20AC EURO SIGN
    ASSERT_TRUE(take(k, 1, kMinute, label).acquired);
    const KeyInfo site = key_info("site");
    ASSERT_EQ(site.holders.size(), 1u);
    EXPECT_EQ(site.holders[0].label, std::string(95, 'a')) << "no half character left at the end";
}

// `peak` counts under the limit in force, since peak_since_unix: a limit-1 key
// does not show 2 from an earlier limit-2 run; reset() starts it again.
TEST_F(TableTest, PeakCountsSinceTheLimitInForce) {
    uint32_t k = table->resolve_key("site");
    const int64_t created = int64_t(::time(nullptr));
    EXPECT_GE(key_info("site").peak_since_unix, created - 1);
    auto a = take(k, 2), b = take(k, 2);
    EXPECT_EQ(key_info("site").peak, 2u);
    ASSERT_TRUE(release(a));
    ASSERT_TRUE(release(b));
    EXPECT_EQ(key_info("site").peak, 2u) << "kept while the limit stays";
    ::sleep(1);
    const int64_t changed = int64_t(::time(nullptr));
    auto c = take(k, 1);
    EXPECT_EQ(key_info("site").peak, 1u);
    EXPECT_GE(key_info("site").peak_since_unix, changed);
    ASSERT_TRUE(release(c));
    ::sleep(1);
    const int64_t reset = int64_t(::time(nullptr));
    table->reset("site");
    EXPECT_EQ(key_info("site").peak, 0u);
    EXPECT_GE(key_info("site").peak_since_unix, reset);
}

}  // namespace
}  // namespace sluice::test
