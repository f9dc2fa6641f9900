// Who holds a lease, and whether that process is still the same one.
// A pid alone is not enough: pids are reused, and `kill(pid, 0)` answers for
// whichever process has the number now. The start time (field 22 of
// /proc/PID/stat) tells the original apart from a newcomer.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace sluice {

struct OwnerIdentity {
    pid_t pid;
    uint64_t start_time;     // clock ticks since boot
    uint64_t pid_namespace;  // inode of /proc/self/ns/pid
};

// This process, cached per thread; refreshed in the child after fork().
const OwnerIdentity& current_owner();

// Start time of `pid`, or nullopt when the process does not exist or has
// already exited and only its zombie waits to be reaped.
std::optional<uint64_t> process_start_time(pid_t pid);

enum class Liveness { Alive, Dead, Unknown };

// Cheap first: kill(pid, 0) says "gone" for certain. If the pid exists, the
// start time is compared only when `verify_start_time` is set (callers rate-limit
// it: a reused pid needs the original to die and the pid space to wrap).
// Owners in another pid namespace cannot be judged here: Unknown.
Liveness owner_liveness(pid_t pid, uint64_t start_time, uint64_t pid_namespace,
                        bool verify_start_time);

}  // namespace sluice
