#include "sluice/test_hooks.hpp"

namespace sluice::testing {

namespace {
Hook g_hook = nullptr;
}

void set_inside_critical_section_hook(Hook hook) { g_hook = hook; }
Hook inside_critical_section_hook() { return g_hook; }

}  // namespace sluice::testing
