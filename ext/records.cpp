// Key records: Sluice\key_record() and Sluice\key_record_cas(), one small
// opaque record per key in the shared segment (the core's key_record.cpp).
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sluice_ext.hpp"

#include <time.h>

#include "sluice/errors.hpp"
#include "sluice/lease_table.hpp"

using namespace sluice_ext;

namespace {

// The key argument, checked by the core's rules: false (and a ValueError) when refused.
bool key_arg(const zend_string* key) {
    try {
        sluice::check_key(view(key));
        return true;
    } catch (const sluice::InvalidArgument& e) {
        zend_argument_value_error(1, "must be a key of 1 to %zu bytes without NUL bytes (%s)", sluice::kMaxKeyBytes,
                                  without_prefix(e.what()));
        return false;
    }
}

zend_long wall_clock_ms() {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return zend_long(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

ZEND_FUNCTION(Sluice_key_record) {
    zend_string* key;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_STR(key)
    ZEND_PARSE_PARAMETERS_END();
    if (!key_arg(key)) RETURN_THROWS();
    try {
        const sluice::KeyRecordValue record = connection().table().read_key_record(view(key));
        array_init_size(return_value, 4);
        add_assoc_long(return_value, "version", zend_long(record.version));
        add_assoc_stringl(return_value, "data", record.data.data(), record.data.size());
        add_assoc_long(return_value, "cap", record.cap);
        add_assoc_long(return_value, "now_ms", wall_clock_ms());
    } catch (...) {
        throw_current_as_php(1);
    }
}

ZEND_FUNCTION(Sluice_key_record_cas) {
    zend_string* key;
    zend_long version;
    zend_string* data;
    zend_long cap = 0;
    bool cap_is_null = true;
    ZEND_PARSE_PARAMETERS_START(3, 4)
        Z_PARAM_STR(key)
        Z_PARAM_LONG(version)
        Z_PARAM_STR(data)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG_OR_NULL(cap, cap_is_null)
    ZEND_PARSE_PARAMETERS_END();
    if (!key_arg(key)) RETURN_THROWS();
    if (version < 0) {
        zend_argument_value_error(2, "must be 0 or more (the version read; 0: no record yet)");
        RETURN_THROWS();
    }
    if (ZSTR_LEN(data) > sluice::kMaxRecordBytes) {
        zend_argument_value_error(3, "must be at most %zu bytes (a key record), %zu given", sluice::kMaxRecordBytes,
                                  ZSTR_LEN(data));
        RETURN_THROWS();
    }
    if (!cap_is_null && (cap < -1 || cap > zend_long(sluice::kMaxCapacity))) {
        zend_argument_value_error(4, "must be null (keep), -1 (no hand-off), 0 (no cap) or a limit up to %u",
                                  unsigned(sluice::kMaxCapacity));
        RETURN_THROWS();
    }
    try {
        RETURN_BOOL(connection().table().write_key_record(view(key), uint64_t(version), view(data), !cap_is_null,
                                                          int32_t(cap)));
    } catch (...) {
        throw_current_as_php(3);
    }
}
