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
#include "sluice/test_hooks.hpp"
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
    const bool verify = sub_clamped(now, rec->owner_verified_at_ns) >= kOwnerReverifyNs;
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
    while (s < active_of(k)) {
        const uint32_t index = slots[s];
        LeaseRecord* rec = lease(index);
        // Only a held lease that names this key frees a slot of it: anything
        // else would leave the slot in place and this loop would never end.
        bool names_key = false;
        for (uint32_t j = 0, n = keys_of(rec); j < n; ++j) names_key |= once(rec->keys[j]) == key_index;
        if (once(rec->state) != LeaseState::Held || !names_key) corrupt_record("key slot names lease", key_index, index);
        OwnerCheck c = check_owner(rec, now);
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
    const uint32_t max_leases = segment_.geometry().max_leases;
    for (uint32_t i = 0; i < max_leases; ++i) {
        LeaseRecord* rec = lease(i);
        const LeaseState state = once(rec->state);
        if (state != LeaseState::Held && state != LeaseState::Waiting) continue;
        OwnerCheck c = check_owner(rec, now);
        if (c == OwnerCheck::Keep) continue;
        if (state == LeaseState::Waiting) {
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
    const SweepResult result = locked([&] {
        SweepResult r = sweep_locked(monotonic_ns(), wake);
        finish_locked(wake);
        return r;
    });
    wake.wake(segment_);
    return result;
}

uint32_t LeaseTable::reset(std::string_view name) {
    WakeList wake;
    const uint32_t dropped = locked([&] {
        uint32_t n = 0;
        const uint32_t count = key_count();
        for (uint32_t i = 0; i < count; ++i) {
            KeyRecord* k = key(i);
            if (once(k->key_len) != name.size() || std::memcmp(k->key, name.data(), name.size()) != 0) continue;
            // Each free_lease takes one slot away (or finds the table corrupt): at most slots_per_key rounds.
            while (active_of(k) > 0) {
                const uint32_t index = segment_.key_slots(k)[0];
                if (once(lease(index)->state) != LeaseState::Held) corrupt_record("key slot names lease", i, index);
                free_lease(index, FreeReason::Reset, wake);
                ++n;
            }
            k->peak = 0;
            k->peak_since_unix = int64_t(::time(nullptr));
            break;
        }
        finish_locked(wake);
        return n;
    });
    wake.wake(segment_);
    return dropped;
}

void LeaseTable::recover_from_corruption(int attempt, const CorruptRecord& e) {
    SegmentHeader* h = segment_.header();
    if (attempt < kCorruptionRetries) {
        repair_locked();
        ++h->corruption_repairs;
        return;
    }
    wipe_locked();
    ++h->corruption_resets;
    throw SegmentError("sluice: segment " + segment_.name() + ": a record failed a check again after " +
                       std::to_string(kCorruptionRetries) + " repairs (" + e.what() +
                       "), so every lease and ticket of the segment was dropped and the call was not made; "
                       "something other than Sluice writes into the segment (check sluice.file_mode and "
                       "sluice.group) or it is damaged (Sluice\\recreate_segment() replaces it)");
}

// The lease records are the truth: a record is in use exactly when its state
// says so (the last store of an acquire). Everything else, the free list, the
// per-key slot arrays, active and waiter counts, is derived and rebuilt here,
// so a process killed at any instruction of any operation leaves nothing
// behind that this cannot put right. A record that fails a check (a bad key
// count, key index, ticket or label length, or two slots on one key) is
// dropped. Counters are statistics and may be off by one.
void LeaseTable::repair_locked() noexcept {
    try {
        repair_records_locked();
    } catch (...) {
        // The records changed under the repair (a writer outside the lock) or
        // memory ran out: start from an empty table instead of half a repair.
        wipe_locked();
        ++segment_.header()->corruption_resets;
    }
    ++segment_.header()->repairs;
    if (testing::Hook hook = testing::after_repair_hook()) hook();
}

void LeaseTable::repair_records_locked() {
    SegmentHeader* h = segment_.header();
    const SegmentGeometry& g = segment_.geometry();
    const int64_t now = monotonic_ns();
    h->key_count = key_count();
    const uint32_t keys = h->key_count;
    for (uint32_t k = 0; k < keys; ++k) {
        KeyRecord* rec = key(k);
        rec->active = 0;
        rec->waiters = 0;
        if (once(rec->key_len) > kMaxKeyBytes) rec->key_len = 0;  // a name nobody asks for any more
    }
    h->free_lease_head = kNoLease;
    h->leases_in_use = 0;
    for (uint32_t i = g.max_leases; i-- > 0;) {
        LeaseRecord* rec = lease(i);
        const LeaseState state = once(rec->state);
        const uint32_t count = once(rec->key_count);
        bool keep = (state == LeaseState::Held || state == LeaseState::Waiting) && count >= 1 &&
                    count <= kMaxKeysPerLease && (state == LeaseState::Held || count == 1) &&
                    once(rec->label_len) <= kMaxLabelBytes;
        // A reservation whose ticket does not name it back: the hand-off died
        // before the ticket committed to it, or after the ticket left.
        const uint32_t t = once(rec->ticket);
        if (keep && t != kNoTicket)
            keep = state == LeaseState::Held && t < g.max_tickets && ticket(t)->state == TicketState::Reserved &&
                   ticket(t)->lease == i;
        uint16_t rec_keys[kMaxKeysPerLease] = {};
        for (uint32_t j = 0; keep && j < count; ++j) {
            rec_keys[j] = once(rec->keys[j]);
            keep = rec_keys[j] < keys &&
                   (state == LeaseState::Waiting || once(key(rec_keys[j])->active) < g.slots_per_key);
            for (uint32_t x = 0; keep && x < j; ++x) keep = rec_keys[x] != rec_keys[j];
        }
        OwnerCheck c = keep ? check_owner(rec, now) : OwnerCheck::Dead;
        if (keep && c != OwnerCheck::Keep) {
            const bool holder = state == LeaseState::Held && t == kNoTicket;
            for (uint32_t j = 0; j < count && holder; ++j)
                ++(c == OwnerCheck::Dead ? key(rec_keys[j])->reclaimed_dead : key(rec_keys[j])->reclaimed_expired);
            if (c == OwnerCheck::Dead && holder && rec->ref != 0) push_stranded(rec);
            keep = false;
        }
        if (!keep) {
            push_free(i);
            continue;
        }
        ++h->leases_in_use;
        for (uint32_t j = 0; j < count; ++j) {
            KeyRecord* k = key(rec_keys[j]);
            if (state == LeaseState::Waiting)
                ++k->waiters;
            else
                push_slot(k, i);
        }
    }
    for (uint32_t k = 0; k < keys; ++k) {
        key(k)->peak = std::max(key(k)->peak, key(k)->active);
        key(k)->wait_seq.fetch_add(1, std::memory_order_release);
    }
    repair_line_locked();
}

void LeaseTable::wipe_locked() noexcept {
    SegmentHeader* h = segment_.header();
    const SegmentGeometry& g = segment_.geometry();
    const uint32_t keys = std::min(once(h->key_count), g.max_keys);
    h->key_count = keys;
    for (uint32_t k = 0; k < keys; ++k) {
        KeyRecord* rec = key(k);
        rec->active = rec->waiters = rec->queued = 0;
        if (once(rec->key_len) > kMaxKeyBytes) rec->key_len = 0;
        rec->wait_seq.fetch_add(1, std::memory_order_release);
    }
    for (uint32_t i = 0; i < g.max_leases; ++i) {
        LeaseRecord* rec = lease(i);
        rec->state = LeaseState::Free;
        rec->token[0] = rec->token[1] = 0;
        rec->next_free = i + 1 < g.max_leases ? i + 1 : kNoLease;
    }
    h->free_lease_head = 0;
    h->leases_in_use = 0;
    for (uint32_t i = 0; i < g.max_tickets; ++i) {
        TicketRecord* t = ticket(i);
        t->state = TicketState::Free;
        t->token[0] = t->token[1] = 0;
        t->next = i + 1 < g.max_tickets ? i + 1 : kNoTicket;
        QueueRecord* q = queue(i);
        q->in_use = 0;
        q->count = q->ready = 0;
        q->next = i + 1 < g.max_tickets ? i + 1 : kNoTicket;
    }
    for (uint32_t b = 0; b < segment_.ref_bucket_count(); ++b) *segment_.ref_bucket(b) = kNoTicket;
    h->free_ticket_head = h->free_queue_head = 0;
    h->queue_head = kNoTicket;
    h->tickets_in_use = h->tickets_ready = h->queues_in_use = 0;
    h->handoff_pending = 0;
    h->virtual_time = 0;
    h->wake_tail = h->wake_head;
    repair_stranded_locked();
}

}  // namespace sluice
