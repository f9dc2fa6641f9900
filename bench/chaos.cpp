// Chaos run: worker processes hammer one key while a killer SIGKILLs them at
// random moments, some of them parked inside the critical section. An
// independent witness (intervals the workers log in memory the limiter knows
// nothing about) checks that no more than `limit` ever held at once; at the
// end, one reclaim pass must leave 0 leases behind.
//
//   sluice_chaos [--kills N] [--workers W] [--limit L] [--park-percent P]
// Exits 1 if any check fails. CI runs a short one; README has the 10k figures.
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sluice/clock.hpp"
#include "sluice/lease_table.hpp"
#include "sluice/segment.hpp"
#include "sluice/test_hooks.hpp"

namespace {

using namespace sluice;

struct Config {
    long kills = 300;
    int workers = 8;
    uint32_t limit = 3;
    int park_percent = 20;  // share of kills aimed at a process parked in the critical section
};

// One recorded hold: from just after the grant to just before the release,
// so it lies inside the real hold. A killed holder's interval ends at the
// moment the killer sent SIGKILL: it may have held a little longer, never less.
struct Interval {
    int64_t start_ns;
    int64_t end_ns;  // 0 while open
};

constexpr size_t kMaxIntervals = size_t(1) << 24;

struct Shared {
    std::atomic<bool> stop;
    std::atomic<uint64_t> next_interval;
    std::atomic<int64_t> open_interval[64];  // per worker slot, -1 when not holding
    std::atomic<int> park_request[64];       // 1: park on the next grant
    std::atomic<int> parked[64];             // 1: parked in the critical section now
    Interval intervals[kMaxIntervals];
};

Shared* g_shared = nullptr;
int g_slot = -1;

void park_in_critical_section() {
    g_shared->parked[g_slot].store(1);
    for (;;) ::pause();
}

[[noreturn]] void run_worker(const SegmentOptions& options, const Config& config, int slot) {
    g_slot = slot;
    auto segment = Segment::attach(options);
    LeaseTable table(*segment);
    uint32_t key = table.resolve_key("chaos"), limit = config.limit;
    SlotRequest request{&key, &limit, 1, 60 * kNsPerSecond, "chaos"};
    std::minstd_rand rng(uint32_t(::getpid()));
    while (!g_shared->stop.load(std::memory_order_relaxed)) {
        if (g_shared->park_request[slot].exchange(0))
            testing::set_inside_critical_section_hook(park_in_critical_section);
        AcquireResult a = table.try_acquire(request);
        if (!a.acquired) continue;
        uint64_t i = g_shared->next_interval.fetch_add(1) % kMaxIntervals;
        g_shared->intervals[i] = Interval{monotonic_ns(), 0};
        g_shared->open_interval[slot].store(int64_t(i));
        for (uint32_t spin = rng() % 2000; spin > 0; --spin) std::atomic_signal_fence(std::memory_order_seq_cst);
        if (rng() % 4 == 0) ::usleep(rng() % 300);  // some holds last long enough to be killed in
        g_shared->intervals[i].end_ns = monotonic_ns();
        g_shared->open_interval[slot].store(-1);
        table.release(a.grant.lease_index, a.grant.token);
    }
    ::_exit(0);
}

pid_t spawn_worker(const SegmentOptions& options, const Config& config, int slot) {
    g_shared->open_interval[slot].store(-1);
    g_shared->parked[slot].store(0);
    pid_t pid = ::fork();
    if (pid == 0) run_worker(options, config, slot);
    return pid;
}

// Largest number of recorded intervals that overlap at any instant.
size_t max_overlap(uint64_t count) {
    std::vector<std::pair<int64_t, int>> events;
    events.reserve(count * 2);
    for (uint64_t i = 0; i < std::min<uint64_t>(count, kMaxIntervals); ++i) {
        const Interval& iv = g_shared->intervals[i];
        if (iv.start_ns == 0 || iv.end_ns == 0) continue;  // unfinished write of a killed worker
        events.emplace_back(iv.start_ns, +1);
        events.emplace_back(iv.end_ns, -1);
    }
    std::sort(events.begin(), events.end());  // at equal times, ends (-1) before starts
    size_t now = 0, peak = 0;
    for (auto& e : events) {
        now += e.second;
        peak = std::max(peak, now);
    }
    return peak;
}

Config parse(int argc, char** argv) {
    Config c;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        long v = std::atol(argv[i + 1]);
        if (flag == "--kills") c.kills = v;
        else if (flag == "--workers") c.workers = int(std::clamp(v, 1L, 64L));
        else if (flag == "--limit") c.limit = uint32_t(std::clamp(v, 1L, 64L));
        else if (flag == "--park-percent") c.park_percent = int(std::clamp(v, 0L, 100L));
        else {
            std::fprintf(stderr, "unknown flag %s\n", argv[i]);
            std::exit(2);
        }
    }
    return c;
}

}  // namespace

int main(int argc, char** argv) {
    const Config config = parse(argc, argv);
    SegmentOptions options;
    options.name = "chaos-" + std::to_string(::getpid());
    void* mem = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) return 2;
    g_shared = static_cast<Shared*>(mem);

    auto segment = Segment::attach(options);
    LeaseTable table(*segment);
    table.resolve_key("chaos");
    std::vector<pid_t> pids(size_t(config.workers));
    for (int w = 0; w < config.workers; ++w) pids[size_t(w)] = spawn_worker(options, config, w);

    std::mt19937 rng(12345);
    long kills_in_critical_section = 0, kills_while_holding = 0;
    const int64_t started = monotonic_ns();
    for (long k = 0; k < config.kills; ++k) {
        int slot = int(rng() % uint32_t(config.workers));
        bool aim_at_critical_section = int(rng() % 100) < config.park_percent;
        if (aim_at_critical_section) {
            g_shared->park_request[slot].store(1);
            // Wait (bounded) until it parks; if it never gets a grant, kill it anyway.
            int64_t until = monotonic_ns() + 200 * kNsPerMs;
            while (!g_shared->parked[slot].load() && monotonic_ns() < until) ::usleep(50);
        } else {
            ::usleep(rng() % 500);  // a random moment in its loop
            // Half of the other kills go to a worker that holds a slot right now.
            for (int w = 0; w < config.workers && rng() % 2; ++w)
                if (g_shared->open_interval[w].load() >= 0) {
                    slot = w;
                    break;
                }
        }
        ::kill(pids[size_t(slot)], SIGKILL);
        int64_t killed_at = monotonic_ns();
        ::waitpid(pids[size_t(slot)], nullptr, 0);
        if (g_shared->parked[slot].load()) ++kills_in_critical_section;
        int64_t open = g_shared->open_interval[slot].load();
        if (open >= 0) {
            g_shared->intervals[open].end_ns = killed_at;
            ++kills_while_holding;
        }
        g_shared->park_request[slot].store(0);
        pids[size_t(slot)] = spawn_worker(options, config, slot);
    }
    g_shared->stop.store(true);
    for (pid_t pid : pids) ::waitpid(pid, nullptr, 0);
    const double seconds = double(monotonic_ns() - started) / double(kNsPerSecond);

    SweepResult swept = table.sweep();
    Snapshot snap = table.snapshot();
    const KeyInfo& key = snap.keys.at(0);
    uint64_t recorded = g_shared->next_interval.load();
    size_t overlap = max_overlap(recorded);
    bool ok = overlap <= config.limit && snap.segment.leases_in_use == 0 && key.active == 0 &&
              key.peak <= config.limit && recorded < kMaxIntervals;

    std::printf("chaos: %ld kills in %.1f s (%ld inside the critical section, %ld while holding a slot)\n",
                config.kills, seconds, kills_in_critical_section, kills_while_holding);
    std::printf("  workers %d, limit %u, grants %llu, throttled %llu\n", config.workers, config.limit,
                (unsigned long long)key.acquired, (unsigned long long)key.throttled);
    std::printf("  witness: max holders at once %zu (limit %u) over %llu recorded holds\n", overlap, config.limit,
                (unsigned long long)recorded);
    std::printf("  limiter: peak %u, reclaimed dead %llu, expired %llu, mutex repairs %llu\n", key.peak,
                (unsigned long long)key.reclaimed_dead, (unsigned long long)key.reclaimed_expired,
                (unsigned long long)snap.segment.repairs);
    std::printf("  after one reclaim pass (%u reclaimed by it): %u leases held -> %s\n",
                swept.reclaimed_dead + swept.reclaimed_expired, snap.segment.leases_in_use,
                ok ? "OK: 0 over-limit grants, 0 leaks" : "FAILED");
    Segment::remove(options.name);
    return ok ? 0 : 1;
}
