// The rate budgets' and capacity counters' functions: bucket_adjust(),
// bucket_observe(), window_add() and key_rates(). The buckets themselves are
// taken by Limiter's acquires (limiter.cpp); the rules are the core's
// (key_rates.cpp, rate_bucket.hpp).
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sluice_ext.hpp"

#include <vector>

#include "sluice/clock.hpp"
#include "sluice/errors.hpp"
#include "sluice/lease_table.hpp"
#include "arginfo.hpp"

using namespace sluice_ext;

namespace {

// The key's record in the current segment (created on first use); false
// after throwing (a ValueError naming argument `arg` for a bad key).
bool key_record_of(const zend_string* key, uint32_t arg, uint32_t& index) {
    try {
        sluice::check_key(view(key));
    } catch (const sluice::InvalidArgument& e) {
        zend_argument_value_error(arg, "must be a key of 1 to %zu bytes without NUL bytes (%s)", sluice::kMaxKeyBytes,
                                  without_prefix(e.what()));
        return false;
    }
    try {
        index = connection().table().resolve_key(view(key));
        return true;
    } catch (...) {
        throw_current_as_php(arg);
        return false;
    }
}

void bucket_array(zval* rv, const sluice::BucketInfo& b) {
    array_init_size(rv, 9);
    add_assoc_double(rv, "rate", b.spec.rate);
    add_assoc_double(rv, "burst", b.spec.burst);
    add_assoc_double(rv, "learned_rate", b.learned.rate);
    add_assoc_double(rv, "learned_burst", b.learned.burst);
    add_assoc_double(rv, "level", b.level);
    add_assoc_long(rv, "paused_ms", zend_long((b.paused_left_ns + sluice::kNsPerMs - 1) / sluice::kNsPerMs));
    add_assoc_long(rv, "takes", zend_long(b.takes));
    add_assoc_long(rv, "refusals", zend_long(b.refusals));
    add_assoc_double(rv, "tokens_taken", b.tokens_taken);
}

// An int or float entry of bucket_observe()'s array; false after a TypeError.
bool number_of(zval* value, const zend_string* name, double& out) {
    ZVAL_DEREF(value);
    if (Z_TYPE_P(value) == IS_LONG) {
        out = double(Z_LVAL_P(value));
        return true;
    }
    if (Z_TYPE_P(value) == IS_DOUBLE) {
        out = Z_DVAL_P(value);
        return true;
    }
    zend_argument_type_error(2, "must give \"%s\" as an int or float, %s given", ZSTR_VAL(name), zend_zval_type_name(value));
    return false;
}

}  // namespace

ZEND_FUNCTION(Sluice_bucket_adjust) {
    zend_string* key;
    double tokens;
    ZEND_PARSE_PARAMETERS_START(2, 2)
        Z_PARAM_STR(key)
        Z_PARAM_DOUBLE(tokens)
    ZEND_PARSE_PARAMETERS_END();
    if (!(tokens == tokens) || tokens > sluice::kMaxBucketValue || tokens < -sluice::kMaxBucketValue) {
        zend_argument_value_error(2, "must be a number from -1e9 to 1e9");
        RETURN_THROWS();
    }
    uint32_t index;
    if (!key_record_of(key, 1, index)) RETURN_THROWS();
    try {
        bucket_array(return_value, connection().table().bucket_adjust(index, tokens));
    } catch (...) {
        throw_current_as_php(0);
        RETURN_THROWS();
    }
}

ZEND_FUNCTION(Sluice_bucket_observe) {
    zend_string* key;
    HashTable* word;
    ZEND_PARSE_PARAMETERS_START(2, 2)
        Z_PARAM_STR(key)
        Z_PARAM_ARRAY_HT(word)
    ZEND_PARSE_PARAMETERS_END();
    sluice::BucketObservation observation;
    zend_string* name;
    zval* value;
    ZEND_HASH_FOREACH_STR_KEY_VAL(word, name, value) {
        double number = 0;
        if (!name) {
            zend_argument_value_error(2, "must name its entries (at_most, pause_ms, learned_rate, learned_burst)");
            RETURN_THROWS();
        }
        if (!number_of(value, name, number)) RETURN_THROWS();
        if (zend_string_equals_literal(name, "at_most")) {
            if (!(number >= 0 && number <= sluice::kMaxBucketValue)) {
                zend_argument_value_error(2, "must give at_most from 0 to 1e9");
                RETURN_THROWS();
            }
            observation.at_most = number;
        } else if (zend_string_equals_literal(name, "pause_ms")) {
            if (!(number >= 0 && number <= 3600000)) {
                zend_argument_value_error(2, "must give pause_ms from 0 to 3600000");
                RETURN_THROWS();
            }
            observation.pause_ns = int64_t(number) * sluice::kNsPerMs;
        } else if (zend_string_equals_literal(name, "learned_rate") || zend_string_equals_literal(name, "learned_burst")) {
            if (!sluice::valid_bucket_value(number)) {
                zend_argument_value_error(2, "must give %s from 0 to 1e9", ZSTR_VAL(name));
                RETURN_THROWS();
            }
            (zend_string_equals_literal(name, "learned_rate") ? observation.learned.rate : observation.learned.burst) = number;
        } else {
            zend_argument_value_error(2, "must name only at_most, pause_ms, learned_rate and learned_burst, not \"%s\"",
                                      ZSTR_VAL(name));
            RETURN_THROWS();
        }
    } ZEND_HASH_FOREACH_END();
    uint32_t index;
    if (!key_record_of(key, 1, index)) RETURN_THROWS();
    try {
        bucket_array(return_value, connection().table().bucket_observe(index, observation));
    } catch (...) {
        throw_current_as_php(0);
        RETURN_THROWS();
    }
}

ZEND_FUNCTION(Sluice_window_add) {
    HashTable* counts;
    zend_long minute = 0;
    ZEND_PARSE_PARAMETERS_START(1, 2)
        Z_PARAM_ARRAY_HT(counts)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(minute)
    ZEND_PARSE_PARAMETERS_END();
    if (minute < 0) {
        zend_argument_value_error(2, "must be a unix minute or 0 (now), " ZEND_LONG_FMT " given", minute);
        RETURN_THROWS();
    }
    std::vector<sluice::WindowAdd> adds;
    zend_ulong num_key;
    zend_string* str_key;
    zval* per_key;
    ZEND_HASH_FOREACH_KEY_VAL(counts, num_key, str_key, per_key) {
        zend_string* name = str_key ? zend_string_copy(str_key) : zend_long_to_str(zend_long(num_key));
        ZVAL_DEREF(per_key);
        if (Z_TYPE_P(per_key) != IS_ARRAY) {
            zend_argument_type_error(1, "must map key \"%s\" to an array of counter => amount, %s given", ZSTR_VAL(name),
                                     zend_zval_type_name(per_key));
            zend_string_release(name);
            RETURN_THROWS();
        }
        uint32_t index;
        const bool resolved = key_record_of(name, 1, index);
        const std::string key_name(ZSTR_VAL(name), ZSTR_LEN(name));
        zend_string_release(name);
        if (!resolved) RETURN_THROWS();
        zend_ulong field;
        zend_string* field_name;
        zval* amount;
        ZEND_HASH_FOREACH_KEY_VAL(Z_ARRVAL_P(per_key), field, field_name, amount) {
            ZVAL_DEREF(amount);
            if (field_name || field >= sluice::kWindowFields) {
                zend_argument_value_error(1, "must number key \"%s\"'s counters 0 to %u", key_name.c_str(),
                                          sluice::kWindowFields - 1);
                RETURN_THROWS();
            }
            if (Z_TYPE_P(amount) != IS_LONG || Z_LVAL_P(amount) < 0) {
                zend_argument_value_error(1, "must give key \"%s\"'s counters amounts as ints of at least 0",
                                          key_name.c_str());
                RETURN_THROWS();
            }
            adds.push_back(sluice::WindowAdd{index, uint32_t(field), uint64_t(Z_LVAL_P(amount))});
        } ZEND_HASH_FOREACH_END();
    } ZEND_HASH_FOREACH_END();
    try {
        if (!adds.empty()) connection().table().window_add(adds.data(), adds.size(), int64_t(minute));
    } catch (...) {
        throw_current_as_php(0);
        RETURN_THROWS();
    }
}

ZEND_FUNCTION(Sluice_key_rates) {
    ZEND_PARSE_PARAMETERS_NONE();
    std::vector<sluice::KeyRatesInfo> rates;
    try {
        rates = connection().table().key_rates();
    } catch (...) {
        throw_current_as_php(0);
        RETURN_THROWS();
    }
    array_init_size(return_value, uint32_t(rates.size()));
    for (const sluice::KeyRatesInfo& k : rates) {
        zval row, windows;
        bucket_array(&row, k.bucket);
        array_init_size(&windows, uint32_t(k.windows.size()));
        for (const sluice::WindowMinute& w : k.windows) {
            zval minute, list;
            array_init_size(&minute, 2);
            add_assoc_long(&minute, "minute", zend_long(w.minute));
            array_init_size(&list, sluice::kWindowFields);
            for (uint32_t f = 0; f < sluice::kWindowFields; ++f) add_next_index_long(&list, zend_long(w.counts[f]));
            add_assoc_zval(&minute, "counts", &list);
            add_next_index_zval(&windows, &minute);
        }
        add_assoc_zval(&row, "windows", &windows);
        zend_symtable_str_update(Z_ARRVAL_P(return_value), k.key.data(), k.key.size(), &row);
    }
}
