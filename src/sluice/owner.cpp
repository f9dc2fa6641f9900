#include "sluice/owner.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sluice {

namespace {

// Per thread, so that threads never race to fill it; after fork() the child's
// only thread (the one that forked) forgets it and looks itself up again.
struct CachedOwner {
    OwnerIdentity identity;
    bool known;
};
thread_local CachedOwner t_owner __attribute__((tls_model("initial-exec"))) = {{}, false};

uint64_t own_pid_namespace() {
    struct stat st;
    return ::stat("/proc/self/ns/pid", &st) == 0 ? uint64_t(st.st_ino) : 0;
}

void forget_owner_after_fork() { t_owner.known = false; }

}  // namespace

namespace {

enum class StatRead { Running, Exited, Unreadable };

// Reads field 22 of /proc/PID/stat. Unreadable covers "no such process" as
// well as "cannot look": /proc not mounted (a chroot), hidepid=, EACCES.
StatRead read_start_time(pid_t pid, uint64_t& start_time) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", int(pid));
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return StatRead::Unreadable;
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return StatRead::Unreadable;
    buf[n] = '\0';
    // The command name (field 2) may contain spaces and parentheses: skip to
    // the last ')' and count fields from there. Field 3 follows it.
    const char* p = std::strrchr(buf, ')');
    if (!p || !p[1] || !p[2]) return StatRead::Unreadable;
    if (p[2] == 'Z' || p[2] == 'X') return StatRead::Exited;  // field 3, the state: exited
    int field = 2;
    while (*p && field < 22) {
        if (*p == ' ') ++field;
        ++p;
    }
    if (field != 22) return StatRead::Unreadable;
    start_time = std::strtoull(p, nullptr, 10);
    return StatRead::Running;
}

}  // namespace

std::optional<uint64_t> process_start_time(pid_t pid) {
    uint64_t start_time = 0;
    if (read_start_time(pid, start_time) != StatRead::Running) return std::nullopt;
    return start_time;
}

const OwnerIdentity& current_owner() {
    CachedOwner& cached = t_owner;
    if (!cached.known) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, [] { pthread_atfork(nullptr, nullptr, forget_owner_after_fork); });
        cached.identity.pid = ::getpid();
        cached.identity.start_time = process_start_time(cached.identity.pid).value_or(0);
        cached.identity.pid_namespace = own_pid_namespace();
        cached.known = true;
    }
    return cached.identity;
}

Liveness owner_liveness(pid_t pid, uint64_t start_time, uint64_t pid_namespace,
                        bool verify_start_time) {
    const OwnerIdentity& self = current_owner();
    if (pid_namespace != self.pid_namespace) return Liveness::Unknown;
    if (pid == self.pid && start_time == self.start_time) return Liveness::Alive;
    if (pid <= 0) return Liveness::Dead;
    // EPERM means the process exists but belongs to another user: still alive.
    if (::kill(pid, 0) != 0 && errno == ESRCH) return Liveness::Dead;
    if (!verify_start_time) return Liveness::Alive;
    // 0: the owner could not read its own start time, so there is nothing to compare.
    if (start_time == 0) return Liveness::Alive;
    uint64_t now_start = 0;
    switch (read_start_time(pid, now_start)) {
        case StatRead::Exited: return Liveness::Dead;  // a zombie: exited, not reaped yet
        case StatRead::Running: return now_start == start_time ? Liveness::Alive : Liveness::Dead;
        case StatRead::Unreadable:
            // Gone since kill() above, or /proc hides it from us (no /proc in a
            // chroot, hidepid=, another user): only a fresh kill() can tell.
            return ::kill(pid, 0) != 0 && errno == ESRCH ? Liveness::Dead : Liveness::Alive;
    }
    return Liveness::Alive;
}

}  // namespace sluice
