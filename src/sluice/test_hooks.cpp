#include "sluice/test_hooks.hpp"

namespace sluice::testing {

namespace {
Hook g_hook = nullptr;
Hook g_after_repair = nullptr;
}  // namespace

void set_inside_critical_section_hook(Hook hook) { g_hook = hook; }
Hook inside_critical_section_hook() { return g_hook; }

void set_after_repair_hook(Hook hook) { g_after_repair = hook; }
Hook after_repair_hook() { return g_after_repair; }

}  // namespace sluice::testing
