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

// How many steps a walk along links read from the segment may take before
// the links are taken for a cycle (a list never holds more than every record).
class Steps {
public:
    explicit Steps(uint32_t records) : left_(uint64_t(records) + 1) {}
    void next(const char* list) {
        if (__builtin_expect(left_-- == 0, 0)) corrupt_record(list, 0, 0);
    }

private:
    uint64_t left_;
};

double LeaseTable::effective_weight(uint32_t weight, int64_t waited_ns) const {
    double f = policy_.aging_ns > 0 ? double(std::max<int64_t>(waited_ns, 0)) / double(policy_.aging_ns) : 1.0;
    f = std::min(1.0, f);
    return double(weight) + double(kMaxWeight - std::min(weight, kMaxWeight)) * f;
}

uint32_t LeaseTable::queue_keys(const QueueRecord* q) const {
    const uint32_t n = once(q->key_count);
    if (__builtin_expect(n < 1 || n > kMaxKeysPerLease, 0)) corrupt_record("queue key count", 0, n);
    return n;
}

QueueRecord* LeaseTable::checked_queue(uint32_t qi) const {
    QueueRecord* q = queue(qi);
    const uint32_t weight = once(q->weight), count = once(q->key_count);
    if (weight < 1 || weight > kMaxWeight) corrupt_record("queue weight", qi, weight);
    if (count < 1 || count > kMaxKeysPerLease) corrupt_record("queue key count", qi, count);
    if (once(q->tenant_len) > kMaxTenantBytes) corrupt_record("queue tenant length", qi, q->tenant_len);
    const uint32_t keys = key_count(), slots = segment_.geometry().slots_per_key;
    for (uint32_t i = 0; i < count; ++i) {
        if (once(q->keys[i]) >= keys) corrupt_record("queue key", qi, q->keys[i]);
        const uint32_t limit = once(q->limits[i]);
        if (limit < 1 || limit > slots) corrupt_record("queue limit", qi, limit);
    }
    return q;
}

uint32_t LeaseTable::first_ready(const QueueRecord* q) const {
    if (q->ready == 0) return kNoTicket;
    Steps steps(segment_.geometry().max_tickets);
    for (uint32_t t = once(q->head); t != kNoTicket; t = once(ticket(t)->next)) {
        steps.next("queue ticket list");
        const TicketRecord* r = ticket(t);
        if (r->state == TicketState::Waiting && !r->lapsed) return t;
    }
    return kNoTicket;
}

bool LeaseTable::has_room(const QueueRecord* q) const {
    for (uint32_t i = 0, n = queue_keys(q); i < n; ++i) {
        const KeyRecord* k = key(q->keys[i]);
        // A key's record may cap it (a provider's adaptive limit or open circuit): that wins over the
        // limit the queue's tickets were queued under.
        if (k->record_cap < 0) return false;
        const uint32_t limit = k->record_cap > 0 ? uint32_t(k->record_cap) : q->limits[i];
        if (active_of(k) >= limit) return false;
    }
    return true;
}

void LeaseTable::hand_off_locked(int64_t now, WakeList& wake) {
    SegmentHeader* h = segment_.header();
    const uint32_t max_tickets = segment_.geometry().max_tickets;
    for (uint32_t rounds = 0; h->tickets_ready > 0 && rounds <= max_tickets; ++rounds) {
        h->handoff_pending = 0;
        uint32_t best_q = kNoTicket, best_t = kNoTicket;
        double best_finish = 0, best_start = 0;
        int64_t best_first = 0;
        uint64_t best_seq = 0;
        Steps steps(max_tickets);
        for (uint32_t qi = once(h->queue_head); qi != kNoTicket; qi = once(queue(qi)->next)) {
            steps.next("queue list");
            const QueueRecord* q = checked_queue(qi);
            if (q->ready == 0 || !has_room(q)) continue;
            const uint32_t ti = first_ready(q);
            if (ti == kNoTicket) continue;
            const TicketRecord* t = ticket(ti);
            const double start = q->vtime;  // backlogged: where its last service ended
            const double finish =
                start + kScale / effective_weight(q->weight, sub_clamped(now, t->first_deferred_ns));
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
    if (once(h->free_lease_head) == kNoLease) sweep_locked(now, wake);
    if (once(h->free_lease_head) == kNoLease) return false;
    const QueueRecord* cq = checked_queue(qi);
    QueueRecord* q = queue(qi);
    TicketRecord* t = ticket(ti);
    if (t->state != TicketState::Waiting || t->lapsed || !has_room(cq)) return true;  // the sweep changed things: pick again
    const uint32_t key_count = queue_keys(q);
    uint16_t keys[kMaxKeysPerLease];
    for (uint32_t i = 0; i < key_count; ++i) keys[i] = q->keys[i];
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
    rec->key_count = uint16_t(key_count);
    for (uint32_t i = 0; i < key_count; ++i) rec->keys[i] = keys[i];
    const size_t n = std::min<size_t>(once(q->tenant_len), kMaxLabelBytes);
    std::memcpy(rec->label, q->tenant, n);
    rec->label_len = uint16_t(n);
    commit_barrier();
    rec->state = LeaseState::Held;  // the lease commits first; repair drops it unless the ticket names it
    commit_barrier();
    t->lease = index;
    commit_barrier();
    t->state = TicketState::Reserved;
    commit_barrier();
    for (uint32_t i = 0; i < key_count; ++i) {
        KeyRecord* k = key(keys[i]);
        push_slot(k, index);
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
    const uint32_t ti = once(rec->ticket);
    if (ti >= segment_.geometry().max_tickets) return;
    TicketRecord* t = ticket(ti);
    if (t->state != TicketState::Reserved || t->lease != li || reason == FreeReason::Reservation) return;
    const QueueRecord* q = checked_queue(once(t->queue));
    t->lapsed = 1;
    commit_barrier();
    t->state = TicketState::Waiting;
    t->lease = kNoLease;
    for (uint32_t i = 0, n = queue_keys(q); i < n; ++i) {
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
    const uint32_t n = std::min<uint32_t>(once(rec->label_len), uint32_t(kMaxLabelBytes));
    std::memcpy(e->label, rec->label, n);
    e->label_len = n;
    commit_barrier();
    e->state = StrandedState::Ready;
    commit_barrier();
    ++h->stranded_head;
    drop_dealt_with_stranded();
}

uint32_t LeaseTable::find_ticket(int64_t ref, const uint16_t* keys, uint32_t count, const Scope& scope) const {
    Steps steps(segment_.geometry().max_tickets);
    for (uint32_t ti = once(*segment_.ref_bucket(bucket_of(ref, segment_.ref_bucket_count()))); ti != kNoTicket;
         ti = once(ticket(ti)->hash_next)) {
        steps.next("ref hash chain");
        const TicketRecord* t = ticket(ti);
        if (t->state == TicketState::Free || t->ref != ref) continue;
        const QueueRecord* q = checked_queue(once(t->queue));
        if (same_keys(q, keys, count) && same_scope(q->scope, scope)) return ti;
    }
    return kNoTicket;
}

uint32_t LeaseTable::parse_ticket(std::string_view text, const Scope& scope) const {
    uint64_t index, hi, lo;
    if (text.size() != kTicketTextLength || !parse_hex(text.substr(0, 8), index) ||
        !parse_hex(text.substr(8, 8), hi) || !parse_hex(text.substr(16, 16), lo))
        throw InvalidArgument("sluice: a ticket is " + std::to_string(kTicketTextLength) +
                              " lowercase hex characters");
    if (index >= segment_.geometry().max_tickets) return kNoTicket;
    const TicketRecord* t = ticket(uint32_t(index));
    if (t->state == TicketState::Free || (t->token[0] & 0xffffffffu) != hi || t->token[1] != lo) return kNoTicket;
    if (!same_scope(checked_queue(once(t->queue))->scope, scope)) return kNoTicket;
    return uint32_t(index);
}

void LeaseTable::hash_insert(uint32_t ti) {
    uint32_t* bucket = segment_.ref_bucket(bucket_of(ticket(ti)->ref, segment_.ref_bucket_count()));
    ticket(ti)->hash_next = *bucket;
    *bucket = ti;
}

void LeaseTable::hash_remove(uint32_t ti) {
    uint32_t* link = segment_.ref_bucket(bucket_of(ticket(ti)->ref, segment_.ref_bucket_count()));
    Steps steps(segment_.geometry().max_tickets);
    for (uint32_t at = once(*link); at != kNoTicket; at = once(*link)) {
        steps.next("ref hash chain");
        if (at == ti) {
            *link = ticket(ti)->hash_next;
            return;
        }
        link = &ticket(at)->hash_next;
    }
    corrupt_record("ticket not in its ref hash chain", ti, 0);
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
    const uint32_t prev = once(q->prev), next = once(q->next);
    if (prev != kNoTicket)
        queue(prev)->next = next;
    else
        h->queue_head = next;
    if (next != kNoTicket) queue(next)->prev = prev;
    q->in_use = 0;
    q->next = h->free_queue_head;
    h->free_queue_head = qi;
    --h->queues_in_use;
}

// The one place a ticket joins its queue with its counts: enqueue, and the repair that rebuilds the queues. It
// goes behind every ticket of the queue first deferred no later than it: at the tail, unless its work keeps an
// earlier place (a step whose runner died runs again with its first deferral), so a queue serves its tickets in
// the order their work first waited.
void LeaseTable::append_ticket(uint32_t ti) {
    SegmentHeader* h = segment_.header();
    TicketRecord* t = ticket(ti);
    const uint32_t qi = once(t->queue);
    QueueRecord* q = checked_queue(qi);
    uint32_t after = once(q->tail);
    Steps steps(segment_.geometry().max_tickets);
    while (after != kNoTicket && ticket(after)->first_deferred_ns > t->first_deferred_ns) {
        steps.next("queue ticket list");
        after = once(ticket(after)->prev);
    }
    const uint32_t before = after != kNoTicket ? once(ticket(after)->next) : once(q->head);
    t->prev = after;
    t->next = before;
    if (after != kNoTicket)
        ticket(after)->next = ti;
    else
        q->head = ti;
    if (before != kNoTicket)
        ticket(before)->prev = ti;
    else
        q->tail = ti;
    ++q->count;
    ++h->tickets_in_use;
    if (t->state == TicketState::Waiting) {
        for (uint32_t i = 0, n = queue_keys(q); i < n; ++i) ++key(q->keys[i])->queued;
        if (!t->lapsed) {
            // A queue that had nothing to hand a slot to starts again from now (SFQ), as in make_ready.
            if (q->ready++ == 0) q->vtime = std::max(q->vtime, h->virtual_time);
            ++h->tickets_ready;
        }
    }
    hash_insert(ti);
}

void LeaseTable::remove_ticket(uint32_t ti) {
    SegmentHeader* h = segment_.header();
    TicketRecord* t = ticket(ti);
    const uint32_t qi = once(t->queue);
    QueueRecord* q = checked_queue(qi);
    const bool was_waiting = t->state == TicketState::Waiting;
    commit_barrier();
    t->state = TicketState::Free;  // the commit point: the ticket has left
    commit_barrier();
    hash_remove(ti);
    const uint32_t prev = once(t->prev), next = once(t->next);
    if (prev != kNoTicket)
        ticket(prev)->next = next;
    else
        q->head = next;
    if (next != kNoTicket)
        ticket(next)->prev = prev;
    else
        q->tail = prev;
    --q->count;
    if (was_waiting) {
        for (uint32_t i = 0, n = queue_keys(q); i < n; ++i)
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
    if (q->count == 0) free_queue(qi);
}

void LeaseTable::make_ready(uint32_t ti) {
    TicketRecord* t = ticket(ti);
    if (t->state != TicketState::Waiting || !t->lapsed) return;
    QueueRecord* q = checked_queue(once(t->queue));
    t->lapsed = 0;
    SegmentHeader* h = segment_.header();
    // A queue that had nothing to hand a slot to starts again from now (SFQ):
    // its idle time earns it no burst.
    if (q->ready++ == 0) q->vtime = std::max(q->vtime, h->virtual_time);
    ++h->tickets_ready;
    h->handoff_pending = 1;
}

AcquireResult LeaseTable::convert_reservation(uint32_t ti, const SlotRequest& r, const Token& token, int64_t now) {
    const uint32_t li = once(ticket(ti)->lease);
    const int64_t waited = std::max<int64_t>(0, sub_clamped(now, ticket(ti)->first_deferred_ns));
    LeaseRecord* rec = lease(li);
    fill_owner(rec, token, now, r.ttl_ns, r.label, r.scope);  // the lease is the caller's from here
    rec->ref = r.ref;
    for (size_t i = 0; i < r.count; ++i) {
        KeyRecord* k = key(r.keys[i]);
        note_limit(k, r.limits[i]);
        ++k->acquired;
    }
    remove_ticket(ti);
    return AcquireResult{true, Grant{li, Token{rec->token[0], rec->token[1]}, waited}, {}};
}

AcquireResult LeaseTable::claim_reservation(uint32_t ti, const SlotRequest& r, const Token& token, int64_t now,
                                            WakeList& wake) {
    Refusal why{};
    const int64_t bucket_now = r.take_count ? monotonic_ns() : now;  // the buckets' clock (try_acquire_locked says why)
    if (r.take_count && buckets_refuse(r, bucket_now, why, true)) {
        // The slot was handed to it, but its budget is short: the slot goes on to
        // the next ticket now instead of idling out the reservation window, and
        // this ticket waits (lapsed) for its action to come back after the refill.
        free_lease(once(ticket(ti)->lease), FreeReason::Reset, wake);
        return AcquireResult{false, {}, why};
    }
    if (r.take_count) buckets_take(r, bucket_now);
    return convert_reservation(ti, r, token, now);
}

void LeaseTable::hold_ticket(uint32_t ti) {
    TicketRecord* t = ticket(ti);
    if (t->state != TicketState::Waiting || t->lapsed) return;
    QueueRecord* q = checked_queue(once(t->queue));
    t->lapsed = 1;
    SegmentHeader* h = segment_.header();
    if (q->ready) --q->ready;
    if (h->tickets_ready) --h->tickets_ready;
}

AcquireResult LeaseTable::try_acquire_for(const SlotRequest& request) {
    validate(request);
    if (request.ref < 1) throw InvalidArgument("sluice: ref must be at least 1, not " + std::to_string(request.ref));
    WakeList wake;
    const Token token = random_token();
    const AcquireResult result = locked([&] {
        AcquireResult r = try_acquire_for_locked(request, token, monotonic_ns(), true, wake);
        finish_locked(wake);
        return r;
    });
    wake.wake(segment_);
    return result;
}

AcquireResult LeaseTable::try_acquire_for_locked(const SlotRequest& request, const Token& token, int64_t now,
                                                 bool count_throttle, WakeList& wake) {
    const SortedKeys s = sorted(request.keys, request.limits, request.count);
    const uint32_t ti = find_ticket(request.ref, s.keys, s.count, request.scope);
    // Its reservation, when the ticket holds one (repair keeps the two naming each other).
    auto reserved = [&] {
        const uint32_t li = once(ticket(ti)->lease);
        if (ticket(ti)->state != TicketState::Reserved || li >= segment_.geometry().max_leases) return false;
        const LeaseRecord* rec = lease(li);
        return rec->state == LeaseState::Held && rec->ticket == ti;
    };
    if (ti != kNoTicket && reserved()) {
        // Its reservation, even one past its window that nobody reclaimed yet.
        return claim_reservation(ti, request, token, now, wake);
    }
    AcquireResult r = try_acquire_locked(request, token, now, count_throttle, wake);
    if (ti != kNoTicket) {
        if (reserved() && !r.acquired) {
            // The hand-off run by that acquire picked this very ticket.
            r = claim_reservation(ti, request, token, now, wake);
        } else if (reserved()) {
            const uint32_t li = once(ticket(ti)->lease);
            remove_ticket(ti);
            free_lease(li, FreeReason::Reservation, wake);
        } else if (r.acquired) {
            r.grant.waited_ns = std::max<int64_t>(0, sub_clamped(now, ticket(ti)->first_deferred_ns));
            remove_ticket(ti);
        } else if (r.refusal.kind == RefusalKind::Rate) {
            hold_ticket(ti);  // a slot would only idle until its budget refills
        } else {
            make_ready(ti);  // its action showed up: a lapsed ticket may be handed a slot again
        }
    }
    return r;
}

EnqueueResult LeaseTable::enqueue(const LineRequest& r) {
    validate(SlotRequest{r.keys, r.limits, r.count, 1, ""});
    check_line_request(r);
    const SortedKeys s = sorted(r.keys, r.limits, r.count);
    const int64_t unix_now = int64_t(::time(nullptr));
    const int64_t first_unix = r.first_deferred_unix > 0 ? std::min(r.first_deferred_unix, unix_now) : unix_now;
    const Token token = random_token();
    WakeList wake;
    const EnqueueResult result = locked([&] {
        EnqueueResult out{};
        SegmentHeader* h = segment_.header();
        const uint32_t max_tickets = segment_.geometry().max_tickets;
        const int64_t now = monotonic_ns();
        uint32_t ti = find_ticket(r.ref, s.keys, s.count, r.scope);
        out.created = ti == kNoTicket;
        if (out.created) {
            uint32_t qi = kNoTicket;
            Steps steps(max_tickets);
            for (uint32_t q = once(h->queue_head); q != kNoTicket; q = once(queue(q)->next)) {
                steps.next("queue list");
                const QueueRecord* rec = checked_queue(q);
                if (rec->weight == r.weight && rec->tenant_len == r.tenant.size() &&
                    std::memcmp(rec->tenant, r.tenant.data(), r.tenant.size()) == 0 && same_keys(rec, s.keys, s.count) &&
                    same_scope(rec->scope, r.scope)) {
                    qi = q;
                    break;
                }
            }
            const uint32_t free_ticket = once(h->free_ticket_head), free_queue = once(h->free_queue_head);
            if (free_ticket == kNoTicket || (qi == kNoTicket && free_queue == kNoTicket))
                throw CapacityError("sluice: waiting line full: all " + std::to_string(max_tickets) +
                                    " tickets are in use; raise sluice.max_tickets and recreate the segment");
            // The free lists must lead to free records: anything else would overwrite a live one.
            if (ticket(free_ticket)->state != TicketState::Free) corrupt_record("free ticket list", free_ticket, 0);
            if (qi == kNoTicket && once(queue(free_queue)->in_use)) corrupt_record("free queue list", free_queue, 0);
            QueueRecord* q;
            if (qi == kNoTicket) {
                qi = free_queue;
                q = queue(qi);
                h->free_queue_head = once(q->next);
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
            ti = free_ticket;
            TicketRecord* t = ticket(ti);
            h->free_ticket_head = once(t->next);
            t->token[0] = token.hi & 0xffffffffu;
            t->token[1] = token.lo;
            t->queue = qi;
            t->hash_next = kNoTicket;
            t->lease = kNoLease;
            t->lapsed = r.hold ? 1 : 0;  // held: handed nothing until its action shows up
            t->ref = r.ref;
            t->first_deferred_unix = first_unix;
            t->first_deferred_ns = now - (unix_now - first_unix) * kNsPerSecond;
            t->seq = ++h->ticket_seq;
            commit_barrier();
            t->state = TicketState::Waiting;  // the commit point: repair rebuilds the rest from here
            commit_barrier();
            if (testing::Hook hook = testing::inside_critical_section_hook()) hook();
            append_ticket(ti);
            if (!r.hold) h->handoff_pending = 1;  // its keys may have room right now
        } else if (r.hold) {
            hold_ticket(ti);
        } else {
            make_ready(ti);  // re-confirmed: a lapsed ticket may be handed a slot again
        }
        finish_locked(wake);

        const TicketRecord* t = ticket(ti);
        const QueueRecord* q = checked_queue(once(t->queue));
        out.ticket = format_ticket(ti, t);
        out.limit = UINT32_MAX;
        for (uint32_t i = 0; i < s.count; ++i) {
            out.limit = std::min(out.limit, s.limits[i]);
            out.mean_hold_ns = std::max(out.mean_hold_ns, key(s.keys[i])->mean_hold_ns);
        }
        out.ahead = 0;
        if (t->state == TicketState::Waiting) {
            uint32_t position = 0;
            if (out.created && t->next == kNoTicket) {
                position = q->ready > 0 ? std::min(q->ready - 1, max_tickets) : 0;
            } else {
                Steps steps(max_tickets);
                for (uint32_t x = once(q->head); x != kNoTicket && x != ti; x = once(ticket(x)->next)) {
                    steps.next("queue ticket list");
                    if (ticket(x)->state == TicketState::Waiting) ++position;
                }
            }
            const double own = effective_weight(q->weight, sub_clamped(now, t->first_deferred_ns));
            out.ahead = position;
            Steps steps(max_tickets);
            for (uint32_t x = once(h->queue_head); x != kNoTicket; x = once(queue(x)->next)) {
                steps.next("queue list");
                const QueueRecord* other = checked_queue(x);
                const uint32_t ready = std::min(once(other->ready), max_tickets);
                if (x == t->queue || ready == 0) continue;
                bool shares = false;
                for (uint32_t i = 0, n = queue_keys(other); i < n && !shares; ++i)
                    for (uint32_t j = 0, m = queue_keys(q); j < m && !shares; ++j) shares = other->keys[i] == q->keys[j];
                if (!shares) continue;
                const uint32_t head = first_ready(other);
                const double w = head == kNoTicket
                                     ? other->weight
                                     : effective_weight(other->weight, sub_clamped(now, ticket(head)->first_deferred_ns));
                const double share = std::ceil((position + 1) * w / own);
                out.ahead += share >= 0 && share < ready ? uint32_t(share) : ready;  // (NaN too: a weight of 0)
            }
        }
        return out;
    });
    wake.wake(segment_);
    return result;
}

bool LeaseTable::ticket_set_ref(const Scope& scope, std::string_view text, int64_t ref) {
    if (ref < 1) throw InvalidArgument("sluice: ref must be at least 1, not " + std::to_string(ref));
    return locked([&] {
        const uint32_t ti = parse_ticket(text, scope);
        if (ti == kNoTicket) return false;
        TicketRecord* t = ticket(ti);
        hash_remove(ti);
        t->ref = ref;
        hash_insert(ti);
        if (t->state == TicketState::Reserved) lease(once(t->lease))->ref = ref;
        return true;
    });
}

bool LeaseTable::ticket_cancel(const Scope& scope, std::string_view text) {
    WakeList wake;
    const bool cancelled = locked([&] {
        const uint32_t ti = parse_ticket(text, scope);
        if (ti == kNoTicket) return false;
        const bool reserved = ticket(ti)->state == TicketState::Reserved;
        const uint32_t li = once(ticket(ti)->lease);
        remove_ticket(ti);
        if (reserved && lease(li)->state == LeaseState::Held && lease(li)->ticket == ti)
            free_lease(li, FreeReason::Reservation, wake);  // handed on to the next ticket below
        finish_locked(wake);
        return true;
    });
    wake.wake(segment_);
    return cancelled;
}

bool LeaseTable::wake_missed(const Scope& scope, std::string_view text) {
    return locked([&] {
        const uint32_t ti = parse_ticket(text, scope);
        if (ti == kNoTicket) return false;
        const QueueRecord* q = checked_queue(once(ticket(ti)->queue));
        for (uint32_t i = 0, n = queue_keys(q); i < n; ++i) ++key(q->keys[i])->wakes_missed;
        return true;
    });
}

std::vector<WakeInfo> LeaseTable::take_wakes(const Scope& scope, size_t max) {
    return locked([&] {
        std::vector<WakeInfo> out;
        SegmentHeader* h = segment_.header();
        const int64_t now = monotonic_ns();
        if (h->wake_tail > h->wake_head || h->wake_head - h->wake_tail > kWakeRingSize) h->wake_tail = h->wake_head;
        // Other scopes' wakes stay where they are; a wake whose reservation is
        // gone (claimed, cancelled or lapsed since) is dropped by whoever sees it.
        for (uint64_t n = h->wake_tail; n < h->wake_head && out.size() < max; ++n) {
            WakeEntry* e = segment_.wake_entry(n);
            const uint32_t ti = once(e->ticket);
            if (ti == kNoTicket) continue;
            const TicketRecord* t = ti < segment_.geometry().max_tickets ? ticket(ti) : nullptr;
            if (!t || t->state != TicketState::Reserved || t->token[0] != e->token[0] || t->token[1] != e->token[1]) {
                e->ticket = kNoTicket;
                continue;
            }
            if (!same_scope(checked_queue(once(t->queue))->scope, scope)) continue;
            // An action id below 1 is nothing a caller could pull forward (or claim with).
            if (t->ref < 1) corrupt_record("ticket ref", ti, uint64_t(t->ref));
            out.push_back(WakeInfo{format_ticket(ti, t), t->ref,
                                   std::max<int64_t>(0, sub_clamped(lease(once(t->lease))->expires_at_ns, now))});
            e->ticket = kNoTicket;
        }
        while (h->wake_tail < h->wake_head && segment_.wake_entry(h->wake_tail)->ticket == kNoTicket) ++h->wake_tail;
        return out;
    });
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
    return locked([&] {
        std::vector<StrandedInfo> out;
        SegmentHeader* h = segment_.header();
        const int64_t now = monotonic_ns();
        const OwnerIdentity& self = current_owner();
        if (h->stranded_tail > h->stranded_head || h->stranded_head - h->stranded_tail > kStrandedRingSize)
            h->stranded_tail = h->stranded_head - std::min<uint64_t>(h->stranded_head, kStrandedRingSize);
        for (uint64_t n = h->stranded_tail; n < h->stranded_head && out.size() < max; ++n) {
            StrandedEntry* e = segment_.stranded_entry(n);
            if (e->seq != n || !same_scope(e->scope, scope)) continue;
            const StrandedState state = once(e->state);
            if (state == StrandedState::Claimed) {
                // Another claim of this scope: it holds until its window ends or its claimer dies.
                const bool lapsed = e->claim_until_ns <= now ||
                                    owner_liveness(e->claimer_pid, e->claimer_start_time, e->claimer_pid_namespace,
                                                   true) == Liveness::Dead;
                if (!lapsed) continue;
            } else if (state != StrandedState::Ready) {
                continue;
            }
            const std::string_view label = text_of(e->label, once(e->label_len), kMaxLabelBytes, "stranded label");
            if (e->ref < 1) corrupt_record("stranded ref", n, uint64_t(e->ref));
            uint64_t claim = random_token().lo;
            if (claim == 0) claim = 1;
            e->claim = claim;
            e->claim_until_ns = add_saturating(now, claim_ns);
            e->claimer_pid = self.pid;
            e->claimer_start_time = self.start_time;
            e->claimer_pid_namespace = self.pid_namespace;
            commit_barrier();
            e->state = StrandedState::Claimed;
            out.push_back(StrandedInfo{e->ref, std::string(label), e->pid, format_stranded_id(n, claim)});
        }
        return out;
    });
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
    return locked([&] {
        StrandedEntry* e = claimed_stranded(scope, id);
        if (!e) return false;
        e->state = StrandedState::Free;
        drop_dealt_with_stranded();
        return true;
    });
}

bool LeaseTable::return_stranded(const Scope& scope, std::string_view id) {
    return locked([&] {
        StrandedEntry* e = claimed_stranded(scope, id);
        if (!e) return false;
        e->claim = 0;
        commit_barrier();
        e->state = StrandedState::Ready;
        return true;
    });
}

void LeaseTable::repair_stranded_locked() noexcept {
    SegmentHeader* h = segment_.header();
    if (h->stranded_tail > h->stranded_head || h->stranded_head - h->stranded_tail > kStrandedRingSize)
        h->stranded_tail = h->stranded_head - std::min<uint64_t>(h->stranded_head, kStrandedRingSize);
    for (uint64_t n = h->stranded_tail; n < h->stranded_head; ++n) {
        StrandedEntry* e = segment_.stranded_entry(n);
        const StrandedState state = once(e->state);
        if (once(e->seq) != n || once(e->label_len) > kMaxLabelBytes || e->ref < 1 ||
            (state != StrandedState::Ready && state != StrandedState::Claimed))
            e->state = StrandedState::Free;
    }
    drop_dealt_with_stranded();
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
    std::vector<Ordered> queues = locked([&] {
        std::vector<Ordered> list;
        const SegmentHeader* h = segment_.header();
        const uint32_t max_tickets = segment_.geometry().max_tickets;
        const int64_t now = monotonic_ns();
        Steps queue_steps(max_tickets);
        for (uint32_t qi = once(h->queue_head); qi != kNoTicket; qi = once(queue(qi)->next)) {
            queue_steps.next("queue list");
            const QueueRecord* q = checked_queue(qi);
            LineQueueInfo info;
            info.scope = format_scope(q->scope);
            info.tenant.assign(text_of(q->tenant, q->tenant_len, kMaxTenantBytes, "queue tenant length"));
            info.weight = q->weight;
            for (uint32_t i = 0, n = queue_keys(q); i < n; ++i) {
                const KeyRecord* k = key(q->keys[i]);
                info.keys.emplace_back(std::string(text_of(k->key, once(k->key_len), kMaxKeyBytes, "key length")),
                                       q->limits[i]);
            }
            Steps ticket_steps(max_tickets);
            for (uint32_t ti = once(q->head); ti != kNoTicket; ti = once(ticket(ti)->next)) {
                ticket_steps.next("queue ticket list");
                const TicketRecord* t = ticket(ti);
                const bool reserved = t->state == TicketState::Reserved;
                const int64_t age = sub_clamped(now, t->first_deferred_ns);
                info.tickets.push_back(LineTicketInfo{
                    format_ticket(ti, t), t->ref, reserved, t->lapsed != 0, age, t->first_deferred_unix,
                    reserved ? std::max<int64_t>(0, sub_clamped(lease(once(t->lease))->expires_at_ns, now)) : 0,
                    effective_weight(q->weight, age)});
            }
            // Queues with no ticket to hand a slot to come last, in their heads' order.
            uint32_t head = first_ready(q);
            const bool ready = head != kNoTicket;
            if (!ready) head = once(q->head);
            if (head == kNoTicket) continue;  // an empty queue in the list: nothing to show
            const TicketRecord* first = ticket(head);
            const double finish = (ready ? q->vtime : std::max(q->vtime, h->virtual_time)) +
                                  kScale / effective_weight(q->weight, sub_clamped(now, first->first_deferred_ns)) +
                                  (ready ? 0 : 1e300);
            list.push_back(Ordered{finish, first->first_deferred_ns, first->seq, std::move(info)});
        }
        return list;
    });
    std::stable_sort(queues.begin(), queues.end(), [](const Ordered& a, const Ordered& b) {
        return served_before(a.finish, a.first, a.seq, b.finish, b.first, b.seq);
    });
    std::vector<LineQueueInfo> out;
    out.reserve(queues.size());
    for (auto& q : queues) out.push_back(std::move(q.info));
    return out;
}

// After EOWNERDEAD or a CorruptRecord, once the lease records are repaired:
// the ticket records are the truth; queues' lists and counts, the free lists,
// the ref hash and the keys' queued counts are rebuilt from them. A ticket
// whose reservation is gone waits again, lapsed; one whose queue fails a
// check is dropped.
void LeaseTable::repair_line_locked() {
    SegmentHeader* h = segment_.header();
    const uint32_t n = segment_.geometry().max_tickets;
    if (h->wake_tail > h->wake_head) h->wake_tail = h->wake_head;
    if (h->wake_head - h->wake_tail > kWakeRingSize) h->wake_tail = h->wake_head - kWakeRingSize;
    repair_stranded_locked();
    if (!std::isfinite(h->virtual_time)) h->virtual_time = 0;
    for (uint32_t qi = 0; qi < n; ++qi) {
        QueueRecord* q = queue(qi);
        q->head = q->tail = kNoTicket;
        q->count = q->ready = 0;
        if (!std::isfinite(q->vtime)) q->vtime = h->virtual_time;
    }
    const uint32_t keys = key_count();
    for (uint32_t k = 0; k < keys; ++k) key(k)->queued = 0;
    for (uint32_t b = 0; b < segment_.ref_bucket_count(); ++b) *segment_.ref_bucket(b) = kNoTicket;
    h->tickets_in_use = h->tickets_ready = 0;

    auto sane_queue = [&](uint32_t qi) {
        if (qi >= n) return false;
        try {
            checked_queue(qi);
            return true;
        } catch (const CorruptRecord&) {
            return false;
        }
    };
    // Sorted by copies of (queue, first deferral, seq): a comparator reading the records
    // themselves could see them change mid-sort.
    struct Live {
        uint32_t queue;
        int64_t first;
        uint64_t seq;
        uint32_t ticket;
    };
    std::vector<Live> live;
    live.reserve(n);
    for (uint32_t ti = 0; ti < n; ++ti) {
        TicketRecord* t = ticket(ti);
        const TicketState state = once(t->state);
        const uint32_t qi = once(t->queue);
        if ((state != TicketState::Waiting && state != TicketState::Reserved) || !sane_queue(qi) || t->ref < 1) {
            t->state = TicketState::Free;
            continue;
        }
        if (state == TicketState::Reserved) {
            const uint32_t li = once(t->lease);
            const bool backed = li < segment_.geometry().max_leases && lease(li)->state == LeaseState::Held &&
                                lease(li)->ticket == ti;
            if (!backed) {
                t->lapsed = 1;
                t->state = TicketState::Waiting;
                t->lease = kNoLease;
            }
        }
        live.push_back(Live{qi, t->first_deferred_ns, t->seq, ti});
    }
    // Each queue in the order append_ticket() keeps: by first deferral, then arrival (then each joins at its tail).
    std::sort(live.begin(), live.end(), [](const Live& a, const Live& b) {
        if (a.queue != b.queue) return a.queue < b.queue;
        return a.first != b.first ? a.first < b.first : a.seq < b.seq;
    });
    for (const Live& l : live) append_ticket(l.ticket);
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
