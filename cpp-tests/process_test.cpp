// Several real processes on one segment: the limit under heavy contention,
// holders killed with SIGKILL outside and inside the critical section,
// waiters sleeping in acquire() across processes (and dying there), and live
// holders that another process cannot see in /proc (chroot, hidepid=2).
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>

#include "sluice/clock.hpp"
#include "sluice/errors.hpp"
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

// A process that got EOWNERDEAD and unlocked without repairing (something
// other than Sluice, or a bug) leaves the mutex ENOTRECOVERABLE for good: every
// caller must get an error that says to recreate, and a recreate must work.
TEST_F(TableTest, UnrecoverableMutexIsAClearErrorUntilTheSegmentIsRecreated) {
    uint32_t k = table->resolve_key("site");
    pthread_mutex_t* m = &segment->header()->mutex;
    pid_t child = spawn([&] { return ::pthread_mutex_lock(m) == 0; });  // dies holding it
    ASSERT_EQ(wait_exit_code(child), 0);
    ASSERT_EQ(::pthread_mutex_lock(m), EOWNERDEAD);
    ::pthread_mutex_unlock(m);  // without pthread_mutex_consistent()

    expect_segment_error([&] { take(k, 1); }, {"not recoverable", "recreate_segment"});

    auto fresh = Segment::recreate(options);
    EXPECT_EQ(fresh->header()->generation, 2u);
    LeaseTable next(*fresh);
    uint32_t k2 = next.resolve_key("site"), limit = 1;
    EXPECT_TRUE(next.try_acquire({&k2, &limit, 1, kMinute, ""}).acquired);
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

TEST_F(TableTest, AcquireWithAHugeTimeoutStillWaits) {
    uint32_t k = table->resolve_key("site");
    ASSERT_TRUE(take(k, 1).acquired);
    pid_t child = spawn([&] {
        uint32_t limit = 1;
        table->acquire({&k, &limit, 1, kMinute, ""}, INT64_MAX);  // deadline saturates, never wraps
        return false;
    });
    ::usleep(300 * 1000);
    pid_t r = ::waitpid(child, nullptr, WNOHANG);
    if (r == 0) {
        ::kill(child, SIGKILL);
        wait_exit_code(child);
    }
    EXPECT_EQ(r, 0) << "acquire(INT64_MAX) returned at once instead of waiting";
}

TEST_F(TableTest, WaiterKilledInsideAcquireIsClearedByTheNextWaiter) {
    uint32_t k = table->resolve_key("site");
    auto held = take(k, 1);
    pid_t waiter = spawn([&] {
        uint32_t limit = 1;
        // A long wait: its record's own expiry (deadline + 1 s) is far away,
        // so only the owner check can clear it within this test.
        table->acquire({&k, &limit, 1, kMinute, "w"}, 60000 * kNsPerMs);
        return true;
    });
    int64_t until = monotonic_ns() + 2000 * kNsPerMs;
    while (key_info("site").waiters == 0 && monotonic_ns() < until) ::usleep(1000);
    ASSERT_EQ(key_info("site").waiters, 1u);
    ::kill(waiter, SIGKILL);
    wait_exit_code(waiter);
    // Ordinary traffic on the key: a refusal, a release, a grant, a live waiter.
    EXPECT_FALSE(take(k, 1).acquired);
    ASSERT_TRUE(release(held));
    ASSERT_TRUE(take(k, 1).acquired);
    uint32_t limit = 1;
    EXPECT_FALSE(table->acquire({&k, &limit, 1, kMinute, "w2"}, 30 * kNsPerMs).acquired);
    EXPECT_EQ(key_info("site").waiters, 0u) << "phantom waiter of a dead process";
    EXPECT_EQ(segment->header()->leases_in_use, 1u) << "the dead waiter's record is still in use";
}

// Where /proc cannot be read (a PHP-FPM pool with `chroot =` and no /proc in
// it), a live holder must not be judged dead when its start time is checked.
TEST_F(TableTest, LiveHolderIsKeptWhereProcIsNotMounted) {
    ASSERT_EQ(::geteuid(), 0u) << "needs root for chroot (CI runs as root)";
    uint32_t k = table->resolve_key("site");
    char dir[] = "/tmp/sluice-chroot-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    Signal held;
    pid_t holder = spawn([&] {
        if (::chroot(dir) != 0 || ::chdir("/") != 0) return false;
        if (!take(k, 1).acquired) return false;
        held.notify();
        for (;;) ::pause();
    });
    held.wait();
    pid_t other = spawn([&] {
        if (::chroot(dir) != 0 || ::chdir("/") != 0) return false;
        ::usleep(1200 * 1000);          // past the once-a-second start-time check
        return !take(k, 1).acquired;     // the holder lives: refused
    });
    int rc = wait_exit_code(other);
    ::kill(holder, SIGKILL);
    wait_exit_code(holder);
    ::rmdir(dir);
    EXPECT_EQ(rc, 0) << "a second process got the limit-1 slot while the first holder was alive";
}

// Same with /proc mounted hidepid=2 and two users sharing the segment (the
// README's www-data workers beside a CLI runner of another user).
TEST_F(TableTest, AnotherUsersLiveHolderIsKeptUnderHidepid) {
    ASSERT_EQ(::geteuid(), 0u) << "needs root for users and a mount namespace (CI runs as root)";
    uint32_t k = table->resolve_key("site");
    Signal held;
    pid_t holder = spawn([&] {
        if (::setgid(65000) != 0 || ::setuid(65000) != 0) return false;
        if (!take(k, 1).acquired) return false;
        held.notify();
        for (;;) ::pause();
    });
    held.wait();
    constexpr int kNoHidepid = 77;
    pid_t other = spawn([&] {
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            ::mount("proc", "/proc", "proc", 0, "hidepid=2") != 0)
            ::_exit(kNoHidepid);
        if (::setgid(65001) != 0 || ::setuid(65001) != 0) return false;
        ::usleep(1200 * 1000);
        return !take(k, 1).acquired;
    });
    int rc = wait_exit_code(other);
    ::kill(holder, SIGKILL);
    wait_exit_code(holder);
    ASSERT_NE(rc, kNoHidepid) << "could not mount /proc with hidepid=2 in a new mount namespace";
    EXPECT_EQ(rc, 0) << "another user's live holder lost its slot";
}

// The other side of the same check: an exited holder not yet reaped (a
// zombie still answers kill(pid, 0)) loses its slot within about a second.
TEST_F(TableTest, ZombieHolderIsReclaimedWithinASecond) {
    uint32_t k = table->resolve_key("site");
    Signal held;
    pid_t holder = ::fork();
    if (holder == 0) {
        if (take(k, 1).acquired) held.notify();
        ::_exit(0);  // exits holding the slot; a zombie until reaped below
    }
    held.wait();
    ::usleep(1100 * 1000);
    EXPECT_TRUE(take(k, 1).acquired) << "a zombie owner must count as dead";
    ::waitpid(holder, nullptr, 0);
}

}  // namespace
}  // namespace sluice::test
