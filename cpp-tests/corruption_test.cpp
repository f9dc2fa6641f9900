// A segment whose records were written by something other than Sluice (any
// process of its group can): every index and length read from it is checked
// before it is followed. A record that fails is never followed: the table is
// repaired around it (corruption_repairs), or reset when repairs keep failing
// (a SegmentError that says so), and no call crashes or loops.
#include <cstring>

#include "sluice/scope.hpp"
#include "sluice/test_hooks.hpp"
#include "test_support.hpp"

namespace sluice::test {
namespace {

class CorruptionTest : public TableTest {
protected:
    void SetUp() override {
        TableTest::SetUp();
        site = table->resolve_key("site");
    }
    void TearDown() override {
        testing::set_after_repair_hook(nullptr);
        TableTest::TearDown();
    }
    uint64_t corruption_repairs() const { return segment->header()->corruption_repairs; }
    // The lease record of a grant.
    LeaseRecord* record(const AcquireResult& a) const { return segment->lease(a.grant.lease_index); }

    uint32_t site = 0;
    const Scope scope = parse_scope("test/1");
};

TEST_F(CorruptionTest, ALabelLengthBeyondItsFieldIsNotFollowed) {
    auto a = take(site, 2, kMinute, "job 1");
    ASSERT_TRUE(a.acquired);
    record(a)->label_len = 65535;  // the field is 96 bytes
    const KeyInfo k = key_info("site");
    EXPECT_EQ(corruption_repairs(), 1u);
    EXPECT_EQ(k.active, 0u) << "the corrupt lease was dropped";
    EXPECT_TRUE(k.holders.empty());
    EXPECT_TRUE(take(site, 2).acquired) << "the table works on";
}

TEST_F(CorruptionTest, AKeyIndexBeyondTheKeyTableIsNotFollowed) {
    auto a = take(site, 1);
    ASSERT_TRUE(a.acquired);
    record(a)->keys[0] = 60000;
    EXPECT_FALSE(release(a)) << "the corrupt lease is dropped, not released through a key that is not there";
    EXPECT_EQ(corruption_repairs(), 1u);
    EXPECT_EQ(key_info("site").active, 0u);
    EXPECT_TRUE(take(site, 1).acquired);
}

TEST_F(CorruptionTest, ASlotNamingALeaseBeyondTheLeaseTableIsNotFollowed) {
    auto a = take(site, 1);
    ASSERT_TRUE(a.acquired);
    segment->key_slots(segment->key(site))[0] = 65535;
    // The key is full: the acquire looks at its holders to reclaim one.
    AcquireResult b = take(site, 1);
    EXPECT_GE(corruption_repairs(), 1u);
    EXPECT_FALSE(b.acquired) << "the repair put the real holder back in its slot";
    EXPECT_TRUE(release(a));
    EXPECT_TRUE(take(site, 1).acquired);
}

TEST_F(CorruptionTest, AnActiveCountBeyondTheSlotsIsNotFollowed) {
    auto a = take(site, 2);
    ASSERT_TRUE(a.acquired);
    segment->key(site)->active = 1000;  // 8 slots per key here
    EXPECT_TRUE(take(site, 2).acquired);
    EXPECT_EQ(corruption_repairs(), 1u);
    EXPECT_EQ(key_info("site").active, 2u) << "rebuilt from the lease records";
    EXPECT_TRUE(release(a));
}

TEST_F(CorruptionTest, AFreeListLeadingToAHeldLeaseDoesNotHandItOut) {
    auto a = take(site, 2);
    ASSERT_TRUE(a.acquired);
    segment->header()->free_lease_head = a.grant.lease_index;
    auto b = take(site, 2);
    ASSERT_TRUE(b.acquired);
    EXPECT_NE(b.grant.lease_index, a.grant.lease_index) << "one record, two holders";
    EXPECT_EQ(corruption_repairs(), 1u);
    EXPECT_TRUE(release(a));
    EXPECT_TRUE(release(b));
}

TEST_F(CorruptionTest, ALeaseMissingFromItsKeysSlotsDoesNotLoopOrCrash) {
    auto a = take(site, 1);
    ASSERT_TRUE(a.acquired);
    segment->key_slots(segment->key(site))[0] = uint16_t(a.grant.lease_index + 1);  // a free record
    EXPECT_TRUE(release(a) || true);
    EXPECT_GE(corruption_repairs(), 1u);
    EXPECT_EQ(key_info("site").active, 0u);
    EXPECT_EQ(table->reset("site"), 0u);
    EXPECT_TRUE(take(site, 1).acquired);
}

class CorruptLineTest : public CorruptionTest {
protected:
    void SetUp() override {
        TableTest::SetUp();
        recreate_with([](SegmentOptions& o) { o.max_tickets = 16; });
        site = table->resolve_key("site");
    }
    EnqueueResult enqueue(int64_t ref, uint32_t limit = 1) {
        return table->enqueue(LineRequest{&site, &limit, 1, ref, "t", 1, 0, scope});
    }
};

TEST_F(CorruptLineTest, ACycleInAQueuesTicketListEnds) {
    auto holder = take(site, 1);
    enqueue(1);
    enqueue(2);
    const uint32_t head = segment->queue(segment->header()->queue_head)->head;
    segment->ticket(segment->ticket(head)->next)->next = head;  // 1 -> 2 -> 1 -> ...
    EXPECT_NO_THROW(table->line());
    EXPECT_GE(corruption_repairs(), 1u);
    EXPECT_TRUE(release(holder)) << "the hand-off walks the line";
    EXPECT_EQ(table->take_wakes(scope, 10).size(), 1u);
}

TEST_F(CorruptLineTest, ACycleInTheQueueListEnds) {
    auto holder = take(site, 1);
    enqueue(1);
    const uint32_t tenant2 = 2;
    table->enqueue(LineRequest{&site, &tenant2, 1, 2, "other", 1, 0, scope});
    QueueRecord* first = segment->queue(segment->header()->queue_head);
    segment->queue(first->next)->next = segment->header()->queue_head;
    EXPECT_NO_THROW(enqueue(3));
    EXPECT_GE(corruption_repairs(), 1u);
    EXPECT_TRUE(release(holder));
}

TEST_F(CorruptLineTest, ATicketsQueueIndexAndAQueuesKeyCountAreChecked) {
    auto holder = take(site, 1);
    EnqueueResult e = enqueue(1);
    const uint32_t head = segment->queue(segment->header()->queue_head)->head;
    segment->ticket(head)->queue = 0x7fffffff;
    EXPECT_FALSE(table->ticket_cancel(scope, e.ticket)) << "the ticket with a queue beyond the table was dropped";
    EXPECT_EQ(corruption_repairs(), 1u);
    EnqueueResult f = enqueue(2);
    segment->queue(segment->header()->queue_head)->key_count = 65535;
    EXPECT_NO_THROW(table->line());
    EXPECT_EQ(corruption_repairs(), 2u);
    EXPECT_FALSE(table->ticket_cancel(scope, f.ticket)) << "its queue failed the check: dropped";
    EXPECT_TRUE(release(holder));
}

TEST_F(CorruptLineTest, AStrandedLabelLengthBeyondItsFieldIsNotFollowed) {
    auto holder = take(site, 1);
    ASSERT_TRUE(holder.acquired);
    // A stranded record as the reclaim of a dead holder leaves it, then corrupted.
    SegmentHeader* h = segment->header();
    StrandedEntry* e = segment->stranded_entry(h->stranded_head);
    std::memset(static_cast<void*>(e), 0, sizeof *e);
    e->seq = h->stranded_head;
    e->ref = 5;
    e->scope = scope;
    e->state = StrandedState::Ready;
    e->label_len = 4000000000u;
    ++h->stranded_head;
    EXPECT_TRUE(table->take_stranded(scope, 10).empty()) << "its label cannot be read: it is dropped";
    EXPECT_EQ(corruption_repairs(), 1u);
    EXPECT_TRUE(release(holder));
}

// Repairs that keep finding corrupt records (a writer outside the lock) give
// up: the table is reset in place with a clear error, and works afterwards.
TEST_F(CorruptionTest, RepairsThatKeepFailingResetTheTableWithAClearError) {
    auto a = take(site, 2);
    ASSERT_TRUE(a.acquired);
    static Segment* s_segment;
    static uint32_t s_site;
    s_segment = segment.get();
    s_site = site;
    segment->key(site)->active = 1000;
    testing::set_after_repair_hook([] { s_segment->key(s_site)->active = 1000; });
    expect_segment_error([&] { take(site, 2); }, {"failed a check again after 2 repairs", "key active 1000",
                                                  "every lease and ticket of the segment was dropped",
                                                  "sluice.file_mode", "recreate_segment"});
    testing::set_after_repair_hook(nullptr);
    EXPECT_EQ(segment->header()->corruption_resets, 1u);
    EXPECT_EQ(segment->header()->corruption_repairs, 2u);
    EXPECT_FALSE(release(a)) << "its lease went with the reset";
    EXPECT_EQ(key_info("site").active, 0u);
    EXPECT_TRUE(take(site, 2).acquired) << "the reset table works";
    EXPECT_EQ(table->resolve_key("site"), site) << "key names survive a reset";
}

}  // namespace
}  // namespace sluice::test
