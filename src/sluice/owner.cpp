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

std::optional<uint64_t> process_start_time(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", int(pid));
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return std::nullopt;
    buf[n] = '\0';
    // The command name (field 2) may contain spaces and parentheses: skip to
    // the last ')' and count fields from there. Field 3 follows it.
    const char* p = std::strrchr(buf, ')');
    if (!p || !p[1] || !p[2]) return std::nullopt;
    if (p[2] == 'Z' || p[2] == 'X') return std::nullopt;  // field 3, the state: exited
    int field = 2;
    while (*p && field < 22) {
        if (*p == ' ') ++field;
        ++p;
    }
    if (field != 22) return std::nullopt;
    return std::strtoull(p, nullptr, 10);
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
    std::optional<uint64_t> now_start = process_start_time(pid);
    if (!now_start || *now_start != start_time) return Liveness::Dead;
    return Liveness::Alive;
}

}  // namespace sluice
