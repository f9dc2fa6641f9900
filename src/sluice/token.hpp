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

}  // namespace sluice
