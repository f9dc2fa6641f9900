// Creating, validating, securing and recreating the shared segment.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "sluice/errors.hpp"
#include "test_support.hpp"

namespace sluice::test {
namespace {

TEST_F(TableTest, NewSegmentHasHeaderAndTightMode) {
    SegmentHeader* h = segment->header();
    EXPECT_EQ(h->magic.load(), kMagic);
    EXPECT_EQ(h->layout_version, kLayoutVersion);
    EXPECT_EQ(h->mutex_size, sizeof(pthread_mutex_t));
    EXPECT_EQ(h->max_keys, 8u);
    EXPECT_EQ(h->generation, 1u);
    struct stat st;
    ASSERT_EQ(::stat(Segment::shm_path(options.name).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(size_t(st.st_size), segment->size());
    EXPECT_NE(Segment::shm_name("x").find(".v" + std::to_string(kLayoutVersion) + "."), std::string::npos)
        << "the layout version must be part of the name";
}

TEST(SegmentNames, PathCarriesTheLayoutVersion) {
    EXPECT_EQ(Segment::shm_name("site-a"), "/sluice.v" + std::to_string(kLayoutVersion) + ".site-a");
    EXPECT_EQ(Segment::shm_path("site-a"), "/dev/shm/sluice.v" + std::to_string(kLayoutVersion) + ".site-a");
    EXPECT_NO_THROW(check_segment_name("a-b_c.d"));
    EXPECT_THROW(check_segment_name(""), InvalidArgument);
    EXPECT_THROW(check_segment_name("../x"), InvalidArgument);
    EXPECT_THROW(check_segment_name(std::string(kMaxSegmentNameBytes + 1, 'n')), InvalidArgument);
}

TEST(SegmentSize, DefaultCapacityFitsInSixMebibytes) {
    SegmentOptions o;
    SegmentGeometry g{o.max_keys, o.slots_per_key, o.max_leases, o.max_tickets};
    EXPECT_LE(g.total_size(), size_t(6) << 20);
    // Without a waiting line: keys (each with its 128-byte record), leases and each key's
    // rate record (its bucket and 16 minutes of capacity counters).
    SegmentGeometry leases_only{256, 64, 4096, 1};
    EXPECT_LE(leases_only.total_size(), (size_t(3) << 19) + 256 * (kMaxRecordBytes + 16));
    EXPECT_LE(sizeof(RateRecord), 1280u);
}

TEST_F(TableTest, SecondAttachSeesSameTable) {
    uint32_t k = table->resolve_key("site");
    ASSERT_TRUE(take(k, 1).acquired);
    auto other = Segment::attach(options);
    LeaseTable second(*other);
    uint32_t k2 = second.resolve_key("site");
    EXPECT_EQ(k, k2);
    uint32_t limit = 1;
    SlotRequest r{&k2, &limit, 1, kMinute, ""};
    EXPECT_FALSE(second.try_acquire(r).acquired);
}

TEST_F(TableTest, TooPermissiveModeIsRefused) {
    ASSERT_EQ(::chmod(Segment::shm_path(options.name).c_str(), 0666), 0);
    expect_segment_error([&] { Segment::attach(options); }, {"0666"});
}

TEST_F(TableTest, TooPermissiveInitLockIsRefusedWhenCreating) {
    // Only a creator takes the init lock, so drop the segment to make one.
    ASSERT_EQ(::chmod((Segment::shm_path(options.name) + ".lock").c_str(), 0666), 0);
    ASSERT_EQ(::unlink(Segment::shm_path(options.name).c_str()), 0);
    expect_segment_error([&] { Segment::attach(options); }, {".lock has mode 0666"});
    struct stat st;
    EXPECT_NE(::stat(Segment::shm_path(options.name).c_str(), &st), 0) << "nothing may be created under it";
}

TEST_F(TableTest, ForeignOwnerIsRefused) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
    ASSERT_EQ(::chown(Segment::shm_path(options.name).c_str(), 65534, 65534), 0);
    // Root trusts only itself, root-owned segments, or the configured group.
    // The message names what it found and the lines that let both users share it.
    expect_segment_error([&] { Segment::attach(options); },
                         {"owner nobody, group nogroup, mode 0600", "belongs neither to this user (root, uid 0)",
                          "sluice.file_mode=0660 and sluice.group=nogroup"});
    SegmentOptions with_group = options;
    with_group.group = 65534;
    EXPECT_NO_THROW(Segment::attach(with_group));
}

// PHP-FPM as www-data and a root CLI with the default 0600 and no group: the
// refused process is told what it found and the exact lines that fix it.
TEST_F(TableTest, PermissionDeniedNamesTheOwnerModeAndTheLinesThatFix) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a process as another user";
    Signal told;
    pid_t child = spawn([&] {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) return false;
        try {
            Segment::attach(options);
        } catch (const SegmentError& e) {
            const std::string what = e.what();
            const std::string path = Segment::shm_path(options.name);
            for (const std::string& part :
                 {std::string("permission denied opening segment ") + Segment::shm_name(options.name),
                  std::string("owner root, group root, mode 0600"),
                  std::string("this process runs as nobody, group nogroup"),
                  std::string("sluice.file_mode=0660 and sluice.group=nogroup"),
                  "rm -f " + path + " " + path + ".lock"})
                if (what.find(part) == std::string::npos) {
                    std::fprintf(stderr, "missing \"%s\" in: %s\n", part.c_str(), what.c_str());
                    return false;
                }
            return true;
        }
        return false;
    });
    EXPECT_EQ(wait_exit_code(child), 0);
}

TEST_F(TableTest, CorruptMagicIsRefusedWithAClearError) {
    segment->header()->magic.store(0xdeadbeef);
    expect_segment_error([&] { Segment::attach(options); }, {"foreign or corrupt"});
}

TEST_F(TableTest, ForeignLayoutIsRefused) {
    segment->header()->layout_version = kLayoutVersion + 7;
    expect_segment_error([&] { Segment::attach(options); }, {"layout"});
}

// A corrupt header cannot be trusted for its generation either: the new
// segment starts again at 1, and mappers of the old one leave it because its
// name was unlinked (Connection's orphan check), not because it was retired.
TEST_F(TableTest, CorruptSegmentIsReplacedByRecreate) {
    segment->header()->magic.store(0xdeadbeef);
    expect_segment_error([&] { Segment::attach(options); }, {"foreign or corrupt"});
    auto fresh = Segment::recreate(options);
    EXPECT_EQ(fresh->header()->magic.load(), kMagic);
    EXPECT_EQ(fresh->header()->generation, 1u);
    EXPECT_TRUE(segment->unlinked());
    auto again = Segment::attach(options);
    LeaseTable next(*again);
    uint32_t k = next.resolve_key("site"), limit = 1;
    EXPECT_TRUE(next.try_acquire({&k, &limit, 1, kMinute, ""}).acquired);
}

TEST_F(TableTest, InconsistentSizesAreRefused) {
    segment->header()->max_leases = 60000;
    expect_segment_error([&] { Segment::attach(options); }, {"sizes do not add up"});
}

TEST(SegmentCreation, CreatorThatDiedBeforeTheMagicIsRedone) {
    SegmentOptions o;
    o.name = unique_segment_name();
    // What a creator leaves if it dies after sizing, before publishing: zeros.
    int fd = ::shm_open(Segment::shm_name(o.name).c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, 4096), 0);
    ::close(fd);
    auto s = Segment::attach(o);
    EXPECT_EQ(s->header()->magic.load(), kMagic);
    EXPECT_EQ(s->size(), SegmentGeometry({256, 64, 4096, 16384}).total_size());
    LeaseTable t(*s);
    uint32_t k = t.resolve_key("k"), limit = 1;
    EXPECT_TRUE(t.try_acquire({&k, &limit, 1, kMinute, ""}).acquired);
    Segment::remove(o.name);
}

TEST_F(TableTest, RecreateRetiresTheOldSegmentAndBumpsGeneration) {
    uint32_t k = table->resolve_key("site");
    ASSERT_TRUE(take(k, 1).acquired);
    auto fresh = Segment::recreate(options);
    EXPECT_EQ(fresh->header()->generation, 2u);
    EXPECT_EQ(segment->header()->retired.load(), 1u) << "old mappers must learn they are stale";
    EXPECT_EQ(fresh->header()->key_count, 0u);
}

// A recreate killed between retiring the old segment and replacing it leaves
// a retired segment under the name; the next attach finishes the job instead
// of handing out a table that every caller must leave again at once.
TEST_F(TableTest, AttachFinishesARecreateThatDiedHalfway) {
    segment->header()->retired.store(1);
    auto next = Segment::attach(options);
    EXPECT_EQ(next->header()->retired.load(), 0u);
    EXPECT_EQ(next->header()->generation, 2u);
    auto again = Segment::attach(options);
    EXPECT_EQ(again->header()->generation, 2u) << "the replacement is what everyone opens now";
}

TEST(Connection, FollowsARecreatedSegment) {
    SegmentOptions o;
    o.name = unique_segment_name();
    Connection a(o), b(o);
    a.table().resolve_key("k");
    EXPECT_EQ(a.generation(), 1u);
    b.recreate();
    EXPECT_EQ(b.generation(), 2u);
    a.table();  // notices the retired flag and re-attaches
    EXPECT_EQ(a.generation(), 2u);
    Segment::remove(o.name);
}

// rm in /dev/shm or systemd's RemoveIPC= unlinks the name under mapped
// processes: they must move to the segment under the name within about a
// second, instead of running a second table with a limit of its own.
TEST(Connection, MovesOffASegmentWhoseNameWasUnlinked) {
    SegmentOptions o;
    o.name = unique_segment_name();
    Connection old_mapper(o);
    uint32_t limit = 1;
    uint32_t k = old_mapper.table().resolve_key("k");
    ASSERT_TRUE(old_mapper.table().try_acquire({&k, &limit, 1, kMinute, ""}).acquired);
    const uint64_t first_mapping = old_mapper.mapping_id();

    Segment::remove(o.name);
    Connection newcomer(o);  // creates a segment under the name
    uint32_t k2 = newcomer.table().resolve_key("k");
    ASSERT_TRUE(newcomer.table().try_acquire({&k2, &limit, 1, kMinute, ""}).acquired);

    ::usleep(1100 * 1000);  // the once-a-second link check is due
    LeaseTable& now = old_mapper.table();
    EXPECT_NE(old_mapper.mapping_id(), first_mapping) << "still on the unlinked object";
    uint32_t k3 = now.resolve_key("k");
    EXPECT_FALSE(now.try_acquire({&k3, &limit, 1, kMinute, ""}).acquired)
        << "one table again: the newcomer's lease fills limit 1";
    Segment::remove(o.name);
}

TEST(SegmentOptionsValidation, RejectsBadSettingsByName) {
    SegmentOptions o;
    o.name = "bad/name";
    EXPECT_THROW(validate_options(o), InvalidArgument);
    o.name = "ok";
    o.max_keys = 0;
    EXPECT_THROW(validate_options(o), InvalidArgument);
    o.max_keys = 1;
    o.mode = 0400;
    EXPECT_THROW(validate_options(o), InvalidArgument);
    o.mode = 01777;
    EXPECT_THROW(validate_options(o), InvalidArgument);
    o.mode = 0660;
    EXPECT_NO_THROW(validate_options(o));
    // Bits for other users: any process of the host could rewrite the leases.
    for (mode_t other : {0666, 0664, 0604, 0601}) {
        o.mode = other;
        try {
            validate_options(o);
            ADD_FAILURE() << "mode " << std::oct << other << " accepted";
        } catch (const InvalidArgument& e) {
            EXPECT_NE(std::string(e.what()).find("lets every user of the host read and write"), std::string::npos)
                << e.what();
        }
    }
}

}  // namespace
}  // namespace sluice::test
