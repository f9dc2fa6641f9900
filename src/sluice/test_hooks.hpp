// Fault injection for the crash tests: lets a test process stop at the worst
// moment, inside the critical section, so another process can SIGKILL it there.
#pragma once

namespace sluice::testing {

using Hook = void (*)();

// Called while the mutex is held: by try_acquire after the new lease record
// is committed but before the key counts are updated, and by
// mark_request_started/finished after the request deadline is stored.
// nullptr (the default) disables it; production code never sets it.
void set_inside_critical_section_hook(Hook hook);
Hook inside_critical_section_hook();

// Called at the end of every repair, under the lock: a test that writes into
// the segment again from here stands for a writer outside the lock that keeps
// corrupting it (the repairs give up and reset the table).
void set_after_repair_hook(Hook hook);
Hook after_repair_hook();

}  // namespace sluice::testing
