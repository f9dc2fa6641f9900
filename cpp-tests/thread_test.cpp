// Threads of one process sharing the table. Processes are the real use, but
// ThreadSanitizer only sees threads: this is what lets it check the locking.
#include <atomic>
#include <thread>

#include "test_support.hpp"

namespace sluice::test {
namespace {

TEST_F(TableTest, ThreadsNeverExceedTheLimit) {
    constexpr int kThreads = 4;
    constexpr uint32_t kLimit = 2;
    constexpr int kOps = 20000;
    std::atomic<int> holders{0}, violations{0};
    uint32_t k = table->resolve_key("threads");
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            LeaseTable own(*segment);
            uint32_t limit = kLimit;
            SlotRequest r{&k, &limit, 1, kMinute, "thread"};
            for (int i = 0; i < kOps; ++i) {
                AcquireResult a = own.try_acquire(r);
                if (!a.acquired) continue;
                if (holders.fetch_add(1) + 1 > int(kLimit)) violations.fetch_add(1);
                holders.fetch_sub(1);
                own.release(a.grant.lease_index, a.grant.token);
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(violations.load(), 0);
    KeyInfo info = key_info("threads");
    EXPECT_EQ(info.acquired + info.throttled, uint64_t(kThreads) * kOps);
    EXPECT_EQ(info.active, 0u);
}

}  // namespace
}  // namespace sluice::test
