// Google Benchmark for the core: what one acquire+release pair costs alone,
// next to the bare robust mutex it is built on, and what N processes hammering
// one key get done together. Run: make bench-core
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "sluice/clock.hpp"
#include "sluice/lease_table.hpp"
#include "sluice/robust_mutex.hpp"
#include "sluice/segment.hpp"

namespace {

using namespace sluice;
constexpr int64_t kTtl = 60 * kNsPerSecond;

SegmentOptions bench_options() {
    SegmentOptions o;
    o.name = "bench-" + std::to_string(::getpid());
    return o;
}

void BM_RobustMutexLockUnlock(benchmark::State& state) {
    auto* m = static_cast<pthread_mutex_t*>(
        ::mmap(nullptr, sizeof(pthread_mutex_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    robust_mutex_init(m);
    for (auto _ : state) {
        robust_mutex_lock(m);
        robust_mutex_unlock(m);
    }
}
BENCHMARK(BM_RobustMutexLockUnlock);

void BM_TryAcquireRelease(benchmark::State& state) {
    SegmentOptions o = bench_options();
    auto segment = Segment::attach(o);
    LeaseTable table(*segment);
    uint32_t key = table.resolve_key("site"), limit = 3;
    SlotRequest r{&key, &limit, 1, kTtl, "bench"};
    for (auto _ : state) {
        AcquireResult a = table.try_acquire(r);
        table.release(a.grant.lease_index, a.grant.token);
    }
    Segment::remove(o.name);
}
BENCHMARK(BM_TryAcquireRelease);

void BM_TryAcquireReleaseTwoKeys(benchmark::State& state) {
    SegmentOptions o = bench_options();
    auto segment = Segment::attach(o);
    LeaseTable table(*segment);
    uint32_t keys[2] = {table.resolve_key("site"), table.resolve_key("provider:openai")};
    uint32_t limits[2] = {3, 2};
    SlotRequest r{keys, limits, 2, kTtl, "bench"};
    for (auto _ : state) {
        AcquireResult a = table.try_acquire(r);
        table.release(a.grant.lease_index, a.grant.token);
    }
    Segment::remove(o.name);
}
BENCHMARK(BM_TryAcquireReleaseTwoKeys);

// The same two-key pair with the rate budgets of an AI step taken in the same
// acquire: requests per minute, tokens per minute and the host's requests per
// second (budgets so large that none ever refuses: the cost of the bucket
// arithmetic itself, beside BM_TryAcquireReleaseTwoKeys).
void BM_TryAcquireReleaseTwoKeysThreeBuckets(benchmark::State& state) {
    SegmentOptions o = bench_options();
    auto segment = Segment::attach(o);
    LeaseTable table(*segment);
    uint32_t keys[2] = {table.resolve_key("site"), table.resolve_key("provider:openai")};
    uint32_t limits[2] = {3, 2};
    const BucketTake takes[3] = {{table.resolve_key("rpm:openai"), 1, BucketSpec{1e9, 1e9}},
                                 {table.resolve_key("tpm:openai"), 1800, BucketSpec{1e9, 1e9}},
                                 {table.resolve_key("qps"), 1, BucketSpec{1e9, 1e9}}};
    SlotRequest r{keys, limits, 2, kTtl, "bench"};
    r.takes = takes;
    r.take_count = 3;
    for (auto _ : state) {
        AcquireResult a = table.try_acquire(r);
        table.release(a.grant.lease_index, a.grant.token);
    }
    Segment::remove(o.name);
}
BENCHMARK(BM_TryAcquireReleaseTwoKeysThreeBuckets);

// The tokens-per-minute correction after a response (a refund of what the
// step did not use): one more lock hold per AI step.
void BM_BucketAdjust(benchmark::State& state) {
    SegmentOptions o = bench_options();
    auto segment = Segment::attach(o);
    LeaseTable table(*segment);
    const uint32_t tpm = table.resolve_key("tpm:openai");
    for (auto _ : state) benchmark::DoNotOptimize(table.bucket_adjust(tpm, 100));
    Segment::remove(o.name);
}
BENCHMARK(BM_BucketAdjust);

// A release that hands the freed slot to the waiting line: the next ticket is
// picked (weighted fair order across 8 tenants' queues), reserved and woken.
// Timed: the release alone, with state.range(0) tickets waiting. Untimed: the
// woken ticket claims its reservation and a new ticket joins, so the line
// keeps its length.
void BM_ReleaseWithHandOff(benchmark::State& state) {
    const int waiting = int(state.range(0));
    SegmentOptions o = bench_options();
    Segment::remove(o.name);
    auto segment = Segment::attach(o);
    LeaseTable table(*segment);
    uint32_t key = table.resolve_key("site"), limit = 1;
    SlotRequest r{&key, &limit, 1, kTtl, "bench"};
    AcquireResult holder = table.try_acquire(r);
    int64_t next_ref = 1;
    auto join = [&] {
        const std::string tenant = "flow-" + std::to_string(next_ref % 8);
        table.enqueue(LineRequest{&key, &limit, 1, next_ref++, tenant, uint32_t(1 + next_ref % 3), 0});
    };
    for (int i = 0; i < waiting; ++i) join();
    for (auto _ : state) {
        // Manual time: PauseTiming()/ResumeTiming() cost more than the release.
        const int64_t start = monotonic_ns();
        table.release(holder.grant.lease_index, holder.grant.token);
        state.SetIterationTime(double(monotonic_ns() - start) * 1e-9);
        std::vector<WakeInfo> wakes = table.take_wakes(Scope{}, 1);
        SlotRequest claim = r;
        claim.ref = wakes.at(0).ref;
        holder = table.try_acquire_for(claim);
        if (!holder.acquired) state.SkipWithError("the woken ticket could not claim its slot");
        join();
    }
    Segment::remove(o.name);
}
BENCHMARK(BM_ReleaseWithHandOff)->Arg(10)->Arg(1000)->Arg(10000)->UseManualTime();

// The same release with nobody waiting, timed the same way (the clock reads
// around it are part of both figures).
void BM_ReleaseNoLine(benchmark::State& state) {
    SegmentOptions o = bench_options();
    Segment::remove(o.name);
    auto segment = Segment::attach(o);
    LeaseTable table(*segment);
    uint32_t key = table.resolve_key("site"), limit = 1;
    SlotRequest r{&key, &limit, 1, kTtl, "bench"};
    for (auto _ : state) {
        AcquireResult holder = table.try_acquire(r);
        const int64_t start = monotonic_ns();
        table.release(holder.grant.lease_index, holder.grant.token);
        state.SetIterationTime(double(monotonic_ns() - start) * 1e-9);
    }
    Segment::remove(o.name);
}
BENCHMARK(BM_ReleaseNoLine)->UseManualTime();

// N processes, each doing `kPairs` attempts (acquire, release when granted)
// on one key with limit 3. Reports attempts per second across all of them.
void BM_ContendedProcesses(benchmark::State& state) {
    const int processes = int(state.range(0));
    constexpr int kPairs = 20000;
    SegmentOptions o = bench_options();
    auto segment = Segment::attach(o);
    LeaseTable(*segment).resolve_key("hot");
    for (auto _ : state) {
        auto start = std::chrono::steady_clock::now();
        for (int p = 0; p < processes; ++p) {
            if (::fork() == 0) {
                auto own = Segment::attach(o);
                LeaseTable t(*own);
                uint32_t key = t.resolve_key("hot"), limit = 3;
                SlotRequest r{&key, &limit, 1, kTtl, "bench"};
                for (int i = 0; i < kPairs; ++i) {
                    AcquireResult a = t.try_acquire(r);
                    if (a.acquired) t.release(a.grant.lease_index, a.grant.token);
                }
                ::_exit(0);
            }
        }
        for (int p = 0; p < processes; ++p) ::wait(nullptr);
        state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * processes * kPairs);
    Segment::remove(o.name);
}
BENCHMARK(BM_ContendedProcesses)->Arg(1)->Arg(2)->Arg(8)->Arg(32)->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
