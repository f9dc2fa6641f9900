#include "sluice/scope.hpp"

#include <cctype>
#include <cstdint>

#include "sluice/errors.hpp"

namespace sluice {

namespace {
[[noreturn]] void bad(std::string_view text, const char* why) {
    throw InvalidArgument("sluice: scope \"" + std::string(text.substr(0, 40)) + "\" " + why +
                          " (a scope is \"\" or \"<install>/<blog>\": install 1 to " +
                          std::to_string(kMaxInstallBytes) +
                          " letters, digits, '-', '_' or '.'; blog a decimal from 0 to 4294967295)");
}
}  // namespace

Scope parse_scope(std::string_view text) {
    Scope scope{};
    if (text.empty()) return scope;
    const size_t slash = text.find('/');
    if (slash == std::string_view::npos) bad(text, "has no '/'");
    const std::string_view install = text.substr(0, slash), blog = text.substr(slash + 1);
    if (install.empty() || install.size() > kMaxInstallBytes) bad(text, "has an install id of the wrong length");
    for (char c : install)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            bad(text, "has a character an install id may not contain");
    if (blog.empty() || blog.size() > 10 || (blog.size() > 1 && blog[0] == '0')) bad(text, "has a bad blog id");
    uint64_t id = 0;
    for (char c : blog) {
        if (c < '0' || c > '9') bad(text, "has a bad blog id");
        id = id * 10 + uint64_t(c - '0');
    }
    if (id > UINT32_MAX) bad(text, "has a blog id above 4294967295");
    std::memcpy(scope.install, install.data(), install.size());
    scope.blog = uint32_t(id);
    return scope;
}

std::string format_scope(const Scope& scope) {
    const size_t n = strnlen(scope.install, kMaxInstallBytes);
    if (n == 0 && scope.blog == 0) return std::string();
    std::string install(scope.install, n);
    // Only a corrupt record has other bytes: never hand them on (status output is JSON).
    for (char& c : install)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '?';
    return install + "/" + std::to_string(scope.blog);
}

}  // namespace sluice
