// Segment fuzz: worker processes use every operation of the lease table and
// the waiting line (acquire, release, renew, request marks, status, line ops,
// sweep, reset, waits) while this process writes random bytes into the
// records of the live segment (anywhere past the 256-byte header, so the
// robust mutex stays intact), without the lock, as any process of the
// segment's group could. A round is one burst of random bytes followed by
// enough operations of the workers to run into it.
//
// It counts crashes (a worker killed by a signal or exiting on its own with
// an error: a segfault, an ASan report, std::terminate), hangs (no worker made
// progress for --hang-seconds: a loop that follows a corrupt link, or a lock
// never released) and what the table did about the corruption (repairs and
// resets, from the segment's counters), and exits 1 on any crash or hang.
//
//   sluice_fuzz [--rounds N] [--workers W] [--seed S] [--hang-seconds H]
//
// CI runs 1,000 rounds (ctest fuzz_short, also under ASan+UBSan and TSan);
// `make fuzz` runs a longer soak.
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
#include "sluice/errors.hpp"
#include "sluice/lease_table.hpp"
#include "sluice/segment.hpp"

namespace {

using namespace sluice;

struct Config {
    long rounds = 1000;
    int workers = 4;
    uint32_t seed = 1;
    long hang_seconds = 20;
};

constexpr int kMaxWorkers = 32;
constexpr int kKeys = 6;

struct Shared {
    std::atomic<bool> stop;
    std::atomic<uint64_t> ops[kMaxWorkers];
    // Errors the table reported to a worker, by kind: CapacityError (a full
    // table or line, expected), SegmentError (a reset), InvalidArgument (a key
    // index whose record a reset or a corrupt name took away), anything else.
    std::atomic<uint64_t> capacity, segment, invalid, other;
};

Shared* g_shared = nullptr;

SegmentOptions fuzz_options(const std::string& name) {
    SegmentOptions o;
    o.name = name;
    // Small tables: random bytes land on records in use more often.
    o.max_keys = 16;
    o.slots_per_key = 8;
    o.max_leases = 96;
    o.max_tickets = 128;
    o.reservation_ms = 20;
    return o;
}

// One worker: a random operation at a time, forever; every error the table
// reports is caught and counted (a corrupt segment may refuse a call, never crash it).
[[noreturn]] void run_worker(const SegmentOptions& options, int slot, uint32_t seed) {
    std::minstd_rand rng(seed);
    std::vector<Grant> held;
    std::vector<std::string> tickets, claims;
    const Scope scopes[2] = {parse_scope("fuzz/1"), parse_scope("fuzz/2")};
    std::unique_ptr<Segment> segment;
    std::unique_ptr<LeaseTable> table;
    uint32_t keys[kKeys] = {};
    const std::string labels[3] = {"", "job 1 / step ai", std::string(96, 'x')};
    while (!g_shared->stop.load(std::memory_order_relaxed)) {
        try {
            if (!table) {
                segment = Segment::attach(options);
                table = std::make_unique<LeaseTable>(*segment, LinePolicy{2 * kNsPerSecond, 20 * kNsPerMs});
                for (int k = 0; k < kKeys; ++k) keys[k] = table->resolve_key("fuzz-" + std::to_string(k));
            }
            const Scope& scope = scopes[rng() % 2];
            // 1 to 3 distinct keys: the first ones most of the time, so key sets recur.
            // (Distinct indices: a corrupt key name can make two names resolve to one record.)
            uint32_t ks[3], limits[3];
            size_t n = 0;
            const uint32_t first = rng() % 2 ? 0 : rng() % kKeys;
            for (size_t i = 0, want = 1 + rng() % 3; i < want; ++i) {
                const uint32_t k = keys[(first + i) % kKeys];
                if (std::find(ks, ks + n, k) != ks + n) continue;
                ks[n] = k;
                limits[n++] = 1 + rng() % 3;
            }
            SlotRequest request{ks, limits, n, int64_t(1 + rng() % 3) * kNsPerSecond, labels[rng() % 3],
                                int64_t(1 + rng() % 6), scope};
            const Grant* mine = held.empty() ? nullptr : &held[rng() % held.size()];
            switch (rng() % 21) {
                case 0: case 1: case 2: {
                    AcquireResult a = table->try_acquire(request);
                    if (a.acquired) held.push_back(a.grant);
                    break;
                }
                case 3: {
                    AcquireResult a = table->acquire(request, int64_t(rng() % 5) * kNsPerMs);
                    if (a.acquired) held.push_back(a.grant);
                    break;
                }
                case 4: {
                    AcquireResult a = table->try_acquire_for(request);
                    if (a.acquired) held.push_back(a.grant);
                    break;
                }
                case 5: case 6:
                    if (mine) {
                        table->release(mine->lease_index, mine->token);
                        held.erase(held.begin() + (mine - held.data()));
                    }
                    break;
                case 7:
                    if (mine) table->renew(mine->lease_index, mine->token, kNsPerSecond);
                    break;
                case 8:
                    if (mine) {
                        if (rng() % 2)
                            table->mark_request_started(mine->lease_index, mine->token, 1);
                        else
                            table->mark_request_finished(mine->lease_index, mine->token);
                        table->is_held(mine->lease_index, mine->token);
                    }
                    break;
                case 9: case 10: {
                    EnqueueResult e = table->enqueue(LineRequest{ks, limits, n, request.ref, rng() % 2 ? "a" : "b",
                                                                 uint32_t(1 + rng() % 100), 0, scope});
                    tickets.push_back(e.ticket);
                    break;
                }
                case 11:
                    for (const WakeInfo& w : table->take_wakes(scope, 8)) {
                        request.ref = w.ref;
                        AcquireResult a = table->try_acquire_for(request);
                        if (a.acquired) held.push_back(a.grant);
                    }
                    break;
                case 12:
                    for (const StrandedInfo& s : table->take_stranded(scope, 8, 50 * kNsPerMs)) {
                        if (rng() % 2)
                            table->ack_stranded(scope, s.id);
                        else
                            table->return_stranded(scope, s.id);
                    }
                    break;
                case 13:
                    for (int i = 0; i < 4 && !tickets.empty(); ++i) {
                        const std::string& t = tickets[rng() % tickets.size()];
                        switch (rng() % 4) {
                            case 0: table->ticket_set_ref(scope, t, int64_t(1 + rng() % 6)); break;
                            case 1: table->wake_missed(scope, t); break;
                            default: table->ticket_cancel(scope, t); break;
                        }
                    }
                    if (tickets.size() > 32) tickets.erase(tickets.begin(), tickets.begin() + 16);
                    break;
                case 14: table->snapshot(); break;
                case 15: table->line(); break;
                case 16: table->sweep(); break;
                case 17:
                    if (rng() % 8 == 0) table->reset("fuzz-" + std::to_string(rng() % kKeys));
                    table->info();
                    break;
                case 18:
                    // Dies holding its leases now and then: their reclaim (and stranded records) on a corrupt table.
                    if (rng() % 64 == 0) ::_exit(0);
                    break;
                case 19: {
                    // Rate budgets: buckets taken with slots, refunds, the provider's word, capacity counters.
                    const BucketTake take{keys[rng() % kKeys], double(rng() % 3), BucketSpec{double(rng() % 4), 2.0}};
                    request.takes = &take;
                    request.take_count = 1;
                    AcquireResult a = rng() % 2 ? table->try_acquire(request) : table->try_acquire_for(request);
                    if (a.acquired) held.push_back(a.grant);
                    table->bucket_adjust(take.key_index, double(int(rng() % 5) - 2));
                    BucketObservation word;
                    word.at_most = double(rng() % 3);
                    word.pause_ns = int64_t(rng() % 3) * kNsPerMs;
                    table->bucket_observe(take.key_index, word);
                    const WindowAdd add{take.key_index, uint32_t(rng() % kWindowFields), 1};
                    table->window_add(&add, 1);
                    table->key_rates();
                    break;
                }
                default:
                    if (rng() % 16 == 0) {
                        table.reset();  // attaches again, as a new process would
                        segment.reset();
                        held.clear();
                    }
                    break;
            }
            if (held.size() > 6) held.erase(held.begin());
        } catch (const std::exception& e) {
            // A refusal: counted, carried on.
            if (dynamic_cast<const CapacityError*>(&e))
                g_shared->capacity.fetch_add(1, std::memory_order_relaxed);
            else if (dynamic_cast<const SegmentError*>(&e))
                g_shared->segment.fetch_add(1, std::memory_order_relaxed);
            else if (dynamic_cast<const InvalidArgument*>(&e))
                g_shared->invalid.fetch_add(1, std::memory_order_relaxed);
            else
                g_shared->other.fetch_add(1, std::memory_order_relaxed);
            if (rng() % 4 == 0) {
                table.reset();
                segment.reset();
                held.clear();
            }
        }
        g_shared->ops[slot].fetch_add(1, std::memory_order_relaxed);
    }
    ::_exit(0);
}

pid_t spawn_worker(const SegmentOptions& options, int slot, uint32_t seed) {
    pid_t pid = ::fork();
    if (pid == 0) run_worker(options, slot, seed);
    return pid;
}

Config parse(int argc, char** argv) {
    Config c;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const long v = std::atol(argv[i + 1]);
        if (flag == "--rounds") c.rounds = std::max(1L, v);
        else if (flag == "--workers") c.workers = int(std::clamp(v, 1L, long(kMaxWorkers)));
        else if (flag == "--seed") c.seed = uint32_t(v);
        else if (flag == "--hang-seconds") c.hang_seconds = std::max(1L, v);
        else {
            std::fprintf(stderr, "unknown flag %s\n", argv[i]);
            std::exit(2);
        }
    }
    return c;
}

uint64_t total_ops() {
    uint64_t n = 0;
    for (int w = 0; w < kMaxWorkers; ++w) n += g_shared->ops[w].load(std::memory_order_relaxed);
    return n;
}

// What one round writes: a few random bytes, a random 32-bit value, or a
// value at a boundary (0, -1, a capacity, one past it) somewhere in the records.
void corrupt(unsigned char* base, size_t size, std::mt19937& rng) {
    const size_t header = sizeof(SegmentHeader);
    const size_t at = header + rng() % (size - header - 8);
    switch (rng() % 4) {
        case 0: {
            const size_t n = 1 + rng() % 16;
            for (size_t i = 0; i < n && at + i < size; ++i) base[at + i] = static_cast<unsigned char>(rng());
            break;
        }
        case 1: {
            const uint32_t v = uint32_t(rng());
            std::memcpy(base + (at & ~size_t(3)), &v, 4);
            break;
        }
        default: {
            static const uint32_t boundary[] = {0, 1, 2, 4, 5, 8, 9, 16, 17, 64, 65, 95, 96, 97, 0x7fffffff, 0xfffffffe,
                                                0xffffffff, 0xffff, 0x10000};
            const uint32_t v = boundary[rng() % (sizeof boundary / sizeof boundary[0])];
            const size_t aligned = at & ~size_t(rng() % 2 ? 3 : 1);
            if (rng() % 2)
                std::memcpy(base + aligned, &v, 4);
            else
                std::memcpy(base + aligned, &v, 2);
            break;
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    const Config config = parse(argc, argv);
    const SegmentOptions options = fuzz_options("fuzz-" + std::to_string(::getpid()));
    void* mem = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return 2;
    g_shared = new (mem) Shared{};

    Segment::remove(options.name);
    auto segment = Segment::attach(options);
    auto* base = reinterpret_cast<unsigned char*>(segment->header());
    const size_t size = segment->size();

    std::mt19937 rng(config.seed);
    std::vector<pid_t> pids(size_t(config.workers));
    for (int w = 0; w < config.workers; ++w) pids[size_t(w)] = spawn_worker(options, w, config.seed * 1000u + uint32_t(w));

    long crashes = 0, hangs = 0, exits = 0;
    std::vector<std::string> crash_notes;
    auto reap = [&](bool respawn) {
        for (int w = 0; w < config.workers; ++w) {
            int status = 0;
            if (pids[size_t(w)] <= 0 || ::waitpid(pids[size_t(w)], &status, WNOHANG) != pids[size_t(w)]) continue;
            if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0) {
                ++crashes;
                if (crash_notes.size() < 10)
                    crash_notes.push_back(WIFSIGNALED(status) ? std::string("signal ") + strsignal(WTERMSIG(status))
                                                              : "exit " + std::to_string(WEXITSTATUS(status)));
            } else {
                ++exits;
            }
            pids[size_t(w)] = respawn ? spawn_worker(options, w, uint32_t(rng())) : -1;
        }
    };

    const int64_t started = monotonic_ns();
    const uint64_t ops_per_round = uint64_t(config.workers) * 8;
    for (long round = 0; round < config.rounds; ++round) {
        corrupt(base, size, rng);
        const uint64_t target = total_ops() + ops_per_round;
        uint64_t seen = total_ops();
        int64_t progress_at = monotonic_ns();
        while (total_ops() < target) {
            ::usleep(100);
            reap(true);
            const uint64_t now_ops = total_ops();
            if (now_ops != seen) {
                seen = now_ops;
                progress_at = monotonic_ns();
            } else if (monotonic_ns() - progress_at > config.hang_seconds * kNsPerSecond) {
                // Nobody moved: every worker is stuck (a loop that never ends, or a lock never released).
                ++hangs;
                for (int w = 0; w < config.workers; ++w) {
                    char path[64], wchan[64] = "";
                    std::snprintf(path, sizeof path, "/proc/%d/wchan", pids[size_t(w)]);
                    if (FILE* f = std::fopen(path, "r")) {
                        if (!std::fgets(wchan, sizeof wchan, f)) wchan[0] = '\0';
                        std::fclose(f);
                    }
                    std::fprintf(stderr, "fuzz: round %ld: no progress for %ld s; worker %d (pid %d) in %s\n", round,
                                 config.hang_seconds, w, pids[size_t(w)], wchan[0] ? wchan : "?");
                    ::kill(pids[size_t(w)], SIGKILL);
                    ::waitpid(pids[size_t(w)], nullptr, 0);  // a hang, not a crash
                    pids[size_t(w)] = spawn_worker(options, w, uint32_t(rng()));
                }
                progress_at = monotonic_ns();
            }
        }
    }
    g_shared->stop.store(true);
    for (int w = 0; w < config.workers; ++w) {
        // A worker stuck in a loop would never see `stop`.
        const int64_t until = monotonic_ns() + config.hang_seconds * kNsPerSecond;
        int status = 0;
        while (pids[size_t(w)] > 0 && ::waitpid(pids[size_t(w)], &status, WNOHANG) == 0) {
            if (monotonic_ns() > until) {
                ++hangs;
                ::kill(pids[size_t(w)], SIGKILL);
            }
            ::usleep(1000);
        }
        if (pids[size_t(w)] > 0 && (WIFSIGNALED(status) ? WTERMSIG(status) != SIGKILL : WEXITSTATUS(status) != 0)) {
            ++crashes;
            if (crash_notes.size() < 10)
                crash_notes.push_back(WIFSIGNALED(status) ? std::string("signal ") + strsignal(WTERMSIG(status))
                                                          : "exit " + std::to_string(WEXITSTATUS(status)));
        }
    }
    const double seconds = double(monotonic_ns() - started) / double(kNsPerSecond);

    // The table still answers afterwards (in a child: a crash there is one more crash).
    const pid_t checker = ::fork();
    if (checker == 0) {
        try {
            LeaseTable table(*segment);
            table.sweep();
            table.snapshot();
            table.line();
            ::_exit(0);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "fuzz: the table does not answer afterwards: %s\n", e.what());
            ::_exit(3);
        }
    }
    int status = 0;
    ::waitpid(checker, &status, 0);
    const bool usable = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (WIFSIGNALED(status)) {
        ++crashes;
        crash_notes.push_back(std::string("final check: signal ") + strsignal(WTERMSIG(status)));
    }
    const SegmentHeader* h = segment->header();
    Segment::remove(options.name);

    std::printf("fuzz: rounds=%ld workers=%d ops=%llu crashes=%ld hangs=%ld repairs=%llu corruption_repairs=%llu "
                "resets=%llu errors: capacity=%llu segment=%llu invalid=%llu other=%llu worker_exits=%ld seconds=%.1f\n",
                config.rounds, config.workers, (unsigned long long)total_ops(), crashes, hangs,
                (unsigned long long)h->repairs, (unsigned long long)h->corruption_repairs,
                (unsigned long long)h->corruption_resets, (unsigned long long)g_shared->capacity.load(),
                (unsigned long long)g_shared->segment.load(), (unsigned long long)g_shared->invalid.load(),
                (unsigned long long)g_shared->other.load(), exits, seconds);
    for (const std::string& note : crash_notes) std::printf("  crash: %s\n", note.c_str());
    return crashes == 0 && hangs == 0 && usable ? 0 : 1;
}
