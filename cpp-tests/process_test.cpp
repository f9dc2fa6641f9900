// Several real processes on one segment: the limit under heavy contention,
// holders killed with SIGKILL outside and inside the critical section, and
// waiters sleeping in acquire() across processes.
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>

#include "sluice/clock.hpp"
#include "sluice/test_hooks.hpp"
#include "test_support.hpp"

namespace sluice::test {
namespace {

// Memory shared with forked children that the limiter knows nothing about:
// the independent witness of how many processes hold a slot at once.
struct Witness {
    std::atomic<int> holders{0};
    std::atomic<int> max_holders{0};
    std::atomic<int> violations{0};
    std::atomic<bool> stop{false};
    std::atomic<int> observer_max{0};
};

Witness* make_witness() {
    void* p = ::mmap(nullptr, sizeof(Witness), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return new (p) Witness();
}

// Runs `body` in a child process; the child exits 0 when body returns true.
pid_t spawn(const std::function<bool()>& body) {
    pid_t pid = ::fork();
    if (pid == 0) {
        bool ok = false;
        try {
            ok = body();
        } catch (...) {
        }
        ::_exit(ok ? 0 : 1);
    }
    return pid;
}

int wait_exit_code(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

long ops_per_process() {
    const char* env = std::getenv("SLUICE_STRESS_OPS");
    return env ? std::atol(env) : 100000;
}

TEST_F(TableTest, SixteenProcessesNeverExceedTheLimit) {
    constexpr int kProcesses = 16;
    constexpr uint32_t kLimit = 3;
    const long ops = ops_per_process();
    Witness* w = make_witness();
    table->resolve_key("hot");

    pid_t observer = spawn([w] {
        while (!w->stop.load()) {
            int now = w->holders.load(std::memory_order_relaxed);
            if (now > w->observer_max.load()) w->observer_max.store(now);
        }
        return true;
    });
    std::vector<pid_t> workers;
    for (int p = 0; p < kProcesses; ++p) {
        workers.push_back(spawn([&, w] {
            auto own = Segment::attach(options);  // a real process attaches by name
            LeaseTable t(*own);
            uint32_t k = t.resolve_key("hot"), limit = kLimit;
            SlotRequest r{&k, &limit, 1, kMinute, "stress"};
            for (long i = 0; i < ops; ++i) {
                AcquireResult a = t.try_acquire(r);
                if (!a.acquired) continue;
                int now = w->holders.fetch_add(1) + 1;
                if (now > int(kLimit)) w->violations.fetch_add(1);
                for (int spin = 0; spin < 20; ++spin) w->max_holders.load(std::memory_order_relaxed);
                w->holders.fetch_sub(1);
                if (!t.release(a.grant.lease_index, a.grant.token)) return false;
            }
            return true;
        }));
    }
    for (pid_t pid : workers) EXPECT_EQ(wait_exit_code(pid), 0);
    w->stop.store(true);
    EXPECT_EQ(wait_exit_code(observer), 0);

    EXPECT_EQ(w->violations.load(), 0);
    EXPECT_LE(w->observer_max.load(), int(kLimit));
    EXPECT_GE(w->observer_max.load(), 1) << "the observer saw nothing: the test proves nothing";
    KeyInfo info = key_info("hot");
    EXPECT_EQ(info.active, 0u);
    EXPECT_EQ(info.acquired + info.throttled, uint64_t(kProcesses) * uint64_t(ops));
    EXPECT_EQ(info.acquired, info.released);
    EXPECT_LE(info.peak, kLimit);
    EXPECT_GT(info.throttled, 0u) << "16 processes on 3 slots must have been throttled";
}

// A pipe the child writes one byte to when it reaches the point of interest.
struct Signal {
    int fds[2];
    Signal() { EXPECT_EQ(::pipe(fds), 0); }
    ~Signal() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    void notify() const { EXPECT_EQ(::write(fds[1], "x", 1), 1); }
    void wait() const {
        char c;
        ASSERT_EQ(::read(fds[0], &c, 1), 1);
    }
};

TEST_F(TableTest, HolderKilledWithSigkillIsReclaimedByTheNextAcquire) {
    uint32_t k = table->resolve_key("site");
    Signal held;
    pid_t child = spawn([&] {
        if (!take(k, 1).acquired) return false;
        held.notify();
        for (;;) ::pause();
    });
    held.wait();
    EXPECT_FALSE(take(k, 1).acquired) << "the child holds the only slot";
    ::kill(child, SIGKILL);
    EXPECT_EQ(wait_exit_code(child), 128 + SIGKILL);
    EXPECT_TRUE(take(k, 1).acquired) << "the dead holder's slot must come back at once";
    EXPECT_EQ(key_info("site").reclaimed_dead, 1u);
}

Signal* g_parked_signal = nullptr;
void park_forever() {
    g_parked_signal->notify();
    for (;;) ::pause();
}

TEST_F(TableTest, ProcessKilledInsideTheCriticalSectionIsRepaired) {
    uint32_t k = table->resolve_key("site");
    uint32_t other = table->resolve_key("other");
    auto kept = take(other, 4);  // must survive the repair untouched
    Signal parked;
    g_parked_signal = &parked;
    pid_t child = spawn([&] {
        testing::set_inside_critical_section_hook(park_forever);
        take(k, 2);
        return false;
    });
    parked.wait();
    ::kill(child, SIGKILL);
    EXPECT_EQ(wait_exit_code(child), 128 + SIGKILL);

    // This lock gets EOWNERDEAD: the table is rebuilt before we go on.
    EXPECT_TRUE(take(k, 2).acquired);
    EXPECT_EQ(segment->header()->repairs, 1u);
    KeyInfo site = key_info("site");
    EXPECT_EQ(site.active, 1u) << "the half-made lease of the dead process is gone";
    EXPECT_EQ(site.holders.size(), 1u);
    EXPECT_EQ(site.reclaimed_dead, 1u);
    EXPECT_EQ(segment->header()->leases_in_use, 2u);
    EXPECT_TRUE(table->is_held(kept.grant.lease_index, kept.grant.token));
    EXPECT_TRUE(take(k, 2).acquired) << "and the table keeps working";
    EXPECT_FALSE(take(k, 2).acquired);
}

TEST_F(TableTest, WaiterInAnotherProcessIsWokenByRelease) {
    uint32_t k = table->resolve_key("site");
    auto held = take(k, 1);
    Signal waiting;
    pid_t child = spawn([&] {
        waiting.notify();
        int64_t start = monotonic_ns();
        uint32_t limit = 1;
        AcquireResult r = table->acquire({&k, &limit, 1, kMinute, "waiter"}, 5000 * kNsPerMs);
        return r.acquired && monotonic_ns() - start < 2000 * kNsPerMs;
    });
    waiting.wait();
    // Let it park, then check that it is visible as a waiter.
    int64_t until = monotonic_ns() + 2000 * kNsPerMs;
    while (key_info("site").waiters == 0 && monotonic_ns() < until) ::usleep(1000);
    EXPECT_EQ(key_info("site").waiters, 1u);
    ::usleep(50000);
    ASSERT_TRUE(release(held));
    EXPECT_EQ(wait_exit_code(child), 0);
    EXPECT_EQ(key_info("site").waiters, 0u);
}

TEST_F(TableTest, WaiterGetsTheSlotOfAHolderThatDied) {
    uint32_t k = table->resolve_key("site");
    Signal held;
    pid_t holder = spawn([&] {
        if (!take(k, 1).acquired) return false;
        held.notify();
        for (;;) ::pause();
    });
    held.wait();
    pid_t waiter = spawn([&] {
        uint32_t limit = 1;
        return table->acquire({&k, &limit, 1, kMinute, ""}, 3000 * kNsPerMs).acquired;
    });
    ::usleep(100000);
    ::kill(holder, SIGKILL);
    wait_exit_code(holder);
    EXPECT_EQ(wait_exit_code(waiter), 0);
}

TEST_F(TableTest, WaiterGivesUpAtItsTimeout) {
    uint32_t k = table->resolve_key("site");
    ASSERT_TRUE(take(k, 1).acquired);
    uint32_t limit = 1;
    int64_t start = monotonic_ns();
    AcquireResult r = table->acquire({&k, &limit, 1, kMinute, ""}, 150 * kNsPerMs);
    int64_t waited = monotonic_ns() - start;
    EXPECT_FALSE(r.acquired);
    EXPECT_GE(waited, 150 * kNsPerMs);
    EXPECT_LT(waited, 1000 * kNsPerMs);
    EXPECT_EQ(key_info("site").throttled, 1u) << "one refusal, however many wake-ups";
    EXPECT_EQ(key_info("site").waiters, 0u);
    EXPECT_EQ(segment->header()->leases_in_use, 1u) << "the waiter record is gone";
}

}  // namespace
}  // namespace sluice::test
