#include "sluice/token.hpp"

#include <pthread.h>
#include <sys/random.h>

// AES-NI only where the compiler targets x86 and the build did not switch it
// off (cmake -DSLUICE_AESNI=OFF builds the portable path alone, as aarch64 does).
#if (defined(__x86_64__) || defined(__i386__)) && !defined(SLUICE_NO_AESNI)
#define SLUICE_AESNI 1
#include <wmmintrin.h>
#else
#define SLUICE_AESNI 0
#endif

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "sluice/errors.hpp"

namespace sluice {

namespace {

// Tokens come from a keyed pseudo-random function per thread, keyed from
// getrandom(): the kernel's CSPRNG costs ~50 ns a token even when buffered.
// With AES-NI the function is AES-128 over a counter (~30 instructions a
// token); without it, a ChaCha12 keystream (~200). Either output is as
// unguessable as its key. The key is dropped in the child after fork() so
// parent and child never produce the same stream.
struct TokenStream {
    uint32_t key[8];
#if SLUICE_AESNI
    __m128i aes_round_keys[11];
#endif
    uint64_t block_counter = 0;
    uint32_t block[16];
    unsigned used = 16;  // words of `block` already handed out
    bool keyed = false;
};

// initial-exec: the general TLS model costs a __tls_get_addr call per token in a
// dlopen()ed extension; this struct is small enough for the static TLS surplus.
thread_local TokenStream t_stream __attribute__((tls_model("initial-exec")));

#if SLUICE_AESNI
const bool g_have_aes = __builtin_cpu_supports("aes");

__attribute__((target("aes,sse2"))) __m128i expand_step(__m128i key, __m128i assist) {
    assist = _mm_shuffle_epi32(assist, 0xff);
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    return _mm_xor_si128(key, assist);
}

#define SLUICE_EXPAND(i, rcon) rk[i] = expand_step(rk[i - 1], _mm_aeskeygenassist_si128(rk[i - 1], rcon))

// The AES-128 key schedule (FIPS-197) with AES-NI.
__attribute__((target("aes,sse2"))) void aes_expand_key(const uint32_t* key, __m128i rk[11]) {
    rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
    SLUICE_EXPAND(1, 0x01); SLUICE_EXPAND(2, 0x02); SLUICE_EXPAND(3, 0x04); SLUICE_EXPAND(4, 0x08);
    SLUICE_EXPAND(5, 0x10); SLUICE_EXPAND(6, 0x20); SLUICE_EXPAND(7, 0x40); SLUICE_EXPAND(8, 0x80);
    SLUICE_EXPAND(9, 0x1b); SLUICE_EXPAND(10, 0x36);
}
#undef SLUICE_EXPAND

__attribute__((target("aes,sse2"))) Token aes_token(TokenStream& s) {
    __m128i block = _mm_set_epi64x(0, int64_t(s.block_counter++));
    block = _mm_xor_si128(block, s.aes_round_keys[0]);
    for (int r = 1; r < 10; ++r) block = _mm_aesenc_si128(block, s.aes_round_keys[r]);
    block = _mm_aesenclast_si128(block, s.aes_round_keys[10]);
    alignas(16) uint64_t out[2];
    _mm_store_si128(reinterpret_cast<__m128i*>(out), block);
    return Token{out[0], out[1]};
}
#else
constexpr bool g_have_aes = false;
#endif

void forget_key_after_fork() { t_stream.keyed = false; }

inline uint32_t rotl(uint32_t v, int c) { return (v << c) | (v >> (32 - c)); }

inline void quarter_round(uint32_t* x, int a, int b, int c, int d) {
    x[a] += x[b]; x[d] = rotl(x[d] ^ x[a], 16);
    x[c] += x[d]; x[b] = rotl(x[b] ^ x[c], 12);
    x[a] += x[b]; x[d] = rotl(x[d] ^ x[a], 8);
    x[c] += x[d]; x[b] = rotl(x[b] ^ x[c], 7);
}

}  // namespace

// RFC 8439's block function with 12 rounds instead of 20, with the original
// 64-bit counter and a nonce fixed at zero (the key is fresh per thread and process).
void chacha12_block(const uint32_t key[8], uint64_t counter, uint32_t out[16]) {
    uint32_t in[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574,
                       key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
                       uint32_t(counter), uint32_t(counter >> 32), 0, 0};
    uint32_t x[16];
    std::memcpy(x, in, sizeof x);
    for (int i = 0; i < 6; ++i) {  // 6 double rounds = ChaCha12
        quarter_round(x, 0, 4, 8, 12); quarter_round(x, 1, 5, 9, 13);
        quarter_round(x, 2, 6, 10, 14); quarter_round(x, 3, 7, 11, 15);
        quarter_round(x, 0, 5, 10, 15); quarter_round(x, 1, 6, 11, 12);
        quarter_round(x, 2, 7, 8, 13); quarter_round(x, 3, 4, 9, 14);
    }
    for (int i = 0; i < 16; ++i) out[i] = x[i] + in[i];
}

const char* token_stream_name() { return g_have_aes ? "aes-128" : "chacha12"; }

namespace {

void seed(TokenStream& s) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, [] { pthread_atfork(nullptr, nullptr, forget_key_after_fork); });
    auto* bytes = reinterpret_cast<unsigned char*>(s.key);
    size_t filled = 0;
    while (filled < sizeof s.key) {
        ssize_t n = ::getrandom(bytes + filled, sizeof s.key - filled, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SegmentError(std::string("sluice: getrandom failed: ") + std::strerror(errno));
        }
        filled += size_t(n);
    }
#if SLUICE_AESNI
    if (g_have_aes) aes_expand_key(s.key, s.aes_round_keys);
#endif
    s.block_counter = 0;
    s.used = 16;
    s.keyed = true;
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
    TokenStream& s = t_stream;
    if (!s.keyed) seed(s);
#if SLUICE_AESNI
    if (g_have_aes) {
        Token t = aes_token(s);
        if (t.hi == 0 && t.lo == 0) t.lo = 1;  // zero means "no token"
        return t;
    }
#endif
    if (s.used == 16) {
        chacha12_block(s.key, s.block_counter++, s.block);
        s.used = 0;
    }
    const uint32_t* w = s.block + s.used;
    Token t{(uint64_t(w[0]) << 32) | w[1], (uint64_t(w[2]) << 32) | w[3]};
    // Forget it at once: the buffer must never hold a token that was handed out.
    std::memset(s.block + s.used, 0, 4 * sizeof(uint32_t));
    s.used += 4;
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
