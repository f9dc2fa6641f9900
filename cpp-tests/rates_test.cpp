// Rate budgets in the lease table: buckets taken together with slots (all or
// nothing, in one lock hold, across processes), a reservation whose budget is
// short handed on at once, tickets held while their action waits for a
// refill, refunds and the provider's word, the per-minute capacity counters,
// and rate records that a corrupt segment filled with nonsense.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <ctime>
#include <limits>

#include "sluice/clock.hpp"
#include "sluice/errors.hpp"
#include "test_support.hpp"

namespace sluice::test {
namespace {

class RatesTest : public TableTest {
public:
    const Scope scope = parse_scope("test/1");

protected:
    // One acquire of `key` (limit `limit`) taking `tokens` from bucket `bucket`.
    AcquireResult take_with(uint32_t key, uint32_t limit, uint32_t bucket, double tokens, BucketSpec spec,
                            int64_t ref = 0) {
        BucketTake t{bucket, tokens, spec};
        SlotRequest r{&key, &limit, 1, kMinute, "rated", ref, scope};
        r.takes = &t;
        r.take_count = 1;
        return ref > 0 ? table->try_acquire_for(r) : table->try_acquire(r);
    }
    EnqueueResult enqueue(uint32_t key, uint32_t limit, int64_t ref, bool hold = false) {
        LineRequest r{&key, &limit, 1, ref, "t", 1, 0, scope};
        r.hold = hold;
        return table->enqueue(r);
    }
    BucketInfo bucket(const std::string& name) {
        for (auto& k : table->key_rates())
            if (k.key == name) return k.bucket;
        ADD_FAILURE() << "no key " << name;
        return {};
    }
};

TEST_F(RatesTest, ABucketAndTheSlotsAreTakenTogetherOrNotAtAll) {
    const uint32_t site = table->resolve_key("site"), rpm = table->resolve_key("rpm:p");
    const BucketSpec spec{1.0, 2.0};
    auto a = take_with(site, 5, rpm, 1, spec);
    auto b = take_with(site, 5, rpm, 1, spec);
    ASSERT_TRUE(a.acquired && b.acquired);
    auto c = take_with(site, 5, rpm, 1, spec);
    ASSERT_FALSE(c.acquired) << "the bucket is empty";
    EXPECT_EQ(c.refusal.kind, RefusalKind::Rate);
    EXPECT_EQ(c.refusal.key_index, rpm);
    EXPECT_GT(c.refusal.retry_after_ns, 900 * kNsPerMs);
    EXPECT_LE(c.refusal.retry_after_ns, 1000 * kNsPerMs);
    EXPECT_EQ(key_info("site").active, 2u) << "no slot was taken for the refused acquire";
    EXPECT_EQ(key_info("site").throttled, 0u) << "a rate refusal is counted on the bucket, not the slot key";
    EXPECT_EQ(bucket("rpm:p").refusals, 1u);

    // A full slot key refuses first, and then no token is taken.
    auto d = take_with(site, 2, rpm, 0, spec);
    ASSERT_FALSE(d.acquired);
    EXPECT_EQ(d.refusal.kind, RefusalKind::Slot);
    EXPECT_EQ(bucket("rpm:p").takes, 2u);
    release(a);
    release(b);
    EXPECT_EQ(key_info("site").active, 0u);
}

TEST_F(RatesTest, ABucketRefillsFromTheClockAndARefundPutsTokensBack) {
    const uint32_t site = table->resolve_key("site"), tpm = table->resolve_key("tpm:p");
    const BucketSpec spec{1000.0, 1000.0};
    auto a = take_with(site, 5, tpm, 900, spec);
    ASSERT_TRUE(a.acquired);
    EXPECT_FALSE(take_with(site, 5, tpm, 900, spec).acquired);
    const BucketInfo after = table->bucket_adjust(tpm, 700);  // the step used 200 of its 900
    EXPECT_GE(after.level, 800.0);
    EXPECT_TRUE(take_with(site, 5, tpm, 800, spec).acquired);
    table->bucket_adjust(tpm, -5000);  // an extra charge: a debt of about 5,000
    const BucketInfo debt = bucket("tpm:p");
    EXPECT_LT(debt.level, -4000.0);
    EXPECT_DOUBLE_EQ(debt.tokens_taken, 900 + 800 + 5000);
    release(a);
}

TEST_F(RatesTest, TheProvidersWordPausesAndCapsAndALearnedBudgetAppliesToTakesWithoutOne) {
    const uint32_t site = table->resolve_key("site"), rpm = table->resolve_key("rpm:p");
    const BucketSpec none{0, 0};
    for (int i = 0; i < 5; ++i) release(take_with(site, 5, rpm, 1, none));
    BucketObservation word;
    word.learned = BucketSpec{1.0, 2.0};
    word.at_most = 0;
    table->bucket_observe(rpm, word);
    auto refused = take_with(site, 5, rpm, 1, none);
    ASSERT_FALSE(refused.acquired) << "the learned budget (level capped to 0) applies";
    EXPECT_EQ(refused.refusal.kind, RefusalKind::Rate);

    BucketObservation pause;
    pause.pause_ns = 2 * kNsPerSecond;
    const BucketInfo paused = table->bucket_observe(rpm, pause);
    EXPECT_GT(paused.paused_left_ns, 1900 * kNsPerMs);
    EXPECT_GE(take_with(site, 5, rpm, 1, BucketSpec{1000, 1000}).refusal.retry_after_ns, 1900 * kNsPerMs)
        << "a pause holds back even a take with a budget of its own";
    EXPECT_THROW(table->bucket_observe(rpm, BucketObservation{std::numeric_limits<double>::quiet_NaN(), 0, {}}),
                 InvalidArgument);
}

TEST_F(RatesTest, ATakeUnderALearnedBudgetLeavesTheBucketShownAsTheProviders) {
    const uint32_t site = table->resolve_key("site"), rpm = table->resolve_key("rpm:p");
    BucketObservation word;
    word.learned = BucketSpec{1.0, 3.0};
    table->bucket_observe(rpm, word);
    auto lease = take_with(site, 5, rpm, 1, BucketSpec{0, 0});
    ASSERT_TRUE(lease.acquired);
    const BucketInfo info = bucket("rpm:p");
    EXPECT_EQ(info.spec.rate, 0.0) << "the take had no budget of its own: the bucket is not the operator's";
    EXPECT_EQ(info.learned.rate, 1.0);
    EXPECT_NEAR(info.level, 2.0, 0.01) << "taken under the learned budget";
    release(lease);
}

TEST_F(RatesTest, ABucketRefundedToFullGivesItsWholeBurstAtOnce) {
    // Refunds are stamped with the fine clock; an acquire read the coarse one
    // (up to a tick behind), so a bucket refunded to full looked short by a few ms.
    const uint32_t site = table->resolve_key("site"), tpm = table->resolve_key("tpm:p");
    const BucketSpec spec{1.0, 2.0};
    for (int i = 0; i < 20; ++i) {
        auto a = take_with(site, 5, tpm, 2, spec);
        ASSERT_TRUE(a.acquired) << "round " << i;
        release(a);
        table->bucket_adjust(tpm, 2);  // the answer used nothing
    }
}

TEST_F(RatesTest, AnAcquireRefusedForAFullLeaseTableTakesNoTokens) {
    recreate_with([](SegmentOptions& o) { o.max_leases = 2; });
    const uint32_t other = table->resolve_key("other"), site = table->resolve_key("site"),
                   rpm = table->resolve_key("rpm:p");
    const BucketSpec hourly{1.0 / 3600, 3.0};
    auto a = take_with(site, 5, rpm, 1, hourly);
    auto b = take(other, 8);
    ASSERT_TRUE(a.acquired && b.acquired) << "the lease table is full now";
    EXPECT_THROW(take_with(site, 5, rpm, 1, hourly), CapacityError);
    const BucketInfo info = bucket("rpm:p");
    EXPECT_NEAR(info.level, 2.0, 0.01) << "no lease, no tokens (before: the tokens were taken, then the table refused)";
    EXPECT_DOUBLE_EQ(info.tokens_taken, 1.0);
    EXPECT_EQ(info.takes, 1u);
    release(a);
    release(b);
}

TEST_F(RatesTest, AReservationWhoseBudgetIsShortGoesToTheNextTicketAtOnce) {
    const uint32_t site = table->resolve_key("site"), rpm = table->resolve_key("rpm:p");
    const BucketSpec spec{0.01, 1.0};  // one token, then one per 100 s
    auto holder = take_with(site, 1, rpm, 1, spec);
    ASSERT_TRUE(holder.acquired);
    enqueue(site, 1, 101);
    enqueue(site, 1, 102);
    release(holder);
    std::vector<WakeInfo> wakes = table->take_wakes(scope, 10);
    ASSERT_EQ(wakes.size(), 1u);
    EXPECT_EQ(wakes[0].ref, 101);
    // 101 comes with its rate take: the budget is spent, so the reservation goes to 102 at once.
    auto refused = take_with(site, 1, rpm, 1, spec, 101);
    ASSERT_FALSE(refused.acquired);
    EXPECT_EQ(refused.refusal.kind, RefusalKind::Rate);
    wakes = table->take_wakes(scope, 10);
    ASSERT_EQ(wakes.size(), 1u);
    EXPECT_EQ(wakes[0].ref, 102);
    // 102 needs no budget (another provider): it takes its reservation, waited >= 0 ms.
    uint32_t one = 1;
    SlotRequest plain{&site, &one, 1, kMinute, "", 102, scope};
    auto claimed = table->try_acquire_for(plain);
    ASSERT_TRUE(claimed.acquired);
    EXPECT_GE(claimed.grant.waited_ns, 0);
    release(claimed);
    EXPECT_TRUE(table->take_wakes(scope, 10).empty()) << "101 is held: nothing is handed to it before its action returns";
    EXPECT_EQ(key_info("site").queued, 1u) << "101 keeps its place";
}

TEST_F(RatesTest, AHeldTicketKeepsItsPlaceButIsHandedNothingUntilItsActionShowsUp) {
    const uint32_t site = table->resolve_key("site");
    auto holder = take(site, 1);
    ASSERT_TRUE(holder.acquired);
    EnqueueResult held = enqueue(site, 1, 201, true);
    EXPECT_TRUE(held.created);
    EXPECT_EQ(key_info("site").queued, 1u);
    release(holder);
    EXPECT_TRUE(table->take_wakes(scope, 10).empty());
    EXPECT_TRUE(take(site, 1).acquired) << "the free slot is a newcomer's";
    // Re-confirming without hold makes it eligible again; with hold it stays held.
    EXPECT_FALSE(enqueue(site, 1, 201, true).created);
    uint32_t one = 1;
    SlotRequest r{&site, &one, 1, kMinute, "", 201, scope};
    table->try_acquire_for(r);  // refused (the newcomer holds it): a slot refusal makes it ready
    EXPECT_EQ(table->line()[0].tickets[0].lapsed, false);
}

TEST_F(RatesTest, AGrantThroughTheLineSaysHowLongTheActionWaited) {
    const uint32_t site = table->resolve_key("site");
    auto holder = take(site, 1);
    enqueue(site, 1, 301);
    ::usleep(30 * 1000);
    release(holder);
    uint32_t one = 1;
    SlotRequest r{&site, &one, 1, kMinute, "", 301, scope};
    auto granted = table->try_acquire_for(r);
    ASSERT_TRUE(granted.acquired);
    EXPECT_GE(granted.grant.waited_ns, 25 * kNsPerMs);
    EXPECT_LT(granted.grant.waited_ns, 5 * kNsPerSecond);
    release(granted);
    auto fresh = take(site, 1);
    EXPECT_EQ(fresh.grant.waited_ns, -1) << "no ticket, no wait";
}

TEST_F(RatesTest, ProcessesRacingForOneBucketNeverTakeMoreThanItHolds) {
    const uint32_t site = table->resolve_key("site"), rpm = table->resolve_key("rpm:p");
    // 20 tokens and a refill too slow to matter: exactly 20 grants across 4 processes.
    auto* grants = static_cast<std::atomic<int>*>(
        ::mmap(nullptr, sizeof(std::atomic<int>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    new (grants) std::atomic<int>(0);
    std::vector<pid_t> children;
    for (int p = 0; p < 4; ++p) {
        children.push_back(spawn([&] {
            LeaseTable mine(*segment);
            uint32_t key = site, limit = 8;
            BucketTake t{rpm, 1, BucketSpec{1e-6, 20}};
            for (int i = 0; i < 200; ++i) {
                SlotRequest r{&key, &limit, 1, kMinute, ""};
                r.takes = &t;
                r.take_count = 1;
                AcquireResult a = mine.try_acquire(r);
                if (a.acquired) {
                    grants->fetch_add(1);
                    mine.release(a.grant.lease_index, a.grant.token);
                }
            }
            return true;
        }));
    }
    for (pid_t c : children) EXPECT_EQ(wait_exit_code(c), 0);
    EXPECT_EQ(grants->load(), 20);
    EXPECT_EQ(bucket("rpm:p").takes, 20u);
    EXPECT_EQ(bucket("rpm:p").refusals, 780u);
    ::munmap(grants, sizeof(std::atomic<int>));
}

TEST_F(RatesTest, CapacityCountersAddUpPerMinuteAndOldMinutesDrop) {
    const uint32_t site = table->resolve_key("site");
    const int64_t now = int64_t(::time(nullptr)) / 60;
    WindowAdd adds[] = {{site, 0, 3}, {site, 3, 1200}, {site, 0, 2}};
    table->window_add(adds, 3);
    WindowAdd old[] = {{site, 0, 7}};
    table->window_add(old, 1, now - 5);
    table->window_add(old, 1, now - int64_t(kWindowMinutes));  // too old: dropped
    std::vector<WindowMinute> windows;
    for (auto& k : table->key_rates())
        if (k.key == "site") windows = k.windows;
    ASSERT_EQ(windows.size(), 2u);
    EXPECT_EQ(windows[0].minute, now - 5);
    EXPECT_EQ(windows[0].counts[0], 7u);
    EXPECT_EQ(windows[1].minute, now);
    EXPECT_EQ(windows[1].counts[0], 5u);
    EXPECT_EQ(windows[1].counts[3], 1200u);
    WindowAdd bad[] = {{site, kWindowFields, 1}};
    EXPECT_THROW(table->window_add(bad, 1), InvalidArgument);
}

TEST_F(RatesTest, ARateRecordFullOfNonsenseNeverCrashesAndTheNextTakeRepairsIt) {
    const uint32_t site = table->resolve_key("site"), rpm = table->resolve_key("rpm:p");
    RateRecord* rec = segment->rate(rpm);
    rec->full_at_ns = INT64_MAX;
    rec->paused_until_ns = INT64_MIN;
    rec->rate = std::numeric_limits<double>::quiet_NaN();
    rec->burst = -1e300;
    rec->learned_rate = std::numeric_limits<double>::infinity();
    rec->tokens_taken = std::numeric_limits<double>::quiet_NaN();
    for (auto& w : rec->windows) w.minute = INT64_MAX;  // minutes far in the future
    const BucketInfo info = bucket("rpm:p");
    EXPECT_EQ(info.spec.rate, 0.0);
    EXPECT_EQ(info.learned.rate, 0.0);
    auto refused = take_with(site, 5, rpm, 1, BucketSpec{1, 1});
    EXPECT_FALSE(refused.acquired) << "a bucket full only at the end of time";
    rec->full_at_ns = 0;
    EXPECT_TRUE(take_with(site, 5, rpm, 1, BucketSpec{1, 1}).acquired);
    table->bucket_adjust(rpm, 1);
    WindowAdd add[] = {{rpm, 1, 4}};
    table->window_add(add, 1);
    for (auto& k : table->key_rates())
        if (k.key == "rpm:p") {
            ASSERT_EQ(k.windows.size(), 1u) << "a minute from the future is taken as corrupt and reused";
            EXPECT_EQ(k.windows[0].counts[1], 4u);
        }
}

}  // namespace
}  // namespace sluice::test
