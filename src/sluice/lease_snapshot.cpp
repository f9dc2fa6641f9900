// Read-only operations for operators: snapshot and segment info.

#include "sluice/clock.hpp"
#include "sluice/lease_table.hpp"
#include "sluice/owner.hpp"
#include "sluice/table_lock.hpp"

namespace sluice {

namespace {
HolderInfo describe(uint32_t index, const LeaseRecord* rec, std::string_view label) {
    return HolderInfo{format_token(index, Token{rec->token[0], rec->token[1]}),
                      rec->pid,
                      rec->acquired_at_ns,
                      rec->expires_at_ns,
                      std::string(label),
                      rec->state == LeaseState::Waiting,
                      rec->request_open_until_ns,
                      false,
                      rec->start_time,
                      rec->pid_namespace,
                      rec->ref,
                      rec->ticket != kNoTicket,
                      format_scope(rec->scope)};
}
}  // namespace

SegmentInfo LeaseTable::info() const {
    const SegmentHeader* h = segment_.header();
    // Plain reads without the lock: a display value may be one operation stale.
    return SegmentInfo{segment_.name(),
                       h->generation,
                       segment_.size(),
                       h->repairs,
                       h->max_keys,
                       h->slots_per_key,
                       h->max_leases,
                       h->key_count,
                       h->leases_in_use,
                       h->max_tickets,
                       h->tickets_in_use,
                       h->corruption_repairs,
                       h->corruption_resets};
}

Snapshot LeaseTable::snapshot() {
    Snapshot snap = snapshot_records();
    // After the lock is released: kill() and /proc reads must not hold up acquirers.
    for (KeyInfo& k : snap.keys)
        for (HolderInfo& holder : k.holders)
            holder.owner_dead = !holder.reservation &&
                                owner_liveness(holder.pid, holder.start_time, holder.pid_namespace, true) == Liveness::Dead;
    return snap;
}

Snapshot LeaseTable::snapshot_records() {
    return locked([&] {
        Snapshot snap;
        snap.now_ns = monotonic_ns();
        snap.segment = info();
        const uint32_t count = key_count();
        snap.keys.reserve(count);
        for (uint32_t i = 0; i < count; ++i) {
            KeyRecord* k = key(i);
            KeyInfo info{std::string(text_of(k->key, once(k->key_len), kMaxKeyBytes, "key length")),
                         k->limit, k->active, k->peak, k->waiters, k->acquired, k->throttled, k->released,
                         k->reclaimed_dead, k->reclaimed_expired, {}, k->mean_hold_ns, k->queued, 0, k->wakes_sent,
                         k->wakes_lapsed, k->wakes_missed, k->peak_since_unix};
            const uint16_t* slots = segment_.key_slots(k);
            const uint32_t active = active_of(k);
            for (uint32_t s = 0; s < active; ++s) {
                const LeaseRecord* rec = lease(slots[s]);
                info.holders.push_back(
                    describe(slots[s], rec, text_of(rec->label, once(rec->label_len), kMaxLabelBytes, "label length")));
                if (rec->ticket != kNoTicket) ++info.reserved;
            }
            snap.keys.push_back(std::move(info));
        }
        if (segment_.header()->leases_in_use > 0) {
            for (uint32_t i = 0; i < segment_.geometry().max_leases; ++i) {
                const LeaseRecord* rec = lease(i);
                const uint32_t waited = once(rec->keys[0]);
                if (rec->state == LeaseState::Waiting && waited < snap.keys.size())
                    snap.keys[waited].holders.push_back(
                        describe(i, rec, text_of(rec->label, once(rec->label_len), kMaxLabelBytes, "label length")));
            }
        }
        return snap;
    });
}

}  // namespace sluice
