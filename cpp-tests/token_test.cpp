// Lease tokens: the public form round-trips, random tokens differ, and the
// portable generator (ChaCha12, used without AES-NI) gives the published
// answer. Built twice by CMake: as part of sluice_tests, and alone with
// SLUICE_NO_AESNI (sluice_token_portable_tests), the build aarch64 gets.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

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

TEST(Tokens, TheGeneratorIsTheOneThisBuildAndCpuHave) {
#if (defined(__x86_64__) || defined(__i386__)) && !defined(SLUICE_NO_AESNI)
    EXPECT_STREQ(token_stream_name(), __builtin_cpu_supports("aes") ? "aes-128" : "chacha12");
#else
    EXPECT_STREQ(token_stream_name(), "chacha12");
#endif
}

// ChaCha12, 256-bit zero key, zero nonce, block 0 (draft-strombergson-chacha-test-vectors, TC1).
TEST(Tokens, ChaCha12GivesThePublishedKnownAnswer) {
    const uint32_t key[8] = {};
    uint32_t out[16];
    chacha12_block(key, 0, out);
    unsigned char bytes[64];
    for (int i = 0; i < 16; ++i)
        for (int b = 0; b < 4; ++b) bytes[4 * i + b] = static_cast<unsigned char>(out[i] >> (8 * b));
    const unsigned char expected[64] = {
        0x9b, 0xf4, 0x9a, 0x6a, 0x07, 0x55, 0xf9, 0x53, 0x81, 0x1f, 0xce, 0x12, 0x5f, 0x26, 0x83, 0xd5,
        0x04, 0x29, 0xc3, 0xbb, 0x49, 0xe0, 0x74, 0x14, 0x7e, 0x00, 0x89, 0xa5, 0x2e, 0xae, 0x15, 0x5f,
        0x05, 0x64, 0xf8, 0x79, 0xd2, 0x7a, 0xe3, 0xc0, 0x2c, 0xe8, 0x28, 0x34, 0xac, 0xfa, 0x8c, 0x79,
        0x3a, 0x62, 0x9f, 0x2c, 0xa0, 0xde, 0x69, 0x19, 0x61, 0x0b, 0xe8, 0x2f, 0x41, 0x13, 0x26, 0xbe};
    EXPECT_EQ(std::memcmp(bytes, expected, sizeof bytes), 0);
}

// Whichever generator runs: no repeats, no zero token, and every bit takes both values.
TEST(Tokens, TenThousandTokensAreDistinctAndEveryBitVaries) {
    std::set<std::pair<uint64_t, uint64_t>> seen;
    uint64_t ones_hi = 0, ones_lo = 0, zeros_hi = 0, zeros_lo = 0;
    for (int i = 0; i < 10000; ++i) {
        const Token t = random_token();
        EXPECT_FALSE(t.hi == 0 && t.lo == 0);
        seen.emplace(t.hi, t.lo);
        ones_hi |= t.hi;
        ones_lo |= t.lo;
        zeros_hi |= ~t.hi;
        zeros_lo |= ~t.lo;
    }
    EXPECT_EQ(seen.size(), 10000u);
    EXPECT_EQ(ones_hi & ones_lo & zeros_hi & zeros_lo, ~uint64_t(0));
}

}  // namespace
}  // namespace sluice::test
