// Fault injection for the crash tests: lets a test process stop at the worst
// moment, inside the critical section, so another process can SIGKILL it there.
#pragma once

namespace sluice::testing {

using Hook = void (*)();

// Called by try_acquire while the mutex is held, after the new lease record
// is committed but before the key counts are updated. nullptr (the default)
// disables it; production code never sets it.
void set_inside_critical_section_hook(Hook hook);
Hook inside_critical_section_hook();

}  // namespace sluice::testing
