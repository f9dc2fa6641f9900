// Key records: one small opaque record per key, read and compare-and-set under
// the table lock. The plugin keeps each provider's adaptive limit and circuit
// breaker in its provider key's record, so every process of the host agrees;
// the record's cap tells the waiting line's hand-off how full the key may get.
#include <algorithm>
#include <atomic>
#include <cstring>

#include "sluice/errors.hpp"
#include "sluice/lease_table.hpp"
#include "sluice/segment.hpp"
#include "sluice/table_lock.hpp"
#include "sluice/wake_list.hpp"

namespace sluice {

uint32_t LeaseTable::find_key_locked(std::string_view name) const {
    const uint32_t count = key_count();
    for (uint32_t i = 0; i < count; ++i) {
        const KeyRecord* k = key(i);
        if (once(k->key_len) == name.size() && std::memcmp(k->key, name.data(), name.size()) == 0) return i;
    }
    return kNoKey;
}

KeyRecordValue LeaseTable::read_key_record(std::string_view name) {
    check_key(name);
    return locked([&]() -> KeyRecordValue {
        const uint32_t index = find_key_locked(name);
        if (index == kNoKey) return {0, {}, 0};
        const KeyRecord* k = key(index);
        // A length from the segment is never followed past the record's bytes.
        const size_t len = std::min<size_t>(once(k->record_len), kMaxRecordBytes);
        return {once(k->record_version), std::string(reinterpret_cast<const char*>(k->record), len), once(k->record_cap)};
    });
}

bool LeaseTable::write_key_record(std::string_view name, uint64_t version, std::string_view data, bool set_cap,
                                  int32_t cap) {
    check_key(name);
    if (data.size() > kMaxRecordBytes)
        throw InvalidArgument("sluice: a key record holds at most " + std::to_string(kMaxRecordBytes) +
                              " bytes, not " + std::to_string(data.size()));
    const uint32_t index = resolve_key(name);
    WakeList wake;
    const bool written = locked([&] {
        KeyRecord* k = key(index);
        if (once(k->record_version) != version) return false;
        std::memcpy(k->record, data.data(), data.size());
        k->record_len = uint32_t(data.size());
        if (set_cap && cap != once(k->record_cap)) {
            k->record_cap = cap;
            // A cap that opens or grows may let waiting tickets in now.
            if (segment_.header()->tickets_ready > 0) segment_.header()->handoff_pending = 1;
        }
        // The version is written last: a writer killed before it leaves the old
        // version with (maybe) new bytes, which the next writer of that version
        // simply overwrites; readers decode defensively.
        std::atomic_signal_fence(std::memory_order_seq_cst);
        k->record_version = version + 1;
        finish_locked(wake);
        return true;
    });
    wake.wake(segment_);
    return written;
}

}  // namespace sluice
