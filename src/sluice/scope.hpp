// Scopes: who a ticket, wake or stranded record of the waiting line belongs
// to (see layout.hpp's Scope). The text form is what callers pass and see:
//
//   ""                 the empty scope (callers outside WordPress)
//   "<install>/<blog>" install: 1 to 16 bytes of letters, digits, '-', '_', '.'
//                      (e.g. a hash of the WordPress install); blog: 0 to
//                      4294967295 in decimal, without leading zeros
//
// Stored as 16 zero-padded bytes and a uint32 blog id (20 bytes).
#pragma once

#include <cstring>
#include <string>
#include <string_view>

#include "sluice/layout.hpp"

namespace sluice {

// Throws InvalidArgument saying what is wrong with `text`.
Scope parse_scope(std::string_view text);
std::string format_scope(const Scope& scope);

inline bool same_scope(const Scope& a, const Scope& b) {
    return a.blog == b.blog && std::memcmp(a.install, b.install, kMaxInstallBytes) == 0;
}

}  // namespace sluice
