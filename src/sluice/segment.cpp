#include "sluice/segment.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include "sluice/clock.hpp"
#include "sluice/errors.hpp"
#include "sluice/robust_mutex.hpp"

namespace bip = boost::interprocess;

namespace sluice {

namespace {

constexpr int64_t kInitLockTimeoutNs = 10 * kNsPerSecond;

std::string errno_text(int err) { return std::strerror(err); }

bool valid_capacity(uint32_t n) { return n >= 1 && n <= kMaxCapacity; }

std::string octal(mode_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0%03o", unsigned(mode & 0777));
    return buf;
}

// Closes a raw descriptor on scope exit.
struct FdGuard {
    int fd;
    ~FdGuard() {
        if (fd >= 0) ::close(fd);
    }
};

std::string user_name(uid_t uid) {
    struct passwd entry, *found = nullptr;
    std::vector<char> buf(16384);
    if (::getpwuid_r(uid, &entry, buf.data(), buf.size(), &found) == 0 && found) return found->pw_name;
    return "uid " + std::to_string(uid);
}

std::string group_name(gid_t gid) {
    struct group entry, *found = nullptr;
    std::vector<char> buf(16384);
    if (::getgrgid_r(gid, &entry, buf.data(), buf.size(), &found) == 0 && found) return found->gr_name;
    return std::to_string(gid);  // sluice.group takes a numeric gid too
}

// "owner root, group root, mode 0600"
std::string describe_file(const struct stat& st) {
    return "owner " + user_name(st.st_uid) + ", group " + group_name(st.st_gid) + ", mode " + octal(st.st_mode);
}

// The INI lines with which PHP-FPM workers and CLI runners of different users
// share one segment: a group that the process refused here can be given
// (its own, unless it is root: then the group of the segment it found).
std::string sharing_lines(const struct stat& st) {
    std::string group;
    if (::geteuid() != 0)
        group = group_name(::getegid());
    else if (st.st_gid != 0)
        group = group_name(st.st_gid);
    else
        group = "<the PHP-FPM pool's group, e.g. www-data>";
    return "sluice.file_mode=0660 and sluice.group=" + group;
}

std::string this_process() {
    return "this process runs as " + user_name(::geteuid()) + ", group " + group_name(::getegid());
}

// The owner and mode must be ones we would have created ourselves; anything
// else could be a segment planted by another user to read or jam our leases.
void check_ownership(int fd, const std::string& shm, const SegmentOptions& options) {
    struct stat st;
    if (::fstat(fd, &st) != 0)
        throw SegmentError("sluice: fstat(" + shm + ") failed: " + errno_text(errno));
    mode_t extra = (st.st_mode & 0777) & ~options.mode;
    if (extra != 0)
        throw SegmentError("sluice: segment " + shm + " has mode " + octal(st.st_mode) +
                           ", more permissive than sluice.file_mode " + octal(options.mode) + " (owner " +
                           user_name(st.st_uid) + ", group " + group_name(st.st_gid) +
                           "); refusing to use it. If PHP-FPM and CLI users share it, every PHP that uses it needs "
                           "the same lines in its php.ini: " + sharing_lines(st) +
                           "; if it is not yours, remove it");
    bool trusted_owner = st.st_uid == ::geteuid() || st.st_uid == 0 ||
                         (options.group && st.st_gid == *options.group);
    if (!trusted_owner)
        throw SegmentError("sluice: segment " + shm + " (" + describe_file(st) + ") belongs neither to this user (" +
                           user_name(::geteuid()) + ", uid " + std::to_string(::geteuid()) +
                           ") nor to root nor to sluice.group; refusing to use it. To share one segment between "
                           "PHP-FPM and CLI users, put in the php.ini of every PHP that uses it: " +
                           sharing_lines(st));
}

// Why this process may not open `object` (the segment `shm` or its lock;
// EACCES), and what fixes it.
std::string permission_denied(const std::string& object, const std::string& shm) {
    const std::string what = object == shm ? "segment " + shm : object;
    struct stat st;
    if (::stat(("/dev/shm" + object).c_str(), &st) != 0)
        return "sluice: permission denied opening " + what + " (" + this_process() +
               "; see sluice.file_mode and sluice.group)";
    return "sluice: permission denied opening " + what + " (" + describe_file(st) + "; " + this_process() +
           "). To share one segment between PHP-FPM and CLI users, put in the php.ini of every PHP that uses it: " +
           sharing_lines(st) + "; then remove it once (rm -f /dev/shm" + shm + " /dev/shm" + shm +
           ".lock) so that the next process creates it with them";
}

// Applies the configured mode and group to an object this process just
// created. On failure the object is unlinked: a later attach opens an existing
// object without applying them, so one left behind would silently keep the
// wrong group (and be initialised with it).
void apply_permissions(int fd, const std::string& shm, const SegmentOptions& options) {
    std::string problem;
    if (::fchmod(fd, options.mode) != 0)
        problem = "sluice: fchmod(" + shm + ") failed: " + errno_text(errno);
    else if (options.group && ::fchown(fd, uid_t(-1), *options.group) != 0)
        problem = "sluice: cannot give " + shm + " to group " + std::to_string(*options.group) + ": " +
                  errno_text(errno) + " (the creating user must belong to sluice.group)";
    if (problem.empty()) return;
    ::shm_unlink(shm.c_str());
    throw SegmentError(problem);
}

bip::shared_memory_object open_shm(const std::string& shm, bool create, const SegmentOptions& options,
                                   bool& created) {
    created = false;
    try {
        return bip::shared_memory_object(bip::open_only, shm.c_str(), bip::read_write);
    } catch (const bip::interprocess_exception& e) {
        if (!create || e.get_error_code() != bip::not_found_error) {
            if (e.get_error_code() == bip::security_error)
                throw SegmentError(permission_denied(shm, shm));
            if (e.get_error_code() == bip::not_found_error) throw;
            throw SegmentError("sluice: cannot open segment " + shm + ": " + e.what());
        }
    }
    try {
        bip::permissions perms(options.mode);
        bip::shared_memory_object shm_object(bip::create_only, shm.c_str(), bip::read_write, perms);
        created = true;
        return shm_object;
    } catch (const bip::interprocess_exception& e) {
        if (e.get_error_code() == bip::already_exists_error)
            return bip::shared_memory_object(bip::open_only, shm.c_str(), bip::read_write);
        throw SegmentError("sluice: cannot create segment " + shm + ": " + e.what());
    }
}

// The header must describe exactly the layout this build knows; anything else
// is another build's segment or garbage, and touching it could corrupt both.
SegmentGeometry validate_header(const SegmentHeader* h, size_t mapped_size, const std::string& shm) {
    if (h->magic.load(std::memory_order_acquire) != kMagic)
        throw SegmentError("sluice: segment " + shm + " has a foreign or corrupt header (bad magic); "
                           "recreate it (Sluice\\recreate_segment())");
    if (h->layout_version != kLayoutVersion || h->mutex_size != sizeof(pthread_mutex_t))
        throw SegmentError("sluice: segment " + shm + " has layout " + std::to_string(h->layout_version) +
                           " with a " + std::to_string(h->mutex_size) + "-byte mutex; this build needs layout " +
                           std::to_string(kLayoutVersion) + " with " + std::to_string(sizeof(pthread_mutex_t)));
    SegmentGeometry g{h->max_keys, h->slots_per_key, h->max_leases, h->max_tickets};
    if (!valid_capacity(g.max_keys) || !valid_capacity(g.slots_per_key) || !valid_capacity(g.max_leases) ||
        h->max_tickets < 1 || h->max_tickets > kMaxTicketCapacity ||
        h->ref_buckets != SegmentGeometry::ref_buckets_for(h->max_tickets) ||
        h->total_size != g.total_size() || mapped_size < g.total_size() || h->key_count > g.max_keys ||
        h->leases_in_use > g.max_leases)
        throw SegmentError("sluice: segment " + shm + " has a corrupt header (sizes do not add up); "
                           "recreate it (Sluice\\recreate_segment())");
    return g;
}

void initialise(char* base, const SegmentGeometry& g, uint64_t generation) {
    std::memset(base, 0, g.total_size());
    auto* h = reinterpret_cast<SegmentHeader*>(base);
    h->layout_version = kLayoutVersion;
    h->mutex_size = sizeof(pthread_mutex_t);
    h->max_keys = g.max_keys;
    h->slots_per_key = g.slots_per_key;
    h->max_leases = g.max_leases;
    h->total_size = g.total_size();
    h->generation = generation;
    h->max_tickets = g.max_tickets;
    h->ref_buckets = SegmentGeometry::ref_buckets_for(g.max_tickets);
    robust_mutex_init(&h->mutex);
    auto* leases = reinterpret_cast<LeaseRecord*>(base + g.leases_offset());
    for (uint32_t i = 0; i < g.max_leases; ++i) leases[i].next_free = i + 1 < g.max_leases ? i + 1 : kNoLease;
    h->free_lease_head = 0;
    auto* tickets = reinterpret_cast<TicketRecord*>(base + g.tickets_offset());
    auto* queues = reinterpret_cast<QueueRecord*>(base + g.queues_offset());
    for (uint32_t i = 0; i < g.max_tickets; ++i) {
        tickets[i].next = i + 1 < g.max_tickets ? i + 1 : kNoTicket;
        queues[i].next = i + 1 < g.max_tickets ? i + 1 : kNoTicket;
    }
    auto* buckets = reinterpret_cast<uint32_t*>(base + g.buckets_offset());
    for (uint32_t i = 0; i < h->ref_buckets; ++i) buckets[i] = kNoTicket;
    h->free_ticket_head = 0;
    h->free_queue_head = 0;
    h->queue_head = kNoTicket;
    // Published last: a reader that sees the magic sees everything above.
    h->magic.store(kMagic, std::memory_order_release);
}

// Sizes the (empty or half-initialised) segment and writes a fresh table.
// The caller holds the init lock, so nobody else is writing it.
bip::mapped_region reserve_and_initialise(bip::shared_memory_object& object, const SegmentOptions& options,
                                          const std::string& shm, uint64_t generation) {
    SegmentGeometry g{options.max_keys, options.slots_per_key, options.max_leases, options.max_tickets};
    // posix_fallocate, not ftruncate: on a full tmpfs ftruncate succeeds and
    // the first touch of a missing page kills the process with SIGBUS.
    int rc = ::posix_fallocate(object.get_mapping_handle().handle, 0, off_t(g.total_size()));
    if (rc != 0)
        throw SegmentError("sluice: cannot reserve " + std::to_string(g.total_size()) + " bytes for " + shm +
                           ": " + errno_text(rc) + (rc == ENOSPC ? " (is /dev/shm full or too small?)" : ""));
    bip::mapped_region region(object, bip::read_write, 0, g.total_size());
    initialise(static_cast<char*>(region.get_address()), g, generation);
    return region;
}

// flock on a small side object in the same namespace as the segment. The
// kernel drops it when its holder dies, so a crashed creator never wedges us.
int take_init_lock(const std::string& shm, const SegmentOptions& options) {
    std::string lock_name = shm + ".lock";
    int fd = ::shm_open(lock_name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, options.mode);
    const bool created = fd >= 0;
    if (!created && errno == EEXIST) fd = ::shm_open(lock_name.c_str(), O_RDWR | O_CLOEXEC, 0);
    if (fd < 0 && errno == EACCES) throw SegmentError(permission_denied(lock_name, shm));
    if (fd < 0) throw SegmentError("sluice: cannot open " + lock_name + ": " + errno_text(errno));
    // Whoever holds this lock may write the segment's header, so an existing
    // one gets the segment's own check: a planted lock object could hold every
    // creator off (or be held open by its planter).
    try {
        if (created)
            apply_permissions(fd, lock_name, options);
        else
            check_ownership(fd, lock_name, options);
    } catch (...) {
        ::close(fd);
        throw;
    }
    int64_t deadline = monotonic_ns() + kInitLockTimeoutNs;
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int err = errno;
            ::close(fd);
            throw SegmentError("sluice: flock(" + lock_name + ") failed: " + errno_text(err));
        }
        if (monotonic_ns() > deadline) {
            ::close(fd);
            throw SegmentError("sluice: timed out after 10 s waiting for " + lock_name +
                               " (another process is initialising the segment)");
        }
        timespec pause{0, long(kNsPerMs)};
        ::nanosleep(&pause, nullptr);
    }
    return fd;
}

}  // namespace

void check_segment_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxSegmentNameBytes)
        throw InvalidArgument("sluice.segment must be 1 to " + std::to_string(kMaxSegmentNameBytes) + " characters");
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            throw InvalidArgument("sluice.segment may contain only letters, digits, '-', '_' and '.'");
}

void validate_options(const SegmentOptions& o) {
    check_segment_name(o.name);
    const struct {
        const char* setting;
        uint32_t value;
    } capacities[] = {{"sluice.max_keys", o.max_keys},
                      {"sluice.max_slots_per_key", o.slots_per_key},
                      {"sluice.max_leases", o.max_leases}};
    for (const auto& c : capacities)
        if (!valid_capacity(c.value))
            throw InvalidArgument(std::string(c.setting) + " must be 1 to " + std::to_string(kMaxCapacity));
    if (o.max_tickets < 1 || o.max_tickets > kMaxTicketCapacity)
        throw InvalidArgument("sluice.max_tickets must be 1 to " + std::to_string(kMaxTicketCapacity));
    if (o.aging_seconds < 1 || o.aging_seconds > 86400)
        throw InvalidArgument("sluice.aging_seconds must be 1 to 86400");
    if (o.reservation_ms < 1 || o.reservation_ms > 3600000)
        throw InvalidArgument("sluice.reservation_ms must be 1 to 3600000");
    if ((o.mode & ~mode_t(0777)) != 0 || (o.mode & 0600) != 0600)
        throw InvalidArgument("sluice.file_mode must be an octal mode like 0600 or 0660 that lets the owner read and write");
    if ((o.mode & 0007) != 0)
        throw InvalidArgument("sluice.file_mode " + octal(o.mode) +
                              " lets every user of the host read and write the segment (its leases, tokens and "
                              "waiting line); use 0600, or 0660 with sluice.group to share it with one group");
}

std::string Segment::shm_name(const std::string& name) {
    return "/sluice.v" + std::to_string(kLayoutVersion) + "." + name;
}

std::string Segment::shm_path(const std::string& name) { return "/dev/shm" + shm_name(name); }

Segment::Segment(bip::shared_memory_object shm, bip::mapped_region region, std::string name)
    : shm_(std::move(shm)),
      region_(std::move(region)),
      name_(std::move(name)),
      header_(static_cast<SegmentHeader*>(region_.get_address())),
      geometry_{header_->max_keys, header_->slots_per_key, header_->max_leases, header_->max_tickets},
      ref_buckets_(SegmentGeometry::ref_buckets_for(geometry_.max_tickets)) {}

void corrupt_record(const char* what, uint64_t index, uint64_t value) {
    throw CorruptRecord(std::string(what) + " " + std::to_string(index) + ": " + std::to_string(value));
}

std::unique_ptr<Segment> Segment::adopt_if_initialised(bip::shared_memory_object& object, const std::string& shm) {
    bip::offset_t size = 0;
    object.get_size(size);
    if (size_t(size) < sizeof(SegmentHeader)) return nullptr;
    bip::mapped_region region(object, bip::read_write);
    auto* h = static_cast<SegmentHeader*>(region.get_address());
    if (h->magic.load(std::memory_order_acquire) == 0) return nullptr;  // creator never finished
    validate_header(h, region.get_size(), shm);
    return std::unique_ptr<Segment>(new Segment(std::move(object), std::move(region), shm));
}

std::unique_ptr<Segment> Segment::attach(const SegmentOptions& options) {
    validate_options(options);
    const std::string shm = shm_name(options.name);

    // Fast path: an initialised segment needs no lock at all.
    try {
        bool created;
        bip::shared_memory_object object = open_shm(shm, false, options, created);
        check_ownership(object.get_mapping_handle().handle, shm, options);
        auto segment = adopt_if_initialised(object, shm);
        // Retired but still under the name: a recreate is replacing it right
        // now (it retires, then unlinks, under the init lock). The locked path
        // below waits for it and opens the new one.
        if (segment && !segment->header()->retired.load(std::memory_order_acquire)) return segment;
    } catch (const bip::interprocess_exception&) {
        // not there yet: create it below
    }

    int lock_fd = take_init_lock(shm, options);
    FdGuard unlock_on_exit{lock_fd};
    bool created;
    bip::shared_memory_object object = open_shm(shm, true, options, created);
    int fd = object.get_mapping_handle().handle;
    if (created) apply_permissions(fd, shm, options);
    check_ownership(fd, shm, options);

    if (auto segment = adopt_if_initialised(object, shm)) {
        if (!segment->header()->retired.load(std::memory_order_acquire)) return segment;
        // Retired, still under the name, and the init lock is ours: a recreate
        // died between retiring it and replacing it. Finish its work.
        return replace_locked(shm, options);
    }
    // Empty, or its creator died before publishing the magic: (re)initialise.
    bip::mapped_region region = reserve_and_initialise(object, options, shm, 1);
    return std::unique_ptr<Segment>(new Segment(std::move(object), std::move(region), shm));
}

std::unique_ptr<Segment> Segment::recreate(const SegmentOptions& options) {
    validate_options(options);
    const std::string shm = shm_name(options.name);
    int lock_fd = take_init_lock(shm, options);
    FdGuard unlock_on_exit{lock_fd};
    return replace_locked(shm, options);
}

std::unique_ptr<Segment> Segment::replace_locked(const std::string& shm, const SegmentOptions& options) {
    uint64_t generation = 1;
    try {
        bip::shared_memory_object old(bip::open_only, shm.c_str(), bip::read_write);
        bip::offset_t size = 0;
        old.get_size(size);
        if (size_t(size) >= sizeof(SegmentHeader)) {
            bip::mapped_region region(old, bip::read_write, 0, sizeof(SegmentHeader));
            auto* h = static_cast<SegmentHeader*>(region.get_address());
            if (h->magic.load(std::memory_order_acquire) == kMagic) {
                generation = h->generation + 1;
                h->retired.store(1, std::memory_order_release);
            }
        }
    } catch (const bip::interprocess_exception&) {
        // nothing to retire
    }
    // Unlink then create: processes still mapping the old one see `retired`.
    ::shm_unlink(shm.c_str());
    bool created;
    bip::shared_memory_object object = open_shm(shm, true, options, created);
    apply_permissions(object.get_mapping_handle().handle, shm, options);
    bip::mapped_region region = reserve_and_initialise(object, options, shm, generation);
    return std::unique_ptr<Segment>(new Segment(std::move(object), std::move(region), shm));
}

bool Segment::unlinked() const {
    struct stat st;
    return ::fstat(shm_.get_mapping_handle().handle, &st) == 0 && st.st_nlink == 0;
}

void Segment::remove(const std::string& name) {
    std::string shm = shm_name(name);
    ::shm_unlink(shm.c_str());
    ::shm_unlink((shm + ".lock").c_str());
}

}  // namespace sluice
