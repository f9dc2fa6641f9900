#include "sluice/token.hpp"

#include <pthread.h>
#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "sluice/errors.hpp"

namespace sluice {

namespace {

constexpr size_t kBufferedTokens = 256;

struct TokenBuffer {
    Token tokens[kBufferedTokens];
    size_t next = kBufferedTokens;  // empty
};

thread_local TokenBuffer t_buffer;

void discard_buffer_after_fork() { t_buffer.next = kBufferedTokens; }

void refill(TokenBuffer& b) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, [] { pthread_atfork(nullptr, nullptr, discard_buffer_after_fork); });
    auto* bytes = reinterpret_cast<unsigned char*>(b.tokens);
    size_t filled = 0;
    while (filled < sizeof b.tokens) {
        ssize_t n = ::getrandom(bytes + filled, sizeof b.tokens - filled, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SegmentError(std::string("sluice: getrandom failed: ") + std::strerror(errno));
        }
        filled += size_t(n);
    }
    b.next = 0;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

bool parse_hex(std::string_view s, uint64_t& out) {
    out = 0;
    for (char c : s) {
        int v = hex_value(c);
        if (v < 0) return false;
        out = (out << 4) | uint64_t(v);
    }
    return true;
}

}  // namespace

Token random_token() {
    TokenBuffer& b = t_buffer;
    if (b.next == kBufferedTokens) refill(b);
    Token t = b.tokens[b.next];
    // Forget it at once: the buffer must never hold a token that was handed out.
    b.tokens[b.next++] = Token{};
    if (t.hi == 0 && t.lo == 0) t.lo = 1;  // zero means "no token"
    return t;
}

std::string format_token(uint32_t lease_index, const Token& token) {
    char buf[kTokenTextLength + 1];
    std::snprintf(buf, sizeof buf, "%08x%016llx%016llx", lease_index,
                  static_cast<unsigned long long>(token.hi),
                  static_cast<unsigned long long>(token.lo));
    return std::string(buf, kTokenTextLength);
}

std::optional<ParsedToken> parse_token(std::string_view text) {
    if (text.size() != kTokenTextLength) return std::nullopt;
    uint64_t index, hi, lo;
    if (!parse_hex(text.substr(0, 8), index) || !parse_hex(text.substr(8, 16), hi) ||
        !parse_hex(text.substr(24, 16), lo))
        return std::nullopt;
    return ParsedToken{uint32_t(index), Token{hi, lo}};
}

}  // namespace sluice
