// The waiting line: deferred actions (tickets) waiting for a slot of their
// key set, in one FIFO per (tenant, weight, key set), and the hand-off that
// gives a freed slot to the next ticket in weighted fair order.
//
// Fairness is weighted fair queueing with virtual time: each queue has the
// virtual finish time of its last service (vtime); the next ticket served is
// the head of the queue with the smallest max(vtime, V) + kScale / w_eff whose
// keys all have room, where w_eff rises with the head's wait (aging), so no
// tenant starves. Picking costs O(queues), not O(tickets).
//
// A hand-off reserves the slot(s): a lease record on the ticket's keys with no
// owner (pid 0, LeaseRecord::ticket set) that expires after the reservation
// window. A lapse is just that expiry: the ticket waits again (lapsed: no
// hand-off until its action shows up or enqueue re-confirms it) and the slot
// goes to the next ticket. Everything runs under the segment's robust mutex;
// ticket records are the truth, the rest is rebuilt by repair_line_locked().
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <vector>

#include "sluice/clock.hpp"
#include "sluice/errors.hpp"
#include "sluice/lease_table.hpp"
#include "sluice/owner.hpp"
#include "sluice/table_lock.hpp"
#include "sluice/test_hooks.hpp"
#include "sluice/wake_list.hpp"

namespace sluice {

namespace {

constexpr double kScale = 1e6;
// Finish times closer than this are a tie, broken by the older ticket: equal
// weights then take turns exactly instead of by rounding noise.
constexpr double kTie = 1e-3;

// Whether a ticket with finish time `f`, first deferral `first` and sequence
// `seq` is served before one with (bf, bfirst, bseq).
bool served_before(double f, int64_t first, uint64_t seq, double bf, int64_t bfirst, uint64_t bseq) {
    if (f < bf - kTie) return true;
    if (f > bf + kTie) return false;
    return first != bfirst ? first < bfirst : seq < bseq;
}
constexpr size_t kTicketTextLength = 32;

inline void commit_barrier() { std::atomic_signal_fence(std::memory_order_seq_cst); }

std::string format_ticket(uint32_t index, const TicketRecord* t) {
    char buf[kTicketTextLength + 1];
    std::snprintf(buf, sizeof buf, "%08x%08x%016llx", index, unsigned(t->token[0] & 0xffffffffu),
                  static_cast<unsigned long long>(t->token[1]));
    return std::string(buf, kTicketTextLength);
}

bool parse_hex(std::string_view text, uint64_t& out) {
    uint64_t v = 0;
    for (char c : text) {
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return false;
        v = v << 4 | uint64_t(d);
    }
    out = v;
    return true;
}

// Keys with their limits, ascending by key index (queues store them so).
struct SortedKeys {
    uint16_t keys[kMaxKeysPerLease];
    uint32_t limits[kMaxKeysPerLease];
    uint32_t count;
};

SortedKeys sorted(const uint32_t* keys, const uint32_t* limits, size_t count) {
    SortedKeys s{};
    s.count = uint32_t(count);
    for (size_t i = 0; i < count; ++i) {
        size_t j = i;
        while (j > 0 && s.keys[j - 1] > keys[i]) {
            s.keys[j] = s.keys[j - 1];
            s.limits[j] = s.limits[j - 1];
            --j;
        }
        s.keys[j] = uint16_t(keys[i]);
        s.limits[j] = limits[i];
    }
    return s;
}

bool same_keys(const QueueRecord* q, const uint16_t* keys, uint32_t count) {
    if (q->key_count != count) return false;
    for (uint32_t i = 0; i < count; ++i)
        if (q->keys[i] != keys[i]) return false;
    return true;
}

uint32_t bucket_of(int64_t ref, uint32_t buckets) {
    return uint32_t((uint64_t(ref) * 0x9E3779B97F4A7C15ull) >> 32) & (buckets - 1);
}

void check_line_request(const LineRequest& r) {
    if (r.ref < 1) throw InvalidArgument("sluice: ref must be at least 1, not " + std::to_string(r.ref));
    if (r.tenant.size() > kMaxTenantBytes)
        throw InvalidArgument("sluice: tenant is " + std::to_string(r.tenant.size()) + " bytes; the maximum is " +
                              std::to_string(kMaxTenantBytes));
    if (r.weight < 1 || r.weight > kMaxWeight)
        throw InvalidArgument("sluice: weight must be 1 to " + std::to_string(kMaxWeight) + ", not " +
                              std::to_string(r.weight));
}

}  // namespace

double LeaseTable::effective_weight(uint32_t weight, int64_t waited_ns) const {
    double f = policy_.aging_ns > 0 ? double(std::max<int64_t>(waited_ns, 0)) / double(policy_.aging_ns) : 1.0;
    f = std::min(1.0, f);
    return double(weight) + double(kMaxWeight - std::min(weight, kMaxWeight)) * f;
}

uint32_t LeaseTable::first_ready(const QueueRecord* q) const {
    if (q->ready == 0) return kNoTicket;
    for (uint32_t t = q->head; t != kNoTicket; t = ticket(t)->next) {
        const TicketRecord* r = ticket(t);
        if (r->state == TicketState::Waiting && !r->lapsed) return t;
    }
    return kNoTicket;
}

bool LeaseTable::has_room(const QueueRecord* q) const {
    for (uint32_t i = 0; i < q->key_count; ++i)
        if (key(q->keys[i])->active >= q->limits[i]) return false;
    return true;
}

void LeaseTable::hand_off_locked(int64_t now, WakeList& wake) {
    SegmentHeader* h = segment_.header();
    for (uint32_t rounds = 0; h->tickets_ready > 0 && rounds <= h->max_tickets; ++rounds) {
        h->handoff_pending = 0;
        uint32_t best_q = kNoTicket, best_t = kNoTicket;
        double best_finish = 0, best_start = 0;
        int64_t best_first = 0;
        uint64_t best_seq = 0;
        for (uint32_t qi = h->queue_head; qi != kNoTicket; qi = queue(qi)->next) {
            const QueueRecord* q = queue(qi);
            if (q->ready == 0 || !has_room(q)) continue;
            const uint32_t ti = first_ready(q);
            if (ti == kNoTicket) continue;
            const TicketRecord* t = ticket(ti);
            const double start = q->vtime;  // backlogged: where its last service ended
            const double finish = start + kScale / effective_weight(q->weight, now - t->first_deferred_ns);
            if (best_q != kNoTicket &&
                !served_before(finish, t->first_deferred_ns, t->seq, best_finish, best_first, best_seq))
                continue;
            best_q = qi;
            best_t = ti;
            best_finish = finish;
            best_start = start;
            best_first = t->first_deferred_ns;
            best_seq = t->seq;
        }
        if (best_q == kNoTicket || !reserve_locked(best_q, best_t, best_finish, best_start, now, wake)) break;
    }
    h->handoff_pending = 0;
}

bool LeaseTable::reserve_locked(uint32_t qi, uint32_t ti, double finish, double start, int64_t now,
                                WakeList& wake) {
    SegmentHeader* h = segment_.header();
    if (h->free_lease_head == kNoLease) sweep_locked(now, wake);
    if (h->free_lease_head == kNoLease) return false;
    QueueRecord* q = queue(qi);
    TicketRecord* t = ticket(ti);
    if (t->state != TicketState::Waiting || t->lapsed || !has_room(q)) return true;  // the sweep changed things: pick again
    const uint32_t index = take_free_record(wake);
    LeaseRecord* rec = lease(index);
    const Token token = random_token();
    rec->token[0] = token.hi;
    rec->token[1] = token.lo;
    rec->next_free = kNoLease;
    rec->pid = 0;
    rec->start_time = 0;
    rec->pid_namespace = 0;
    rec->acquired_at_ns = now;
    rec->expires_at_ns = add_saturating(now, policy_.reservation_ns);
    rec->owner_verified_at_ns = now;
    rec->request_open_until_ns = 0;
    rec->ref = t->ref;
    rec->ticket = ti;
    rec->scope = q->scope;
    rec->key_count = uint16_t(q->key_count);
    for (uint32_t i = 0; i < q->key_count; ++i) rec->keys[i] = q->keys[i];
    const size_t n = std::min<size_t>(q->tenant_len, kMaxLabelBytes);
    std::memcpy(rec->label, q->tenant, n);
    rec->label_len = uint16_t(n);
    commit_barrier();
    rec->state = LeaseState::Held;  // the lease commits first; repair drops it unless the ticket names it
    commit_barrier();
    t->lease = index;
    commit_barrier();
    t->state = TicketState::Reserved;
    commit_barrier();
    for (uint32_t i = 0; i < q->key_count; ++i) {
        KeyRecord* k = key(q->keys[i]);
        segment_.key_slots(k)[k->active++] = uint16_t(index);
        k->peak = std::max(k->peak, k->active);
        if (k->queued) --k->queued;
        ++k->wakes_sent;
    }
    --q->ready;
    --h->tickets_ready;
    q->vtime = finish;
    h->virtual_time = std::max(h->virtual_time, start);
    WakeEntry* w = segment_.wake_entry(h->wake_head);
    w->ticket = ti;
    w->token[0] = t->token[0];
    w->token[1] = t->token[1];
    commit_barrier();
    ++h->wake_head;
    if (h->wake_head - h->wake_tail > kWakeRingSize) h->wake_tail = h->wake_head - kWakeRingSize;
    return true;
}

void LeaseTable::lapse_reservation(uint32_t li, FreeReason reason) {
    const LeaseRecord* rec = lease(li);
    const uint32_t ti = rec->ticket;
    if (ti >= segment_.header()->max_tickets) return;
    TicketRecord* t = ticket(ti);
    if (t->state != TicketState::Reserved || t->lease != li || reason == FreeReason::Reservation) return;
    t->lapsed = 1;
    commit_barrier();
    t->state = TicketState::Waiting;
    t->lease = kNoLease;
    const QueueRecord* q = queue(t->queue);
    for (uint32_t i = 0; i < q->key_count; ++i) {
        KeyRecord* k = key(q->keys[i]);
        ++k->queued;
        if (reason == FreeReason::Expired) ++k->wakes_lapsed;
    }
}

void LeaseTable::push_stranded(const LeaseRecord* rec) {
    SegmentHeader* h = segment_.header();
    // Full: the oldest entry goes (its claimer's ack then finds nothing).
    if (h->stranded_head - h->stranded_tail >= kStrandedRingSize) h->stranded_tail = h->stranded_head - kStrandedRingSize + 1;
    StrandedEntry* e = segment_.stranded_entry(h->stranded_head);
    e->seq = h->stranded_head;
    e->ref = rec->ref;
    e->pid = rec->pid;
    e->scope = rec->scope;
    e->claim = 0;
    e->claim_until_ns = 0;
    e->claimer_pid = 0;
    e->label_len = std::min<uint32_t>(rec->label_len, uint32_t(kMaxLabelBytes));
    std::memcpy(e->label, rec->label, e->label_len);
    commit_barrier();
    e->state = StrandedState::Ready;
    commit_barrier();
    ++h->stranded_head;
    drop_dealt_with_stranded();
}

uint32_t LeaseTable::find_ticket(int64_t ref, const uint16_t* keys, uint32_t count, const Scope& scope) const {
    const SegmentHeader* h = segment_.header();
    uint32_t guard = 0;
    for (uint32_t ti = segment_.ref_buckets()[bucket_of(ref, h->ref_buckets)]; ti != kNoTicket && guard++ < h->max_tickets;
         ti = ticket(ti)->hash_next) {
        const TicketRecord* t = ticket(ti);
        if (t->state != TicketState::Free && t->ref == ref && same_keys(queue(t->queue), keys, count) &&
            same_scope(queue(t->queue)->scope, scope))
            return ti;
    }
    return kNoTicket;
}

uint32_t LeaseTable::parse_ticket(std::string_view text, const Scope& scope) const {
    uint64_t index, hi, lo;
    if (text.size() != kTicketTextLength || !parse_hex(text.substr(0, 8), index) ||
        !parse_hex(text.substr(8, 8), hi) || !parse_hex(text.substr(16, 16), lo))
        throw InvalidArgument("sluice: a ticket is " + std::to_string(kTicketTextLength) +
                              " lowercase hex characters");
    if (index >= segment_.header()->max_tickets) return kNoTicket;
    const TicketRecord* t = ticket(uint32_t(index));
    if (t->state == TicketState::Free || (t->token[0] & 0xffffffffu) != hi || t->token[1] != lo) return kNoTicket;
    if (!same_scope(queue(t->queue)->scope, scope)) return kNoTicket;
    return uint32_t(index);
}

void LeaseTable::hash_insert(uint32_t ti) {
    uint32_t* bucket = &segment_.ref_buckets()[bucket_of(ticket(ti)->ref, segment_.header()->ref_buckets)];
    ticket(ti)->hash_next = *bucket;
    *bucket = ti;
}

void LeaseTable::hash_remove(uint32_t ti) {
    uint32_t* link = &segment_.ref_buckets()[bucket_of(ticket(ti)->ref, segment_.header()->ref_buckets)];
    uint32_t guard = 0;
    while (*link != kNoTicket && guard++ < segment_.header()->max_tickets) {
        if (*link == ti) {
            *link = ticket(ti)->hash_next;
            return;
        }
        link = &ticket(*link)->hash_next;
    }
}

// The one place a queue joins the list of queues in use (enqueue, and the repair that rebuilds the list).
void LeaseTable::link_queue(uint32_t qi) {
    SegmentHeader* h = segment_.header();
    QueueRecord* q = queue(qi);
    q->in_use = 1;
    q->prev = kNoTicket;
    q->next = h->queue_head;
    if (h->queue_head != kNoTicket) queue(h->queue_head)->prev = qi;
    h->queue_head = qi;
    ++h->queues_in_use;
}

void LeaseTable::free_queue(uint32_t qi) {
    SegmentHeader* h = segment_.header();
    QueueRecord* q = queue(qi);
    if (q->prev != kNoTicket)
        queue(q->prev)->next = q->next;
    else
        h->queue_head = q->next;
    if (q->next != kNoTicket) queue(q->next)->prev = q->prev;
    q->in_use = 0;
    q->next = h->free_queue_head;
    h->free_queue_head = qi;
    --h->queues_in_use;
}

void LeaseTable::remove_ticket(uint32_t ti) {
    SegmentHeader* h = segment_.header();
    TicketRecord* t = ticket(ti);
    QueueRecord* q = queue(t->queue);
    const bool was_waiting = t->state == TicketState::Waiting;
    commit_barrier();
    t->state = TicketState::Free;  // the commit point: the ticket has left
    commit_barrier();
    hash_remove(ti);
    if (t->prev != kNoTicket)
        ticket(t->prev)->next = t->next;
    else
        q->head = t->next;
    if (t->next != kNoTicket)
        ticket(t->next)->prev = t->prev;
    else
        q->tail = t->prev;
    --q->count;
    if (was_waiting) {
        for (uint32_t i = 0; i < q->key_count; ++i)
            if (key(q->keys[i])->queued) --key(q->keys[i])->queued;
        if (!t->lapsed) {
            --q->ready;
            --h->tickets_ready;
        }
    }
    t->token[0] = t->token[1] = 0;
    t->next = h->free_ticket_head;
    h->free_ticket_head = ti;
    --h->tickets_in_use;
    if (q->count == 0) free_queue(t->queue);
}

void LeaseTable::make_ready(uint32_t ti) {
    TicketRecord* t = ticket(ti);
    if (t->state != TicketState::Waiting || !t->lapsed) return;
    t->lapsed = 0;
    SegmentHeader* h = segment_.header();
    QueueRecord* q = queue(t->queue);
    // A queue that had nothing to hand a slot to starts again from now (SFQ):
    // its idle time earns it no burst.
    if (q->ready++ == 0) q->vtime = std::max(q->vtime, h->virtual_time);
    ++h->tickets_ready;
    h->handoff_pending = 1;
}

AcquireResult LeaseTable::convert_reservation(uint32_t ti, const SlotRequest& r, const Token& token, int64_t now) {
    const uint32_t li = ticket(ti)->lease;
    LeaseRecord* rec = lease(li);
    fill_owner(rec, token, now, r.ttl_ns, r.label, r.scope);  // the lease is the caller's from here
    rec->ref = r.ref;
    for (size_t i = 0; i < r.count; ++i) {
        KeyRecord* k = key(r.keys[i]);
        note_limit(k, r.limits[i]);
        ++k->acquired;
    }
    remove_ticket(ti);
    return AcquireResult{true, Grant{li, Token{rec->token[0], rec->token[1]}}, {}};
}

AcquireResult LeaseTable::try_acquire_for(const SlotRequest& request) {
    validate(request);
    if (request.ref < 1) throw InvalidArgument("sluice: ref must be at least 1, not " + std::to_string(request.ref));
    const SortedKeys s = sorted(request.keys, request.limits, request.count);
    WakeList wake;
    AcquireResult result;
    {
        const Token token = random_token();
        TableLock lock(*this);
        const int64_t now = monotonic_ns();
        const uint32_t ti = find_ticket(request.ref, s.keys, s.count, request.scope);
        // Its reservation, when the ticket holds one (repair keeps the two naming each other).
        auto reserved = [&] {
            if (ticket(ti)->state != TicketState::Reserved || ticket(ti)->lease >= segment_.header()->max_leases)
                return false;
            const LeaseRecord* rec = lease(ticket(ti)->lease);
            return rec->state == LeaseState::Held && rec->ticket == ti;
        };
        if (ti != kNoTicket && reserved()) {
            // Its reservation, even one past its window that nobody reclaimed yet.
            result = convert_reservation(ti, request, token, now);
        } else {
            result = try_acquire_locked(request, token, now, true, wake);
            if (ti != kNoTicket) {
                TicketRecord* t = ticket(ti);
                if (reserved() && !result.acquired) {
                    // The hand-off run by that acquire picked this very ticket.
                    result = convert_reservation(ti, request, token, now);
                } else if (reserved()) {
                    const uint32_t li = t->lease;
                    remove_ticket(ti);
                    free_lease(li, FreeReason::Reservation, wake);
                } else if (result.acquired) {
                    remove_ticket(ti);
                } else {
                    make_ready(ti);  // its action showed up: a lapsed ticket may be handed a slot again
                }
            }
        }
        finish_locked(wake);
    }
    wake.wake(segment_);
    return result;
}

EnqueueResult LeaseTable::enqueue(const LineRequest& r) {
    validate(SlotRequest{r.keys, r.limits, r.count, 1, ""});
    check_line_request(r);
    const SortedKeys s = sorted(r.keys, r.limits, r.count);
    const int64_t unix_now = int64_t(::time(nullptr));
    const int64_t first_unix = r.first_deferred_unix > 0 ? std::min(r.first_deferred_unix, unix_now) : unix_now;
    const Token token = random_token();
    WakeList wake;
    EnqueueResult out{};
    {
        TableLock lock(*this);
        SegmentHeader* h = segment_.header();
        const int64_t now = monotonic_ns();
        uint32_t ti = find_ticket(r.ref, s.keys, s.count, r.scope);
        out.created = ti == kNoTicket;
        if (out.created) {
            uint32_t qi = kNoTicket;
            for (uint32_t q = h->queue_head; q != kNoTicket; q = queue(q)->next) {
                const QueueRecord* rec = queue(q);
                if (rec->weight == r.weight && rec->tenant_len == r.tenant.size() &&
                    std::memcmp(rec->tenant, r.tenant.data(), r.tenant.size()) == 0 && same_keys(rec, s.keys, s.count) &&
                    same_scope(rec->scope, r.scope)) {
                    qi = q;
                    break;
                }
            }
            if (h->free_ticket_head == kNoTicket || (qi == kNoTicket && h->free_queue_head == kNoTicket))
                throw CapacityError("sluice: waiting line full: all " + std::to_string(h->max_tickets) +
                                    " tickets are in use; raise sluice.max_tickets and recreate the segment");
            QueueRecord* q;
            if (qi == kNoTicket) {
                qi = h->free_queue_head;
                q = queue(qi);
                h->free_queue_head = q->next;
                q->weight = r.weight;
                q->head = q->tail = kNoTicket;
                q->count = q->ready = 0;
                q->key_count = s.count;
                std::memcpy(q->keys, s.keys, sizeof q->keys);
                std::memcpy(q->limits, s.limits, sizeof q->limits);
                q->tenant_len = uint32_t(r.tenant.size());
                std::memcpy(q->tenant, r.tenant.data(), r.tenant.size());
                q->scope = r.scope;
                q->vtime = h->virtual_time;
                link_queue(qi);
            } else {
                q = queue(qi);
                std::memcpy(q->limits, s.limits, sizeof q->limits);  // the latest limits apply
            }
            ti = h->free_ticket_head;
            TicketRecord* t = ticket(ti);
            h->free_ticket_head = t->next;
            t->token[0] = token.hi & 0xffffffffu;
            t->token[1] = token.lo;
            t->queue = qi;
            t->prev = q->tail;
            t->next = kNoTicket;
            t->hash_next = kNoTicket;
            t->lease = kNoLease;
            t->lapsed = 0;
            t->ref = r.ref;
            t->first_deferred_unix = first_unix;
            t->first_deferred_ns = now - (unix_now - first_unix) * kNsPerSecond;
            t->seq = ++h->ticket_seq;
            commit_barrier();
            t->state = TicketState::Waiting;  // the commit point: repair rebuilds the rest from here
            commit_barrier();
            if (testing::Hook hook = testing::inside_critical_section_hook()) hook();
            if (q->tail != kNoTicket)
                ticket(q->tail)->next = ti;
            else
                q->head = ti;
            q->tail = ti;
            ++q->count;
            if (q->ready++ == 0) q->vtime = std::max(q->vtime, h->virtual_time);  // as in make_ready
            ++h->tickets_ready;
            ++h->tickets_in_use;
            for (uint32_t i = 0; i < s.count; ++i) ++key(s.keys[i])->queued;
            hash_insert(ti);
            h->handoff_pending = 1;  // its keys may have room right now
        } else {
            make_ready(ti);  // re-confirmed: a lapsed ticket may be handed a slot again
        }
        finish_locked(wake);

        const TicketRecord* t = ticket(ti);
        const QueueRecord* q = queue(t->queue);
        out.ticket = format_ticket(ti, t);
        out.limit = UINT32_MAX;
        for (uint32_t i = 0; i < s.count; ++i) {
            out.limit = std::min(out.limit, s.limits[i]);
            out.mean_hold_ns = std::max(out.mean_hold_ns, key(s.keys[i])->mean_hold_ns);
        }
        out.ahead = 0;
        if (t->state == TicketState::Waiting) {
            uint32_t position = 0;
            if (out.created) {
                position = q->ready > 0 ? q->ready - 1 : 0;
            } else {
                for (uint32_t x = q->head; x != kNoTicket && x != ti; x = ticket(x)->next)
                    if (ticket(x)->state == TicketState::Waiting) ++position;
            }
            const double own = effective_weight(q->weight, now - t->first_deferred_ns);
            out.ahead = position;
            for (uint32_t x = h->queue_head; x != kNoTicket; x = queue(x)->next) {
                const QueueRecord* other = queue(x);
                if (x == t->queue || other->ready == 0) continue;
                bool shares = false;
                for (uint32_t i = 0; i < other->key_count && !shares; ++i)
                    for (uint32_t j = 0; j < q->key_count && !shares; ++j) shares = other->keys[i] == q->keys[j];
                if (!shares) continue;
                const uint32_t head = first_ready(other);
                const double w = head == kNoTicket ? other->weight
                                                   : effective_weight(other->weight, now - ticket(head)->first_deferred_ns);
                out.ahead += std::min<uint32_t>(other->ready, uint32_t(std::ceil((position + 1) * w / own)));
            }
        }
    }
    wake.wake(segment_);
    return out;
}

bool LeaseTable::ticket_set_ref(const Scope& scope, std::string_view text, int64_t ref) {
    if (ref < 1) throw InvalidArgument("sluice: ref must be at least 1, not " + std::to_string(ref));
    TableLock lock(*this);
    const uint32_t ti = parse_ticket(text, scope);
    if (ti == kNoTicket) return false;
    TicketRecord* t = ticket(ti);
    hash_remove(ti);
    t->ref = ref;
    hash_insert(ti);
    if (t->state == TicketState::Reserved) lease(t->lease)->ref = ref;
    return true;
}

bool LeaseTable::ticket_cancel(const Scope& scope, std::string_view text) {
    WakeList wake;
    {
        TableLock lock(*this);
        const uint32_t ti = parse_ticket(text, scope);
        if (ti == kNoTicket) return false;
        const bool reserved = ticket(ti)->state == TicketState::Reserved;
        const uint32_t li = ticket(ti)->lease;
        remove_ticket(ti);
        if (reserved && lease(li)->state == LeaseState::Held && lease(li)->ticket == ti)
            free_lease(li, FreeReason::Reservation, wake);  // handed on to the next ticket below
        finish_locked(wake);
    }
    wake.wake(segment_);
    return true;
}

bool LeaseTable::wake_missed(const Scope& scope, std::string_view text) {
    TableLock lock(*this);
    const uint32_t ti = parse_ticket(text, scope);
    if (ti == kNoTicket) return false;
    const QueueRecord* q = queue(ticket(ti)->queue);
    for (uint32_t i = 0; i < q->key_count; ++i) ++key(q->keys[i])->wakes_missed;
    return true;
}

std::vector<WakeInfo> LeaseTable::take_wakes(const Scope& scope, size_t max) {
    std::vector<WakeInfo> out;
    TableLock lock(*this);
    SegmentHeader* h = segment_.header();
    const int64_t now = monotonic_ns();
    // Other scopes' wakes stay where they are; a wake whose reservation is
    // gone (claimed, cancelled or lapsed since) is dropped by whoever sees it.
    for (uint64_t n = h->wake_tail; n < h->wake_head && out.size() < max; ++n) {
        WakeEntry* e = segment_.wake_entry(n);
        if (e->ticket == kNoTicket) continue;
        const TicketRecord* t = e->ticket < h->max_tickets ? ticket(e->ticket) : nullptr;
        if (!t || t->state != TicketState::Reserved || t->token[0] != e->token[0] || t->token[1] != e->token[1]) {
            e->ticket = kNoTicket;
            continue;
        }
        if (!same_scope(queue(t->queue)->scope, scope)) continue;
        out.push_back(WakeInfo{format_ticket(e->ticket, t), t->ref,
                               std::max<int64_t>(0, lease(t->lease)->expires_at_ns - now)});
        e->ticket = kNoTicket;
    }
    while (h->wake_tail < h->wake_head && segment_.wake_entry(h->wake_tail)->ticket == kNoTicket) ++h->wake_tail;
    return out;
}

namespace {
constexpr size_t kStrandedIdLength = 32;

std::string format_stranded_id(uint64_t seq, uint64_t claim) {
    char buf[kStrandedIdLength + 1];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(seq),
                  static_cast<unsigned long long>(claim));
    return std::string(buf, kStrandedIdLength);
}
}  // namespace

std::vector<StrandedInfo> LeaseTable::take_stranded(const Scope& scope, size_t max, int64_t claim_ns) {
    std::vector<StrandedInfo> out;
    TableLock lock(*this);
    SegmentHeader* h = segment_.header();
    const int64_t now = monotonic_ns();
    const OwnerIdentity& self = current_owner();
    for (uint64_t n = h->stranded_tail; n < h->stranded_head && out.size() < max; ++n) {
        StrandedEntry* e = segment_.stranded_entry(n);
        if (e->seq != n || !same_scope(e->scope, scope)) continue;
        if (e->state == StrandedState::Claimed) {
            // Another claim of this scope: it holds until its window ends or its claimer dies.
            const bool lapsed = e->claim_until_ns <= now ||
                                owner_liveness(e->claimer_pid, e->claimer_start_time, e->claimer_pid_namespace,
                                               true) == Liveness::Dead;
            if (!lapsed) continue;
        } else if (e->state != StrandedState::Ready) {
            continue;
        }
        uint64_t claim = random_token().lo;
        if (claim == 0) claim = 1;
        e->claim = claim;
        e->claim_until_ns = add_saturating(now, claim_ns);
        e->claimer_pid = self.pid;
        e->claimer_start_time = self.start_time;
        e->claimer_pid_namespace = self.pid_namespace;
        commit_barrier();
        e->state = StrandedState::Claimed;
        out.push_back(StrandedInfo{e->ref, std::string(e->label, std::min<size_t>(e->label_len, kMaxLabelBytes)),
                                   e->pid, format_stranded_id(n, claim)});
    }
    return out;
}

StrandedEntry* LeaseTable::claimed_stranded(const Scope& scope, std::string_view id) const {
    uint64_t seq, claim;
    if (id.size() != kStrandedIdLength || !parse_hex(id.substr(0, 16), seq) || !parse_hex(id.substr(16, 16), claim))
        throw InvalidArgument("sluice: a stranded entry's id is " + std::to_string(kStrandedIdLength) +
                              " lowercase hex characters");
    const SegmentHeader* h = segment_.header();
    if (seq < h->stranded_tail || seq >= h->stranded_head) return nullptr;
    StrandedEntry* e = segment_.stranded_entry(seq);
    if (e->seq != seq || e->state != StrandedState::Claimed || e->claim != claim || !same_scope(e->scope, scope))
        return nullptr;
    return e;
}

bool LeaseTable::ack_stranded(const Scope& scope, std::string_view id) {
    TableLock lock(*this);
    StrandedEntry* e = claimed_stranded(scope, id);
    if (!e) return false;
    e->state = StrandedState::Free;
    drop_dealt_with_stranded();
    return true;
}

bool LeaseTable::return_stranded(const Scope& scope, std::string_view id) {
    TableLock lock(*this);
    StrandedEntry* e = claimed_stranded(scope, id);
    if (!e) return false;
    e->claim = 0;
    commit_barrier();
    e->state = StrandedState::Ready;
    return true;
}

void LeaseTable::drop_dealt_with_stranded() {
    SegmentHeader* h = segment_.header();
    while (h->stranded_tail < h->stranded_head) {
        const StrandedEntry* e = segment_.stranded_entry(h->stranded_tail);
        if (e->seq == h->stranded_tail && e->state != StrandedState::Free) break;
        ++h->stranded_tail;
    }
}

std::vector<LineQueueInfo> LeaseTable::line() {
    struct Ordered {
        double finish;
        int64_t first;
        uint64_t seq;
        LineQueueInfo info;
    };
    std::vector<Ordered> queues;
    {
        TableLock lock(*this);
        const SegmentHeader* h = segment_.header();
        const int64_t now = monotonic_ns();
        for (uint32_t qi = h->queue_head; qi != kNoTicket; qi = queue(qi)->next) {
            const QueueRecord* q = queue(qi);
            LineQueueInfo info;
            info.scope = format_scope(q->scope);
            info.tenant.assign(q->tenant, std::min<size_t>(q->tenant_len, kMaxTenantBytes));
            info.weight = q->weight;
            for (uint32_t i = 0; i < q->key_count; ++i) {
                const KeyRecord* k = key(q->keys[i]);
                info.keys.emplace_back(std::string(k->key, k->key_len), q->limits[i]);
            }
            for (uint32_t ti = q->head; ti != kNoTicket; ti = ticket(ti)->next) {
                const TicketRecord* t = ticket(ti);
                const bool reserved = t->state == TicketState::Reserved;
                info.tickets.push_back(LineTicketInfo{
                    format_ticket(ti, t), t->ref, reserved, t->lapsed != 0, now - t->first_deferred_ns,
                    t->first_deferred_unix, reserved ? std::max<int64_t>(0, lease(t->lease)->expires_at_ns - now) : 0,
                    effective_weight(q->weight, now - t->first_deferred_ns)});
            }
            // Queues with no ticket to hand a slot to come last, in their heads' order.
            uint32_t head = first_ready(q);
            const bool ready = head != kNoTicket;
            if (!ready) head = q->head;
            const double finish =
                (ready ? q->vtime : std::max(q->vtime, h->virtual_time)) +
                kScale / effective_weight(q->weight, now - ticket(head)->first_deferred_ns) +
                (ready ? 0 : 1e300);
            queues.push_back(Ordered{finish, ticket(head)->first_deferred_ns, ticket(head)->seq, std::move(info)});
        }
    }
    std::stable_sort(queues.begin(), queues.end(), [](const Ordered& a, const Ordered& b) {
        return served_before(a.finish, a.first, a.seq, b.finish, b.first, b.seq);
    });
    std::vector<LineQueueInfo> out;
    out.reserve(queues.size());
    for (auto& q : queues) out.push_back(std::move(q.info));
    return out;
}

// After EOWNERDEAD, once the lease records are repaired: the ticket records
// are the truth; queues' lists and counts, the free lists, the ref hash and
// the keys' queued counts are rebuilt from them. A ticket whose reservation
// is gone waits again, lapsed.
void LeaseTable::repair_line_locked() noexcept {
    SegmentHeader* h = segment_.header();
    const uint32_t n = h->max_tickets;
    if (h->wake_tail > h->wake_head) h->wake_tail = h->wake_head;
    if (h->wake_head - h->wake_tail > kWakeRingSize) h->wake_tail = h->wake_head - kWakeRingSize;
    if (h->stranded_tail > h->stranded_head) h->stranded_tail = h->stranded_head;
    if (h->stranded_head - h->stranded_tail > kStrandedRingSize) h->stranded_tail = h->stranded_head - kStrandedRingSize;
    if (!std::isfinite(h->virtual_time)) h->virtual_time = 0;
    for (uint32_t qi = 0; qi < n; ++qi) {
        QueueRecord* q = queue(qi);
        q->head = q->tail = kNoTicket;
        q->count = q->ready = 0;
        if (!std::isfinite(q->vtime)) q->vtime = h->virtual_time;
    }
    for (uint32_t k = 0; k < h->key_count; ++k) key(k)->queued = 0;
    for (uint32_t b = 0; b < h->ref_buckets; ++b) segment_.ref_buckets()[b] = kNoTicket;
    h->tickets_in_use = h->tickets_ready = 0;

    auto sane_queue = [&](uint32_t qi) {
        if (qi >= n) return false;
        const QueueRecord* q = queue(qi);
        if (q->weight < 1 || q->weight > kMaxWeight || q->key_count < 1 || q->key_count > kMaxKeysPerLease ||
            q->tenant_len > kMaxTenantBytes)
            return false;
        for (uint32_t i = 0; i < q->key_count; ++i)
            if (q->keys[i] >= h->key_count || q->limits[i] < 1) return false;
        return true;
    };
    std::vector<uint32_t> live;
    bool can_sort = true;
    try {
        live.reserve(n);
    } catch (...) {
        can_sort = false;
    }
    for (uint32_t ti = 0; ti < n; ++ti) {
        TicketRecord* t = ticket(ti);
        if (t->state != TicketState::Waiting && t->state != TicketState::Reserved) {
            t->state = TicketState::Free;
            continue;
        }
        if (!sane_queue(t->queue)) {
            t->state = TicketState::Free;
            continue;
        }
        if (t->state == TicketState::Reserved) {
            const bool backed = t->lease < h->max_leases && lease(t->lease)->state == LeaseState::Held &&
                                lease(t->lease)->ticket == ti;
            if (!backed) {
                t->lapsed = 1;
                t->state = TicketState::Waiting;
                t->lease = kNoLease;
            }
        }
        if (can_sort) live.push_back(ti);
    }
    if (can_sort)
        std::sort(live.begin(), live.end(), [&](uint32_t a, uint32_t b) {
            const TicketRecord *x = ticket(a), *y = ticket(b);
            return x->queue != y->queue ? x->queue < y->queue : x->seq < y->seq;
        });
    auto append = [&](uint32_t ti) {
        TicketRecord* t = ticket(ti);
        QueueRecord* q = queue(t->queue);
        t->prev = q->tail;
        t->next = kNoTicket;
        if (q->tail != kNoTicket)
            ticket(q->tail)->next = ti;
        else
            q->head = ti;
        q->tail = ti;
        ++q->count;
        ++h->tickets_in_use;
        if (t->state == TicketState::Waiting) {
            for (uint32_t i = 0; i < q->key_count; ++i) ++key(q->keys[i])->queued;
            if (!t->lapsed) {
                ++q->ready;
                ++h->tickets_ready;
            }
        }
        hash_insert(ti);
    };
    if (can_sort) {
        for (uint32_t ti : live) append(ti);
    } else {
        for (uint32_t ti = 0; ti < n; ++ti)
            if (ticket(ti)->state != TicketState::Free) append(ti);
    }
    h->free_ticket_head = kNoTicket;
    for (uint32_t ti = n; ti-- > 0;) {
        TicketRecord* t = ticket(ti);
        if (t->state != TicketState::Free) continue;
        t->next = h->free_ticket_head;
        h->free_ticket_head = ti;
    }
    h->queue_head = h->free_queue_head = kNoTicket;
    h->queues_in_use = 0;
    for (uint32_t qi = n; qi-- > 0;) {
        QueueRecord* q = queue(qi);
        if (q->count > 0) {
            link_queue(qi);
        } else {
            q->in_use = 0;
            q->next = h->free_queue_head;
            h->free_queue_head = qi;
        }
    }
    h->handoff_pending = h->tickets_ready > 0;
}

}  // namespace sluice
