// Lease tokens: the public form round-trips and random tokens differ.
#include <gtest/gtest.h>

#include "sluice/token.hpp"

namespace sluice::test {
namespace {

TEST(Tokens, FormatAndParseRoundTrip) {
    Token t = random_token();
    std::string text = format_token(42, t);
    ASSERT_EQ(text.size(), kTokenTextLength);
    auto parsed = parse_token(text);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->lease_index, 42u);
    EXPECT_TRUE(parsed->token == t);
    EXPECT_FALSE(parse_token("xyz"));
    EXPECT_FALSE(parse_token(std::string(40, 'g')));
    EXPECT_FALSE(random_token() == random_token());
}

}  // namespace
}  // namespace sluice::test
