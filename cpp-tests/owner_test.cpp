// Owner identity: this process's start time as /proc tells it.
#include <gtest/gtest.h>
#include <unistd.h>

#include "sluice/owner.hpp"

namespace sluice::test {
namespace {

TEST(Owner, StartTimeOfThisProcessIsKnown) {
    auto start = process_start_time(::getpid());
    ASSERT_TRUE(start);
    EXPECT_EQ(*start, current_owner().start_time);
    EXPECT_FALSE(process_start_time(0x7ffffff0));
}

}  // namespace
}  // namespace sluice::test
