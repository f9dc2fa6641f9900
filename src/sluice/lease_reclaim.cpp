// Getting slots back from holders that will never release them: expired
// leases, owners that died (SIGKILL, OOM, FPM's request_terminate_timeout;
// once their last provider request's deadline has passed),
// and the whole table after a process died inside the critical section; and
// the operator's reset of a key.
#include <algorithm>
#include <cstring>
#include <ctime>

#include "sluice/clock.hpp"
#include "sluice/lease_table.hpp"
#include "sluice/owner.hpp"
#include "sluice/table_lock.hpp"
#include "sluice/wake_list.hpp"

namespace sluice {

namespace {
// How long a confirmed start time stays trusted. A pid can only be reused
// after its process died and the pid space wrapped, which takes far longer;
// meanwhile kill(pid, 0) alone (one cheap syscall) catches every death.
constexpr int64_t kOwnerReverifyNs = kNsPerSecond;
}  // namespace

LeaseTable::OwnerCheck LeaseTable::check_owner(LeaseRecord* rec, int64_t now) {
    if (rec->expires_at_ns <= now) return OwnerCheck::Expired;
    // Kept whether or not its owner lives: a dead owner's provider request may
    // still be running, and freeing the slot now would let the next request
    // past the provider's limit. No liveness check needed either way.
    if (rec->request_open_until_ns > now) return OwnerCheck::Keep;
    // A reservation has no owner: only its window (the expiry) ends it.
    if (rec->ticket != kNoTicket) return OwnerCheck::Keep;
    const bool verify = now - rec->owner_verified_at_ns >= kOwnerReverifyNs;
    switch (owner_liveness(rec->pid, rec->start_time, rec->pid_namespace, verify)) {
        case Liveness::Dead: return OwnerCheck::Dead;
        case Liveness::Alive:
            if (verify) rec->owner_verified_at_ns = now;
            return OwnerCheck::Keep;
        case Liveness::Unknown: return OwnerCheck::Keep;  // other pid namespace: the TTL decides
    }
    return OwnerCheck::Keep;
}

void LeaseTable::reclaim_key(uint32_t key_index, int64_t now, WakeList& wake) {
    KeyRecord* k = key(key_index);
    uint16_t* slots = segment_.key_slots(k);
    uint32_t s = 0;
    while (s < k->active) {
        uint32_t index = slots[s];
        OwnerCheck c = check_owner(lease(index), now);
        if (c == OwnerCheck::Keep) {
            ++s;
            continue;
        }
        // free_lease swap-removes, so slot s now holds another lease: look again.
        free_lease(index, c == OwnerCheck::Dead ? FreeReason::Dead : FreeReason::Expired, wake);
    }
}

SweepResult LeaseTable::sweep_locked(int64_t now, WakeList& wake) {
    SweepResult result;
    const uint32_t max_leases = segment_.header()->max_leases;
    for (uint32_t i = 0; i < max_leases; ++i) {
        LeaseRecord* rec = lease(i);
        if (rec->state == LeaseState::Free) continue;
        OwnerCheck c = check_owner(rec, now);
        if (c == OwnerCheck::Keep) continue;
        if (rec->state == LeaseState::Waiting) {
            free_waiter_record(i);
            continue;
        }
        free_lease(i, c == OwnerCheck::Dead ? FreeReason::Dead : FreeReason::Expired, wake);
        ++(c == OwnerCheck::Dead ? result.reclaimed_dead : result.reclaimed_expired);
    }
    return result;
}

SweepResult LeaseTable::sweep() {
    WakeList wake;
    SweepResult result;
    {
        TableLock lock(*this);
        const int64_t now = monotonic_ns();
        result = sweep_locked(now, wake);
        finish_locked(wake);
    }
    wake.wake(segment_);
    return result;
}

uint32_t LeaseTable::reset(std::string_view name) {
    WakeList wake;
    uint32_t dropped = 0;
    {
        TableLock lock(*this);
        const SegmentHeader* h = segment_.header();
        for (uint32_t i = 0; i < h->key_count; ++i) {
            KeyRecord* k = key(i);
            if (k->key_len != name.size() || std::memcmp(k->key, name.data(), name.size()) != 0) continue;
            while (k->active > 0) {
                free_lease(segment_.key_slots(k)[0], FreeReason::Reset, wake);
                ++dropped;
            }
            k->peak = 0;
            k->peak_since_unix = int64_t(::time(nullptr));
            break;
        }
        finish_locked(wake);
    }
    wake.wake(segment_);
    return dropped;
}

// The lease records are the truth: a record is in use exactly when its state
// says so (the last store of an acquire). Everything else, the free list, the
// per-key slot arrays, active and waiter counts, is derived and rebuilt here,
// so a process killed at any instruction of any operation leaves nothing
// behind that this cannot put right. Counters are statistics and may be off by one.
void LeaseTable::repair_locked() noexcept {
    SegmentHeader* h = segment_.header();
    const int64_t now = monotonic_ns();
    h->key_count = std::min(h->key_count, h->max_keys);
    for (uint32_t k = 0; k < h->key_count; ++k) {
        key(k)->active = 0;
        key(k)->waiters = 0;
    }
    h->free_lease_head = kNoLease;
    h->leases_in_use = 0;
    for (uint32_t i = h->max_leases; i-- > 0;) {
        LeaseRecord* rec = lease(i);
        bool keep = (rec->state == LeaseState::Held || rec->state == LeaseState::Waiting) &&
                    rec->key_count >= 1 && rec->key_count <= kMaxKeysPerLease &&
                    (rec->state == LeaseState::Held || rec->key_count == 1);
        // A reservation whose ticket does not name it back: the hand-off died
        // before the ticket committed to it, or after the ticket left.
        if (keep && rec->ticket != kNoTicket)
            keep = rec->state == LeaseState::Held && rec->ticket < h->max_tickets &&
                   ticket(rec->ticket)->state == TicketState::Reserved && ticket(rec->ticket)->lease == i;
        for (uint16_t j = 0; keep && j < rec->key_count; ++j)
            keep = rec->keys[j] < h->key_count &&
                   (rec->state == LeaseState::Waiting || key(rec->keys[j])->active < h->slots_per_key);
        OwnerCheck c = keep ? check_owner(rec, now) : OwnerCheck::Dead;
        if (keep && c != OwnerCheck::Keep) {
            for (uint16_t j = 0; j < rec->key_count && rec->state == LeaseState::Held && rec->ticket == kNoTicket; ++j)
                ++(c == OwnerCheck::Dead ? key(rec->keys[j])->reclaimed_dead : key(rec->keys[j])->reclaimed_expired);
            if (c == OwnerCheck::Dead && rec->state == LeaseState::Held && rec->ticket == kNoTicket && rec->ref != 0)
                push_stranded(rec);
            keep = false;
        }
        if (!keep) {
            push_free(i);
            continue;
        }
        ++h->leases_in_use;
        for (uint16_t j = 0; j < rec->key_count; ++j) {
            KeyRecord* k = key(rec->keys[j]);
            if (rec->state == LeaseState::Waiting)
                ++k->waiters;
            else
                segment_.key_slots(k)[k->active++] = uint16_t(i);
        }
    }
    for (uint32_t k = 0; k < h->key_count; ++k) {
        key(k)->peak = std::max(key(k)->peak, key(k)->active);
        key(k)->wait_seq.fetch_add(1, std::memory_order_release);
    }
    repair_line_locked();
    ++h->repairs;
}

}  // namespace sluice
