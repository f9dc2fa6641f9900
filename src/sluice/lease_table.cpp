// Acquire, release, renew and the bounded wait: the hot path.
#include "sluice/lease_table.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <ctime>

#include "sluice/clock.hpp"
#include "sluice/errors.hpp"
#include "sluice/owner.hpp"
#include "sluice/table_lock.hpp"
#include "sluice/test_hooks.hpp"
#include "sluice/wake_list.hpp"

namespace sluice {

namespace {

// A waiter re-checks at least this often even if nobody wakes it, so an owner
// that died without releasing is noticed (dead owners wake nobody).
constexpr int64_t kWaiterRecheckNs = 100 * kNsPerMs;

// Keeps the compiler from moving stores across it. Only the order of our own
// stores matters (a killed process leaves memory exactly as its executed
// stores left it), so a signal fence, not a hardware fence, is enough.
inline void commit_barrier() { std::atomic_signal_fence(std::memory_order_seq_cst); }

#define UNEXPECTED_RESERVATION(x) __builtin_expect(!!(x), 0)

}  // namespace

void check_key(std::string_view name) {
    if (name.empty()) throw InvalidArgument("sluice: key must not be empty");
    if (name.size() > kMaxKeyBytes)
        throw InvalidArgument("sluice: key \"" + std::string(name.substr(0, 16)) + "...\" is " +
                              std::to_string(name.size()) + " bytes; the maximum is " +
                              std::to_string(kMaxKeyBytes));
    if (name.find('\0') != std::string_view::npos)
        throw InvalidArgument("sluice: key must not contain NUL bytes");
}

uint32_t LeaseTable::key_count() const {
    return std::min(once(segment_.header()->key_count), segment_.geometry().max_keys);
}

uint32_t LeaseTable::active_of(const KeyRecord* k) const {
    const uint32_t active = once(k->active);
    if (__builtin_expect(active > segment_.geometry().slots_per_key, 0))
        corrupt_record("key active", active, segment_.geometry().slots_per_key);
    return active;
}

uint32_t LeaseTable::keys_of(const LeaseRecord* rec) const {
    const uint32_t n = once(rec->key_count);
    if (__builtin_expect(n < 1 || n > kMaxKeysPerLease, 0)) corrupt_record("lease key count", n, kMaxKeysPerLease);
    return n;
}

void LeaseTable::push_slot(KeyRecord* k, uint32_t index) {
    const uint32_t active = active_of(k);
    if (__builtin_expect(active == segment_.geometry().slots_per_key, 0))
        corrupt_record("key slots full", active, index);
    segment_.key_slots(k)[active] = uint16_t(index);
    k->active = active + 1;
}

std::string_view LeaseTable::text_of(const char* bytes, uint32_t len, size_t max, const char* what) {
    if (__builtin_expect(len > max, 0)) corrupt_record(what, len, max);
    return std::string_view(bytes, len);
}

uint32_t LeaseTable::resolve_key(std::string_view name) {
    check_key(name);
    return locked([&] {
        SegmentHeader* h = segment_.header();
        const uint32_t count = key_count();
        for (uint32_t i = 0; i < count; ++i) {
            const KeyRecord* k = key(i);
            const uint32_t len = once(k->key_len);
            if (len == name.size() && std::memcmp(k->key, name.data(), name.size()) == 0) return i;
        }
        const uint32_t max_keys = segment_.geometry().max_keys;
        if (count >= max_keys)
            throw CapacityError("sluice: key table full: all " + std::to_string(max_keys) +
                                " key records are in use; raise sluice.max_keys and recreate the segment");
        KeyRecord* k = key(count);
        std::memset(static_cast<void*>(k), 0, segment_.geometry().key_stride());
        std::memset(static_cast<void*>(segment_.rate(count)), 0, sizeof(RateRecord));
        std::memcpy(k->key, name.data(), name.size());
        k->key_len = uint32_t(name.size());
        k->peak_since_unix = int64_t(::time(nullptr));
        commit_barrier();
        h->key_count = count + 1;  // the commit point: the record now exists
        return count;
    });
}

void LeaseTable::validate(const SlotRequest& r) const {
    if (r.count < 1 || r.count > kMaxKeysPerLease)
        throw InvalidArgument("sluice: a lease takes 1 to " + std::to_string(kMaxKeysPerLease) + " keys, not " +
                              std::to_string(r.count));
    if (r.ttl_ns <= 0) throw InvalidArgument("sluice: ttl must be positive");
    const uint32_t slots = segment_.geometry().slots_per_key;
    const uint32_t keys = key_count();
    for (size_t i = 0; i < r.count; ++i) {
        // key_count, not max_keys: an index from an older segment must not take
        // a lease on a record that does not exist here.
        if (r.keys[i] >= keys) throw InvalidArgument("sluice: unknown key index (resolve the key first)");
        if (r.limits[i] < 1 || r.limits[i] > slots)
            throw InvalidArgument("sluice: limit " + std::to_string(r.limits[i]) + " is out of range 1.." +
                                  std::to_string(slots) + " (sluice.max_slots_per_key)");
        for (size_t j = 0; j < i; ++j)
            if (r.keys[j] == r.keys[i]) throw InvalidArgument("sluice: the same key appears twice in one lease");
    }
    if (r.take_count > kMaxBucketsPerTake)
        throw InvalidArgument("sluice: an acquire takes from 0 to " + std::to_string(kMaxBucketsPerTake) +
                              " buckets, not " + std::to_string(r.take_count));
    for (size_t i = 0; i < r.take_count; ++i) {
        const BucketTake& t = r.takes[i];
        if (t.key_index >= keys) throw InvalidArgument("sluice: unknown bucket key index (resolve the key first)");
        if (!valid_bucket_value(t.tokens) || !valid_bucket_value(t.spec.rate) || !valid_bucket_value(t.spec.burst))
            throw InvalidArgument("sluice: a bucket's tokens, rate and burst must be numbers from 0 to 1e9");
        for (size_t j = 0; j < i; ++j)
            if (r.takes[j].key_index == t.key_index)
                throw InvalidArgument("sluice: the same bucket appears twice in one acquire");
    }
}

AcquireResult LeaseTable::try_acquire(const SlotRequest& request) {
    validate(request);
    WakeList wake;
    const Token token = random_token();  // outside the lock: keeps the hold short
    const AcquireResult result = locked([&] {
        const int64_t now = coarse_monotonic_ns();
        AcquireResult r = try_acquire_locked(request, token, now, true, wake);
        finish_locked(wake);
        return r;
    });
    wake.wake(segment_);
    return result;
}

AcquireResult LeaseTable::try_acquire_locked(const SlotRequest& r, const Token& token, int64_t now,
                                             bool count_throttle, WakeList& wake) {
    // Bounded: each restart follows a hand-off that reserved a slot for a ticket.
    for (size_t i = 0, restarts = 0; i < r.count; ++i) {
        KeyRecord* k = key(r.keys[i]);
        if (active_of(k) >= r.limits[i]) {
            reclaim_key(r.keys[i], now, wake);
            // A slot freed here goes to the line first: a newcomer never takes
            // a slot from a ticket that waits for it. The hand-off may fill
            // keys already checked, so look at every key again.
            if (segment_.header()->handoff_pending && restarts++ <= segment_.geometry().max_leases) {
                hand_off_locked(now, wake);
                i = size_t(-1);
                continue;
            }
        }
        if (active_of(k) >= r.limits[i]) {
            if (count_throttle) ++k->throttled;
            return AcquireResult{false, {}, Refusal{r.keys[i], r.limits[i], k->active}};
        }
    }
    // Every slot is free: the buckets decide, on the fine clock (the one their
    // refunds and the provider's word are stamped with: on the coarse one a
    // bucket refilled to full a tick ago would still look short).
    const int64_t bucket_now = r.take_count ? monotonic_ns() : now;
    if (r.take_count) {
        Refusal why{};
        if (buckets_refuse(r, bucket_now, why, count_throttle)) return AcquireResult{false, {}, why};
    }
    // The record before the tokens: a full lease table throws here, and must
    // not have taken them. Taken before the commit point, so a death in
    // between loses tokens, never exceeds a budget.
    uint32_t index = take_free_record(wake);
    if (r.take_count) buckets_take(r, bucket_now);
    LeaseRecord* rec = lease(index);
    fill_owner(rec, token, now, r.ttl_ns, r.label, r.scope);
    rec->key_count = uint16_t(r.count);
    rec->ref = r.ref;
    for (size_t i = 0; i < r.count; ++i) rec->keys[i] = uint16_t(r.keys[i]);
    commit_barrier();
    rec->state = LeaseState::Held;  // the commit point: repair trusts Held records
    commit_barrier();
    if (testing::Hook hook = testing::inside_critical_section_hook()) hook();

    for (size_t i = 0; i < r.count; ++i) {
        KeyRecord* k = key(r.keys[i]);
        push_slot(k, index);
        note_limit(k, r.limits[i]);
        k->peak = std::max(k->peak, k->active);
        ++k->acquired;
    }
    return AcquireResult{true, Grant{index, Token{rec->token[0], rec->token[1]}}, {}};
}

void LeaseTable::note_limit(KeyRecord* k, uint32_t limit) {
    if (__builtin_expect(k->limit == limit, 1)) return;
    // A peak reached under another limit says nothing about this one.
    k->limit = limit;
    k->peak = k->active;
    k->peak_since_unix = int64_t(::time(nullptr));
}

uint32_t LeaseTable::take_free_record(WakeList& wake) {
    SegmentHeader* h = segment_.header();
    // The sweep may free slots of other keys too: their waiters are woken.
    if (once(h->free_lease_head) == kNoLease) sweep_locked(monotonic_ns(), wake);
    const uint32_t index = once(h->free_lease_head);
    if (index == kNoLease)
        throw CapacityError("sluice: lease table full: all " + std::to_string(segment_.geometry().max_leases) +
                            " lease records are held; raise sluice.max_leases and recreate the segment");
    LeaseRecord* rec = lease(index);
    // The free list must lead to a free record: anything else would hand out someone's lease.
    if (once(rec->state) != LeaseState::Free) corrupt_record("free lease list", index, uint32_t(once(rec->state)));
    h->free_lease_head = once(rec->next_free);
    ++h->leases_in_use;
    return index;
}

void LeaseTable::fill_owner(LeaseRecord* rec, const Token& token, int64_t now, int64_t ttl_ns,
                            std::string_view label, const Scope& scope) {
    const OwnerIdentity& owner = current_owner();
    rec->token[0] = token.hi;
    rec->token[1] = token.lo;
    rec->next_free = kNoLease;
    rec->pid = owner.pid;
    rec->start_time = owner.start_time;
    rec->pid_namespace = owner.pid_namespace;
    rec->acquired_at_ns = now;
    rec->expires_at_ns = add_saturating(now, ttl_ns);
    rec->owner_verified_at_ns = now;
    rec->request_open_until_ns = 0;
    rec->ticket = kNoTicket;  // the caller sets ref
    rec->scope = scope;
    size_t n = std::min(label.size(), kMaxLabelBytes);
    // Cut before a UTF-8 character that would not fit whole (at most 3 bytes
    // back), so status() never hands PHP a malformed string (json_encode fails).
    if (n < label.size())
        for (size_t back = 0; back < 3 && n > 0 && (static_cast<unsigned char>(label[n]) & 0xC0) == 0x80; ++back) --n;
    std::memcpy(rec->label, label.data(), n);
    rec->label_len = uint16_t(n);
}

bool LeaseTable::holds(uint32_t index, const Token& token) const {
    if (index >= segment_.geometry().max_leases) return false;
    const LeaseRecord* rec = lease(index);
    return rec->state == LeaseState::Held && rec->token[0] == token.hi && rec->token[1] == token.lo;
}

bool LeaseTable::release(uint32_t index, const Token& token) {
    WakeList wake;
    const bool released = locked([&] {
        if (!holds(index, token)) return false;
        free_lease(index, FreeReason::Released, wake);
        finish_locked(wake);
        return true;
    });
    wake.wake(segment_);
    return released;
}

bool LeaseTable::renew(uint32_t index, const Token& token, int64_t ttl_ns) {
    if (ttl_ns <= 0) throw InvalidArgument("sluice: ttl must be positive");
    return locked([&] {
        if (!holds(index, token)) return false;
        lease(index)->expires_at_ns = add_saturating(monotonic_ns(), ttl_ns);
        return true;
    });
}

bool LeaseTable::is_held(uint32_t index, const Token& token) {
    return locked([&] { return holds(index, token); });
}

bool LeaseTable::mark_request_started(uint32_t index, const Token& token, int64_t max_seconds) {
    if (max_seconds < 1 || max_seconds > kMaxRequestSeconds)
        throw InvalidArgument("sluice: a provider request may be open 1 to " + std::to_string(kMaxRequestSeconds) +
                              " seconds, not " + std::to_string(max_seconds));
    return set_request_deadline(index, token, monotonic_ns() + max_seconds * kNsPerSecond);
}

bool LeaseTable::mark_request_finished(uint32_t index, const Token& token) {
    return set_request_deadline(index, token, 0);
}

bool LeaseTable::set_request_deadline(uint32_t index, const Token& token, int64_t until_ns) {
    return locked([&] {
        if (!holds(index, token)) return false;
        lease(index)->request_open_until_ns = until_ns;  // one aligned store: a crash leaves old or new
        if (testing::Hook hook = testing::inside_critical_section_hook()) hook();
        return true;
    });
}

void LeaseTable::free_lease(uint32_t index, FreeReason reason, WakeList& wake) {
    SegmentHeader* h = segment_.header();
    LeaseRecord* rec = lease(index);
    const uint32_t count = keys_of(rec);
    uint16_t keys[kMaxKeysPerLease];
    for (uint32_t i = 0; i < count; ++i) keys[i] = once(rec->keys[i]);
    const bool reservation = rec->ticket != kNoTicket;
    if (UNEXPECTED_RESERVATION(reservation)) {
        lapse_reservation(index, reason);
        reason = FreeReason::Reservation;  // not a holder's: no holder counters
    } else if (reason == FreeReason::Dead && rec->ref != 0) {
        push_stranded(rec);
    }
    const int64_t held_ns = reason == FreeReason::Released ? sub_clamped(coarse_monotonic_ns(), rec->acquired_at_ns) : 0;
    for (uint32_t i = 0; i < count; ++i) {
        KeyRecord* k = key(keys[i]);
        uint16_t* slots = segment_.key_slots(k);
        const uint32_t active = active_of(k);
        uint32_t s = 0;
        while (s < active && slots[s] != index) ++s;
        // A lease missing from the slots of a key it names: the two disagree, follow neither.
        if (s == active) corrupt_record("lease not in its key's slots", index, keys[i]);
        slots[s] = slots[active - 1];  // swap-remove: order does not matter
        k->active = active - 1;
        switch (reason) {
            case FreeReason::Released: {
                ++k->released;
                // EWMA with alpha 1/4 (a shift, on the hot path), in integers; the
                // first hold seeds it; never 0 (unknown) once known.
                const int64_t mean = k->mean_hold_ns;
                k->mean_hold_ns = mean > 0 ? add_clamped(mean, sub_clamped(held_ns, mean) >> 2) | 1 : held_ns | 1;
                break;
            }
            case FreeReason::Dead: ++k->reclaimed_dead; break;
            case FreeReason::Expired: ++k->reclaimed_expired; break;
            case FreeReason::Reset: break;
            case FreeReason::Reservation: break;
        }
        k->wait_seq.fetch_add(1, std::memory_order_release);
        if (k->waiters) wake.add(keys[i], segment_.geometry().max_keys);
    }
    push_free(index);
    --h->leases_in_use;
    if (__builtin_expect(h->tickets_ready != 0, 0)) h->handoff_pending = 1;
}

void LeaseTable::push_free(uint32_t index) {
    SegmentHeader* h = segment_.header();
    LeaseRecord* rec = lease(index);
    commit_barrier();
    rec->state = LeaseState::Free;
    rec->token[0] = rec->token[1] = 0;
    rec->next_free = h->free_lease_head;
    h->free_lease_head = index;
}

LeaseTable::WaiterHandle LeaseTable::register_waiter(uint32_t key_index, const Token& token, int64_t now,
                                                     int64_t deadline, std::string_view label, WakeList& wake) {
    uint32_t index = take_free_record(wake);
    LeaseRecord* rec = lease(index);
    // Expires a little after the waiter gives up, so only a dead waiter's
    // record is ever reclaimed from under a sleeping one.
    fill_owner(rec, token, now, add_saturating(deadline - now, kNsPerSecond), label, Scope{});
    rec->key_count = 1;
    rec->keys[0] = uint16_t(key_index);
    rec->ref = 0;
    commit_barrier();
    rec->state = LeaseState::Waiting;
    ++key(key_index)->waiters;
    return WaiterHandle{index, Token{rec->token[0], rec->token[1]}};
}

void LeaseTable::free_waiter(const WaiterHandle& waiter) {
    const LeaseRecord* rec = lease(waiter.index);
    if (rec->state == LeaseState::Waiting && rec->token[0] == waiter.token.hi && rec->token[1] == waiter.token.lo)
        free_waiter_record(waiter.index);
}

void LeaseTable::free_waiter_record(uint32_t index) {
    KeyRecord* k = key(once(lease(index)->keys[0]));
    if (k->waiters) --k->waiters;
    push_free(index);
    --segment_.header()->leases_in_use;
}

void LeaseTable::reclaim_waiters(uint32_t key_index, int64_t now) {
    const uint32_t max_leases = segment_.geometry().max_leases;
    for (uint32_t i = 0; i < max_leases && key(key_index)->waiters; ++i) {
        LeaseRecord* rec = lease(i);
        if (rec->state != LeaseState::Waiting || rec->keys[0] != key_index) continue;
        if (check_owner(rec, now) != OwnerCheck::Keep) free_waiter_record(i);
    }
}

int64_t LeaseTable::earliest_expiry(uint32_t key_index) const {
    KeyRecord* k = key(key_index);
    const uint16_t* slots = segment_.key_slots(k);
    const uint32_t active = active_of(k);
    int64_t earliest = INT64_MAX;
    for (uint32_t s = 0; s < active; ++s) earliest = std::min(earliest, lease(slots[s])->expires_at_ns);
    return earliest;
}

AcquireResult LeaseTable::acquire(const SlotRequest& request, int64_t timeout_ns) {
    return acquire_waiting(request, timeout_ns, [this](const SlotRequest& r, const Token& token, int64_t now, bool last_try, WakeList& wake) {
        return try_acquire_locked(r, token, now, last_try, wake);
    });
}

AcquireResult LeaseTable::acquire_for(const SlotRequest& request, int64_t timeout_ns) {
    if (request.ref < 1) throw InvalidArgument("sluice: ref must be at least 1, not " + std::to_string(request.ref));
    return acquire_waiting(request, timeout_ns, [this](const SlotRequest& r, const Token& token, int64_t now, bool last_try, WakeList& wake) {
        return try_acquire_for_locked(r, token, now, last_try, wake);
    });
}

template <typename Try>
AcquireResult LeaseTable::acquire_waiting(const SlotRequest& request, int64_t timeout_ns, Try attempt) {
    validate(request);
    if (timeout_ns < 0) throw InvalidArgument("sluice: timeout must not be negative");
    const int64_t deadline = add_saturating(monotonic_ns(), timeout_ns);
    WaiterHandle waiter{kNoLease, {}};
    for (;;) {
        WakeList wake;
        KeyRecord* blocked = nullptr;
        uint32_t seen_seq = 0;
        int64_t wake_at = deadline;
        int64_t rate_wait_ns = 0;
        const Token token = random_token(), waiter_token = random_token();
        const AcquireResult result = locked([&] {
            blocked = nullptr;
            if (waiter.index != kNoLease) free_waiter(waiter);
            waiter.index = kNoLease;
            const int64_t now = monotonic_ns();
            const bool last_try = now >= deadline;
            AcquireResult r = attempt(request, token, now, last_try, wake);
            finish_locked(wake);
            if (!r.acquired && !last_try && r.refusal.kind == RefusalKind::Rate) {
                // No slot is missing: nobody's release wakes us, the bucket's refill does.
                rate_wait_ns = std::max<int64_t>(1, std::min(r.refusal.retry_after_ns, sub_clamped(deadline, now)));
            } else if (!r.acquired && !last_try) {
                KeyRecord* k = key(r.refusal.key_index);
                // Waiters that died in here wake nobody and nothing else looks
                // for them: clear them before counting ourselves in.
                if (k->waiters) reclaim_waiters(r.refusal.key_index, now);
                seen_seq = k->wait_seq.load(std::memory_order_acquire);
                waiter = register_waiter(r.refusal.key_index, waiter_token, now, deadline, request.label, wake);
                // Wake up by ourselves when a holder's TTL runs out or to look for
                // dead holders: neither event bumps wait_seq on its own.
                wake_at = std::min({deadline, earliest_expiry(r.refusal.key_index), now + kWaiterRecheckNs});
                blocked = k;
            }
            return r;
        });
        wake.wake(segment_);
        if (rate_wait_ns > 0) {
            const timespec pause{time_t(rate_wait_ns / kNsPerSecond), long(rate_wait_ns % kNsPerSecond)};
            ::nanosleep(&pause, nullptr);
            continue;
        }
        if (!blocked) return result;
        futex_wait(&blocked->wait_seq, seen_seq, std::max<int64_t>(sub_clamped(wake_at, monotonic_ns()), 1));
    }
}

}  // namespace sluice
