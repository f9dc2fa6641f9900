// A holder killed while a provider request is open: the provider keeps
// serving the orphaned request, so the slot drains (stays taken) until that
// request's deadline instead of going to the next request at once. Every
// reclaim path honours it; the TTL, release and reset do not wait for it.
#include <signal.h>
#include <unistd.h>

#include "sluice/clock.hpp"
#include "sluice/errors.hpp"
#include "sluice/test_hooks.hpp"
#include "test_support.hpp"

namespace sluice::test {
namespace {

class DrainTest : public TableTest {
protected:
    // A child that takes one slot of `key` (limit `limit`, TTL `ttl_ns`), runs
    // `then` on its grant and, if that returns true, says so and waits to be
    // killed. Returns once the child has said so; the child is then SIGKILLed.
    void holder_killed_after(uint32_t key, uint32_t limit, int64_t ttl_ns,
                             const std::function<bool(const Grant&)>& then) {
        Signal ready;
        pid_t child = spawn([&] {
            AcquireResult a = take(key, limit, ttl_ns, "orphan");
            if (!a.acquired || !then(a.grant)) return false;
            ready.notify();
            for (;;) ::pause();
        });
        ready.wait();
        ::kill(child, SIGKILL);
        ASSERT_EQ(wait_exit_code(child), 128 + SIGKILL);
    }

    // Tries every 10 ms until a slot of `key` is granted; the time it was, or 0.
    int64_t first_grant(uint32_t key, uint32_t limit, int64_t give_up_at) {
        while (monotonic_ns() < give_up_at) {
            if (take(key, limit).acquired) return monotonic_ns();
            ::usleep(10000);
        }
        return 0;
    }

    bool started(const Grant& g, int64_t seconds) {
        return table->mark_request_started(g.lease_index, g.token, seconds);
    }
};

TEST_F(DrainTest, MarksNeedTheLeaseAndLeaveTheTtlAlone) {
    uint32_t k = table->resolve_key("site");
    auto a = take(k, 1);
    const int64_t expires = key_info("site").holders.at(0).expires_at_ns;
    EXPECT_EQ(key_info("site").holders.at(0).request_open_until_ns, 0) << "no request open after acquire";

    const int64_t before = monotonic_ns();
    ASSERT_TRUE(started(a.grant, 30));
    HolderInfo h = key_info("site").holders.at(0);
    EXPECT_GE(h.request_open_until_ns, before + 30 * kNsPerSecond);
    EXPECT_LE(h.request_open_until_ns, monotonic_ns() + 30 * kNsPerSecond);
    EXPECT_EQ(h.expires_at_ns, expires) << "the TTL is not touched";
    EXPECT_FALSE(h.owner_dead);

    EXPECT_TRUE(table->mark_request_finished(a.grant.lease_index, a.grant.token));
    EXPECT_EQ(key_info("site").holders.at(0).request_open_until_ns, 0);
    EXPECT_EQ(key_info("site").holders.at(0).expires_at_ns, expires);

    for (int64_t bad : {int64_t(0), int64_t(-1), kMaxRequestSeconds + 1})
        EXPECT_THROW(started(a.grant, bad), InvalidArgument) << bad;
    EXPECT_TRUE(started(a.grant, kMaxRequestSeconds));

    Token forged = a.grant.token;
    forged.lo ^= 1;
    EXPECT_FALSE(table->mark_request_started(a.grant.lease_index, forged, 5));
    EXPECT_FALSE(table->mark_request_finished(a.grant.lease_index, forged));
    EXPECT_FALSE(table->mark_request_started(999999, a.grant.token, 5));
    ASSERT_TRUE(release(a)) << "release frees at once, request open or not";
    EXPECT_FALSE(started(a.grant, 5));
    EXPECT_FALSE(table->mark_request_finished(a.grant.lease_index, a.grant.token));
    EXPECT_TRUE(take(k, 1).acquired);
}

TEST_F(DrainTest, DeadHolderWithAnOpenRequestDrainsUntilItsDeadline) {
    uint32_t k = table->resolve_key("site");
    const int64_t before_mark = monotonic_ns();
    holder_killed_after(k, 1, kMinute, [&](const Grant& g) { return started(g, 2); });

    EXPECT_FALSE(take(k, 1).acquired) << "the orphaned request may still be running at the provider";
    HolderInfo h = key_info("site").holders.at(0);
    EXPECT_TRUE(h.owner_dead);
    EXPECT_GT(h.request_open_until_ns, monotonic_ns());
    EXPECT_EQ(table->sweep().reclaimed_dead, 0u) << "a sweep must not cut the drain short";

    const int64_t granted_at = first_grant(k, 1, before_mark + 4 * kNsPerSecond);
    ASSERT_NE(granted_at, 0) << "the slot never came back";
    EXPECT_GE(granted_at - before_mark, 2 * kNsPerSecond) << "granted before the request's deadline";
    EXPECT_LT(granted_at - before_mark, 2500 * kNsPerMs) << "kept long after the request's deadline";
    KeyInfo site = key_info("site");
    EXPECT_EQ(site.reclaimed_dead, 1u) << "a drained slot is reclaimed as a dead owner's";
    EXPECT_EQ(site.reclaimed_expired, 0u);
}

TEST_F(DrainTest, WaiterGetsADrainedSlotSoonAfterTheDeadline) {
    uint32_t k = table->resolve_key("site");
    const int64_t before_mark = monotonic_ns();
    holder_killed_after(k, 1, kMinute, [&](const Grant& g) { return started(g, 1); });
    uint32_t limit = 1;
    AcquireResult r = table->acquire({&k, &limit, 1, kMinute, "waiter"}, 3000 * kNsPerMs);
    const int64_t waited = monotonic_ns() - before_mark;
    ASSERT_TRUE(r.acquired);
    EXPECT_GE(waited, 1 * kNsPerSecond);
    EXPECT_LT(waited, 1500 * kNsPerMs) << "waiters re-check every 100 ms";
}

TEST_F(DrainTest, DeadHolderWhoseRequestFinishedIsReclaimedAtOnce) {
    uint32_t k = table->resolve_key("site");
    holder_killed_after(k, 1, kMinute, [&](const Grant& g) {
        return started(g, 60) && table->mark_request_finished(g.lease_index, g.token);
    });
    EXPECT_TRUE(take(k, 1).acquired) << "nothing is open at the provider: no drain";
    EXPECT_EQ(key_info("site").reclaimed_dead, 1u);
}

TEST_F(DrainTest, TtlExpiryBeatsAnOpenRequest) {
    uint32_t k = table->resolve_key("site");
    holder_killed_after(k, 1, 300 * kNsPerMs, [&](const Grant& g) { return started(g, 60); });
    EXPECT_FALSE(take(k, 1).acquired);
    ASSERT_NE(first_grant(k, 1, monotonic_ns() + 2 * kNsPerSecond), 0) << "the TTL must end the drain";
    KeyInfo site = key_info("site");
    EXPECT_EQ(site.reclaimed_expired, 1u);
    EXPECT_EQ(site.reclaimed_dead, 0u);
}

TEST_F(DrainTest, ResetFreesADrainingSlotAtOnce) {
    uint32_t k = table->resolve_key("site");
    holder_killed_after(k, 1, kMinute, [&](const Grant& g) { return started(g, 60); });
    EXPECT_FALSE(take(k, 1).acquired);
    EXPECT_EQ(table->reset("site"), 1u);
    EXPECT_TRUE(take(k, 1).acquired);
}

Signal* g_parked = nullptr;
void park_forever() {
    g_parked->notify();
    for (;;) ::pause();
}

// Killed inside mark_request_started, holding the mutex: the next lock
// repairs the table, and the repair keeps the lease (its request is open)
// until the deadline, like every other reclaim path.
TEST_F(DrainTest, CrashWhileMarkingARequestLeavesAConsistentTable) {
    uint32_t k = table->resolve_key("site"), other = table->resolve_key("other");
    auto kept = take(other, 4);
    Signal parked;
    g_parked = &parked;
    const int64_t before_mark = monotonic_ns();
    pid_t child = spawn([&] {
        AcquireResult a = take(k, 2, kMinute, "orphan");
        if (!a.acquired) return false;
        testing::set_inside_critical_section_hook(park_forever);
        started(a.grant, 2);
        return false;
    });
    parked.wait();
    ::kill(child, SIGKILL);
    ASSERT_EQ(wait_exit_code(child), 128 + SIGKILL);

    EXPECT_TRUE(take(k, 2).acquired) << "EOWNERDEAD: repaired, one slot left";
    EXPECT_EQ(segment->header()->repairs, 1u);
    KeyInfo site = key_info("site");
    EXPECT_EQ(site.active, 2u);
    ASSERT_EQ(site.holders.size(), 2u);
    int draining = 0;
    for (const HolderInfo& h : site.holders) draining += h.owner_dead && h.request_open_until_ns > 0;
    EXPECT_EQ(draining, 1) << "the dead holder's request was stored before it died: it drains";
    EXPECT_EQ(site.reclaimed_dead, 0u);
    EXPECT_EQ(segment->header()->leases_in_use, 3u);
    EXPECT_TRUE(table->is_held(kept.grant.lease_index, kept.grant.token));
    EXPECT_FALSE(take(k, 2).acquired);

    const int64_t granted_at = first_grant(k, 2, before_mark + 4 * kNsPerSecond);
    ASSERT_NE(granted_at, 0);
    EXPECT_GE(granted_at - before_mark, 2 * kNsPerSecond);
    EXPECT_EQ(key_info("site").reclaimed_dead, 1u);
    EXPECT_EQ(segment->header()->leases_in_use, 3u) << "the drained record went back to the free list";
}

}  // namespace
}  // namespace sluice::test
