// Lease tokens: 128 random bits, unguessable, so a token is the capability to
// release or renew a lease. The public form also carries the record index, so
// release is O(1): "<8 hex index><32 hex random>".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

struct Token {
    uint64_t hi = 0;
    uint64_t lo = 0;
    bool operator==(const Token& o) const { return hi == o.hi && lo == o.lo; }
};

// AES-128 over a counter (ChaCha12 without AES-NI), keyed per thread and anew
// after fork() from getrandom().
Token random_token();

inline constexpr size_t kTokenTextLength = 40;

std::string format_token(uint32_t lease_index, const Token& token);

struct ParsedToken {
    uint32_t lease_index;
    Token token;
};
std::optional<ParsedToken> parse_token(std::string_view text);

// The generator in use: "aes-128" (AES-NI) or "chacha12" (the portable one:
// CPUs without AES-NI, other architectures, builds with -DSLUICE_AESNI=OFF).
const char* token_stream_name();
// The portable generator's block function (exposed for its known-answer test).
void chacha12_block(const uint32_t key[8], uint64_t counter, uint32_t out[16]);

}  // namespace sluice
