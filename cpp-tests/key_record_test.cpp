// Key records: one small opaque record per key, compare-and-set on its version,
// shared by every process of the segment.
#include <cstring>

#include "test_support.hpp"

namespace sluice::test {
namespace {

TEST_F(TableTest, AKeyWithoutARecordReadsVersionZeroAndIsNotCreated) {
    KeyRecordValue r = table->read_key_record("provider:x");
    EXPECT_EQ(r.version, 0u);
    EXPECT_TRUE(r.data.empty());
    EXPECT_EQ(table->info().key_count, 0u) << "reading never creates a key";
}

TEST_F(TableTest, AWriteLandsOnlyOnTheVersionItRead) {
    ASSERT_TRUE(table->write_key_record("provider:x", 0, "first"));
    EXPECT_EQ(table->info().key_count, 1u) << "writing creates the key";
    EXPECT_FALSE(table->write_key_record("provider:x", 0, "second writer of version 0"));
    KeyRecordValue r = table->read_key_record("provider:x");
    EXPECT_EQ(r.version, 1u);
    EXPECT_EQ(r.data, "first");
    EXPECT_TRUE(table->write_key_record("provider:x", 1, std::string("a\0b", 3)));
    EXPECT_FALSE(table->write_key_record("provider:x", 1, "stale"));
    EXPECT_FALSE(table->write_key_record("provider:x", 9, "from the future"));
    r = table->read_key_record("provider:x");
    EXPECT_EQ(r.version, 2u);
    EXPECT_EQ(r.data, std::string("a\0b", 3)) << "exact bytes, NUL included";
    EXPECT_EQ(table->read_key_record("provider:y").version, 0u) << "per key";
}

TEST_F(TableTest, ARecordLivesBesideTheKeysSlotsUntouchedByThem) {
    uint32_t k = table->resolve_key("provider:x");
    ASSERT_TRUE(table->write_key_record("provider:x", 0, std::string(kMaxRecordBytes, '\x7f')));
    auto a = take(k, 2);
    ASSERT_TRUE(a.acquired);
    ASSERT_TRUE(release(a));
    EXPECT_EQ(table->reset("provider:x"), 0u);
    KeyRecordValue r = table->read_key_record("provider:x");
    EXPECT_EQ(r.version, 1u);
    EXPECT_EQ(r.data, std::string(kMaxRecordBytes, '\x7f'));
}

TEST_F(TableTest, BadRecordArgumentsAreRefused) {
    EXPECT_THROW(table->write_key_record("provider:x", 0, std::string(kMaxRecordBytes + 1, 'x')), InvalidArgument);
    EXPECT_THROW(table->write_key_record("", 0, "x"), InvalidArgument);
    EXPECT_THROW(table->read_key_record(std::string(kMaxKeyBytes + 1, 'k')), InvalidArgument);
    EXPECT_EQ(table->info().key_count, 0u) << "a refused write creates nothing";
}

TEST_F(TableTest, ARecordLengthFromTheSegmentIsNeverFollowedPastItsBytes) {
    ASSERT_TRUE(table->write_key_record("provider:x", 0, "ok"));
    KeyRecord* k = segment->key(0);
    k->record_len = 0xffffffffu;  // damage
    KeyRecordValue r = table->read_key_record("provider:x");
    EXPECT_EQ(r.data.size(), kMaxRecordBytes);
}

// Four processes each add 500 to a counter kept in one record, by read +
// compare-and-set, again on a lost race: every increment lands.
TEST_F(TableTest, RacingProcessesLoseNoIncrement) {
    const int kChildren = 4, kEach = 500;
    std::vector<pid_t> children;
    for (int c = 0; c < kChildren; ++c) {
        children.push_back(spawn([&] {
            auto seg = Segment::attach(options);
            LeaseTable t(*seg);
            for (int i = 0; i < kEach; ++i) {
                for (;;) {
                    KeyRecordValue r = t.read_key_record("counter");
                    uint64_t n = 0;
                    if (r.data.size() == sizeof n) std::memcpy(&n, r.data.data(), sizeof n);
                    ++n;
                    if (t.write_key_record("counter", r.version, std::string(reinterpret_cast<char*>(&n), sizeof n))) break;
                }
            }
            return true;
        }));
    }
    for (pid_t pid : children) EXPECT_EQ(wait_exit_code(pid), 0);
    KeyRecordValue r = table->read_key_record("counter");
    uint64_t n = 0;
    ASSERT_EQ(r.data.size(), sizeof n);
    std::memcpy(&n, r.data.data(), sizeof n);
    EXPECT_EQ(n, uint64_t(kChildren * kEach));
    EXPECT_EQ(r.version, uint64_t(kChildren * kEach));
}


// The record's cap for the waiting line: hand-offs fill the key up to the cap,
// not to the limit its tickets were queued under; a negative cap hands it
// nothing; a cap that opens or grows hands on at once.
class RecordCapTest : public TableTest {
protected:
    void SetUp() override {
        TableTest::SetUp();
        table.reset();
        segment.reset();
        Segment::remove(options.name);
        options.max_tickets = 64;
        open();
        key = table->resolve_key("provider:p");
    }
    void enqueue(int64_t ref, uint32_t limit) {
        table->enqueue(LineRequest{&key, &limit, 1, ref, "t", 1, 0});
    }
    size_t wakes() { return table->take_wakes(Scope{}, 100).size(); }
    bool cap(int32_t value) {
        const KeyRecordValue r = table->read_key_record("provider:p");
        return table->write_key_record("provider:p", r.version, r.data, true, value);
    }
    uint32_t key = 0;
};

TEST_F(RecordCapTest, HandOffsFillTheKeyOnlyUpToItsCap) {
    ASSERT_TRUE(cap(2));
    auto a = take(key, 2), b = take(key, 2);
    ASSERT_TRUE(a.acquired && b.acquired);
    for (int64_t ref = 1; ref <= 3; ++ref) enqueue(ref, 8);
    EXPECT_EQ(wakes(), 0u) << "tickets queued under 8 wait: the key is at its cap of 2";
    ASSERT_TRUE(release(a));
    EXPECT_EQ(wakes(), 1u) << "a freed slot goes to one ticket, not three";
    EXPECT_EQ(key_info("provider:p").active, 2u);
    EXPECT_EQ(table->read_key_record("provider:p").cap, 2);
}

TEST_F(RecordCapTest, WithoutACapTheTicketsLimitsApply) {
    auto a = take(key, 2), b = take(key, 2);
    for (int64_t ref = 1; ref <= 3; ++ref) enqueue(ref, 8);
    EXPECT_EQ(wakes(), 3u);
    (void)a;
    (void)b;
}

TEST_F(RecordCapTest, ANegativeCapHandsNothingUntilItIsLifted) {
    ASSERT_TRUE(cap(-1));
    enqueue(1, 4);
    enqueue(2, 4);
    EXPECT_EQ(wakes(), 0u) << "the circuit is open: no ticket is woken";
    ASSERT_TRUE(cap(0));
    EXPECT_EQ(wakes(), 2u) << "lifting the cap hands the free slots on at once";
}

TEST_F(RecordCapTest, RaisingTheCapHandsOnAtOnce) {
    ASSERT_TRUE(cap(1));
    auto a = take(key, 1);
    ASSERT_TRUE(a.acquired);
    enqueue(1, 1);
    enqueue(2, 1);
    EXPECT_EQ(wakes(), 0u);
    ASSERT_TRUE(cap(3));
    EXPECT_EQ(wakes(), 2u);
    const KeyRecordValue r = table->read_key_record("provider:p");
    ASSERT_TRUE(table->write_key_record("provider:p", r.version, "same cap", false, 0));
    EXPECT_EQ(table->read_key_record("provider:p").cap, 3) << "a write without set_cap keeps the cap";
}

}  // namespace
}  // namespace sluice::test
