// Rate budgets (a token bucket per key, taken together with the slots of an
// acquire) and the capacity counters (per key and minute), in the segment's
// rate records. The bucket's arithmetic is rate_bucket.hpp's; here it is
// applied under the table's lock, with every value read from the segment
// checked first: a corrupt number makes one budget wrong until the next take
// rewrites it, never a crash.
#include <algorithm>
#include <cstring>
#include <ctime>

#include "sluice/clock.hpp"
#include "sluice/errors.hpp"
#include "sluice/lease_table.hpp"
#include "sluice/table_lock.hpp"
#include "sluice/wake_list.hpp"

namespace sluice {

namespace {

double checked(double v) { return valid_bucket_value(v) ? v : 0.0; }

BucketSpec stored_spec(const RateRecord* rec) { return BucketSpec{checked(once(rec->rate)), checked(once(rec->burst))}; }

BucketSpec learned_spec(const RateRecord* rec) {
    return BucketSpec{checked(once(rec->learned_rate)), checked(once(rec->learned_burst))};
}

// The spec a take works under: its own, else what the provider announced.
BucketSpec spec_for(const BucketTake& take, const RateRecord* rec) {
    return take.spec.rate > 0 ? take.spec : learned_spec(rec);
}

BucketState state_of(const RateRecord* rec) { return BucketState{once(rec->full_at_ns), once(rec->paused_until_ns)}; }

void store_state(RateRecord* rec, const BucketState& state) {
    rec->full_at_ns = state.full_at_ns;
    rec->paused_until_ns = state.paused_until_ns;
}

int64_t unix_minute_now() { return int64_t(::time(nullptr)) / 60; }

}  // namespace

bool LeaseTable::buckets_refuse(const SlotRequest& r, int64_t now, Refusal& why, bool count) {
    for (size_t i = 0; i < r.take_count; ++i) {
        const BucketTake& take = r.takes[i];
        RateRecord* rec = segment_.rate(take.key_index);
        const BucketSpec spec = spec_for(take, rec);
        const BucketState state = state_of(rec);
        const BucketCheck check = bucket_check(spec, state, now, take.tokens);
        if (check.allowed) continue;
        if (count) ++rec->refusals;
        why = Refusal{take.key_index, 0, 0, RefusalKind::Rate, check.retry_after_ns, bucket_level(spec, state, now)};
        return true;
    }
    return false;
}

void LeaseTable::buckets_take(const SlotRequest& r, int64_t now) {
    for (size_t i = 0; i < r.take_count; ++i) {
        const BucketTake& take = r.takes[i];
        RateRecord* rec = segment_.rate(take.key_index);
        const BucketSpec spec = spec_for(take, rec);
        BucketState state = state_of(rec);
        bucket_take(spec, state, now, take.tokens);
        store_state(rec, state);
        // The take's own budget (rate 0: it took under the learned one, which stays where it is), so that
        // operators see whose budget the bucket runs under.
        rec->rate = take.spec.rate;
        rec->burst = take.spec.burst;
        ++rec->takes;
        rec->tokens_taken = checked(once(rec->tokens_taken)) + take.tokens;
    }
}

BucketInfo LeaseTable::bucket_info(const RateRecord* rec, int64_t now) const {
    BucketSpec spec = stored_spec(rec);
    if (spec.rate <= 0) spec = learned_spec(rec);
    const BucketState state = state_of(rec);
    return BucketInfo{stored_spec(rec),
                      learned_spec(rec),
                      bucket_level(spec, state, now),
                      std::max<int64_t>(0, sub_clamped(state.paused_until_ns, now)),
                      once(rec->takes),
                      once(rec->refusals),
                      checked(once(rec->tokens_taken))};
}

BucketInfo LeaseTable::bucket_adjust(uint32_t key_index, double tokens) {
    if (!(tokens == tokens) || tokens > kMaxBucketValue || tokens < -kMaxBucketValue)
        throw InvalidArgument("sluice: a bucket adjustment must be a number from -1e9 to 1e9");
    return locked([&] {
        if (key_index >= key_count()) throw InvalidArgument("sluice: unknown bucket key index (resolve the key first)");
        RateRecord* rec = segment_.rate(key_index);
        const int64_t now = monotonic_ns();
        BucketSpec spec = stored_spec(rec);
        if (spec.rate <= 0) spec = learned_spec(rec);
        BucketState state = state_of(rec);
        bucket_give(spec, state, now, tokens);
        store_state(rec, state);
        if (tokens < 0) rec->tokens_taken = checked(once(rec->tokens_taken)) - tokens;
        return bucket_info(rec, now);
    });
}

BucketInfo LeaseTable::bucket_observe(uint32_t key_index, const BucketObservation& word) {
    if (word.pause_ns < 0) throw InvalidArgument("sluice: a pause must not be negative");
    if (!(word.at_most == word.at_most) || word.at_most > kMaxBucketValue)
        throw InvalidArgument("sluice: the tokens left must be a number up to 1e9");
    if (!valid_bucket_value(word.learned.rate) || !valid_bucket_value(word.learned.burst))
        throw InvalidArgument("sluice: a learned rate and burst must be numbers from 0 to 1e9");
    return locked([&] {
        if (key_index >= key_count()) throw InvalidArgument("sluice: unknown bucket key index (resolve the key first)");
        RateRecord* rec = segment_.rate(key_index);
        const int64_t now = monotonic_ns();
        if (word.learned.rate > 0) {
            rec->learned_rate = word.learned.rate;
            rec->learned_burst = word.learned.burst;
        }
        BucketSpec spec = stored_spec(rec);
        if (spec.rate <= 0) spec = learned_spec(rec);
        BucketState state = state_of(rec);
        if (word.at_most >= 0) bucket_cap_level(spec, state, now, word.at_most);
        bucket_pause(state, now, word.pause_ns);
        store_state(rec, state);
        return bucket_info(rec, now);
    });
}

void LeaseTable::window_add(const WindowAdd* adds, size_t count, int64_t unix_minute) {
    for (size_t i = 0; i < count; ++i)
        if (adds[i].field >= kWindowFields)
            throw InvalidArgument("sluice: a capacity counter is 0 to " + std::to_string(kWindowFields - 1) + ", not " +
                                  std::to_string(adds[i].field));
    const int64_t current = unix_minute_now();
    const int64_t minute = unix_minute > 0 ? unix_minute : current;
    if (minute > current + 1 || minute <= current - int64_t(kWindowMinutes)) return;  // outside the window: nothing to add to
    locked([&] {
        const uint32_t keys = key_count();
        for (size_t i = 0; i < count; ++i) {
            if (adds[i].key_index >= keys) throw InvalidArgument("sluice: unknown key index (resolve the key first)");
            WindowMinute& w = segment_.rate(adds[i].key_index)->windows[uint64_t(minute) % kWindowMinutes];
            const int64_t held = once(w.minute);
            // A later minute is there (this one is too old), unless that minute lies ahead of the clock (corrupt).
            if (held > minute && held <= current + 1) continue;
            if (held != minute) {
                std::memset(static_cast<void*>(w.counts), 0, sizeof w.counts);
                w.minute = minute;
            }
            w.counts[adds[i].field] += adds[i].delta;
        }
        return 0;
    });
}

std::vector<KeyRatesInfo> LeaseTable::key_rates() {
    const int64_t current = unix_minute_now();
    return locked([&] {
        std::vector<KeyRatesInfo> out;
        const int64_t now = monotonic_ns();
        const uint32_t count = key_count();
        out.reserve(count);
        for (uint32_t i = 0; i < count; ++i) {
            const KeyRecord* k = key(i);
            const RateRecord* rec = segment_.rate(i);
            KeyRatesInfo info{std::string(text_of(k->key, once(k->key_len), kMaxKeyBytes, "key length")),
                              bucket_info(rec, now),
                              {}};
            for (int64_t m = current - int64_t(kWindowMinutes) + 1; m <= current; ++m) {
                const WindowMinute& w = rec->windows[uint64_t(m) % kWindowMinutes];
                if (once(w.minute) != m) continue;
                WindowMinute copy;
                std::memcpy(static_cast<void*>(&copy), static_cast<const void*>(&w), sizeof copy);
                copy.minute = m;
                info.windows.push_back(copy);
            }
            out.push_back(std::move(info));
        }
        return out;
    });
}

}  // namespace sluice
