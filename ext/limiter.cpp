// Sluice\Limiter: keys + limits + TTL, with the key records resolved once per
// mapping of the segment so that tryAcquire() builds its SlotRequest from arrays
// stored in the object (no allocation in C++ on the hot path).
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sluice_ext.hpp"

#include <utility>

#include "sluice/clock.hpp"
#include "sluice/errors.hpp"
#include "sluice/lease_table.hpp"
#include "arginfo.hpp"

namespace sluice_ext {

zend_class_entry* limiter_ce = nullptr;

namespace {

struct LimiterObject {
    uint32_t count;  // 0: not constructed
    uint32_t key_index[sluice::kMaxKeysPerLease];
    uint32_t limits[sluice::kMaxKeysPerLease];
    uint64_t mapping_id;  // Connection::mapping_id() key_index belongs to; 0: not resolved
    int64_t ttl_ns;
    zend_long ttl_seconds;
    zend_array* keys;         // list of key names (zend_string), shared with leases
    zend_array* limit_table;  // key => limit, as limits() returns it
    bool refused;             // the last acquire returned null
    uint32_t refusal_position, refusal_limit, refusal_active;
    bool refusal_rate;        // refused by a bucket: refusal_position is the bucket's
    int64_t refusal_retry_ns;
    double refusal_level;
    sluice::Scope scope;      // its leases' and tickets' (see Sluice\Limiter::__construct)
    // Its token buckets (the constructor's $buckets), taken with the slots.
    uint32_t bucket_count;
    uint32_t bucket_index[sluice::kMaxBucketsPerTake];
    sluice::BucketSpec bucket_spec[sluice::kMaxBucketsPerTake];
    double bucket_tokens[sluice::kMaxBucketsPerTake];
    zend_array* bucket_names;  // list of the buckets' key names (zend_string)
    zend_object std;
};

zend_object_handlers limiter_handlers;

LimiterObject* limiter_from(zend_object* obj) {
    return reinterpret_cast<LimiterObject*>(reinterpret_cast<char*>(obj) - XtOffsetOf(LimiterObject, std));
}

void clear_state(LimiterObject* o) {
    if (o->keys) zend_array_release(o->keys);
    if (o->limit_table) zend_array_release(o->limit_table);
    if (o->bucket_names) zend_array_release(o->bucket_names);
    o->keys = o->limit_table = o->bucket_names = nullptr;
    o->count = 0;
    o->bucket_count = 0;
    o->mapping_id = 0;
    o->refused = false;
}

void limiter_free(zend_object* obj) {
    clear_state(limiter_from(obj));
    zend_object_std_dtor(obj);
}

zend_object* limiter_clone(zend_object* old_obj) {
    zend_object* new_obj = limiter_create_object(old_obj->ce);
    LimiterObject* from = limiter_from(old_obj);
    LimiterObject* to = limiter_from(new_obj);
    zend_objects_clone_members(new_obj, old_obj);
    std::memcpy(to->key_index, from->key_index, sizeof to->key_index);
    std::memcpy(to->limits, from->limits, sizeof to->limits);
    to->count = from->count;
    to->mapping_id = from->mapping_id;
    to->ttl_ns = from->ttl_ns;
    to->ttl_seconds = from->ttl_seconds;
    to->scope = from->scope;
    to->keys = from->keys;
    to->limit_table = from->limit_table;
    if (to->keys) GC_ADDREF(to->keys);
    if (to->limit_table) GC_ADDREF(to->limit_table);
    to->bucket_count = from->bucket_count;
    std::memcpy(to->bucket_index, from->bucket_index, sizeof to->bucket_index);
    std::memcpy(to->bucket_spec, from->bucket_spec, sizeof to->bucket_spec);
    std::memcpy(to->bucket_tokens, from->bucket_tokens, sizeof to->bucket_tokens);
    to->bucket_names = from->bucket_names;
    if (to->bucket_names) GC_ADDREF(to->bucket_names);
    return new_obj;
}

HashTable* limiter_debug_info(zend_object* obj, int* is_temp) {
    LimiterObject* o = limiter_from(obj);
    *is_temp = 1;
    HashTable* ht = zend_new_array(3);
    zval v;
    if (o->limit_table) {
        ZVAL_ARR(&v, zend_array_dup(o->limit_table));
        zend_hash_str_update(ht, "limits", sizeof "limits" - 1, &v);
    }
    ZVAL_LONG(&v, o->ttl_seconds);
    zend_hash_str_update(ht, "ttl", sizeof "ttl" - 1, &v);
    const std::string scope = sluice::format_scope(o->scope);
    ZVAL_STRINGL(&v, scope.data(), scope.size());
    zend_hash_str_update(ht, "scope", sizeof "scope" - 1, &v);
    return ht;
}

// Binds key names to key records of `table` (creating the records on first
// use). Throws the core's exceptions (CapacityError when the key table is full).
void bind_keys(const zend_array* keys, uint32_t count, sluice::LeaseTable& table, uint32_t* key_index) {
    for (uint32_t i = 0; i < count; ++i) key_index[i] = table.resolve_key(view(Z_STR_P(zend_hash_index_find(keys, i))));
}

// A bucket's number (rate, burst, tokens): an int or float from 0 to 1e9, or
// false after a TypeError / ValueError naming argument `arg`.
bool bucket_number(zval* value, uint32_t arg, const char* what, const zend_string* key, double& out) {
    ZVAL_DEREF(value);
    if (Z_TYPE_P(value) == IS_LONG) {
        out = double(Z_LVAL_P(value));
    } else if (Z_TYPE_P(value) == IS_DOUBLE) {
        out = Z_DVAL_P(value);
    } else {
        zend_argument_type_error(arg, "must give bucket \"%s\" a %s as an int or float, %s given", ZSTR_VAL(key), what,
                                 zend_zval_type_name(value));
        return false;
    }
    if (!sluice::valid_bucket_value(out)) {
        zend_argument_value_error(arg, "must give bucket \"%s\" a %s from 0 to 1e9", ZSTR_VAL(key), what);
        return false;
    }
    return true;
}

LimiterObject* constructed(zval* this_zv) {
    LimiterObject* o = limiter_from(Z_OBJ_P(this_zv));
    if (UNEXPECTED(o->count == 0)) {
        zend_throw_error(nullptr, "Sluice\\Limiter has not been constructed");
        return nullptr;
    }
    return o;
}

// The shared tail of tryAcquire() and acquire().
void finish_acquire(LimiterObject* o, const sluice::AcquireResult& result, uint64_t mapping_id, zval* rv) {
    if (EXPECTED(result.acquired)) {
        o->refused = false;
        const int64_t waited = result.grant.waited_ns;
        lease_create(rv, result.grant.lease_index, result.grant.token, mapping_id, o->keys,
                     waited < 0 ? -1 : waited / sluice::kNsPerMs);
        return;
    }
    o->refused = true;
    o->refusal_position = 0;
    o->refusal_rate = result.refusal.kind == sluice::RefusalKind::Rate;
    if (o->refusal_rate) {
        for (uint32_t i = 0; i < o->bucket_count; ++i)
            if (o->bucket_index[i] == result.refusal.key_index) o->refusal_position = i;
    } else {
        for (uint32_t i = 0; i < o->count; ++i)
            if (o->key_index[i] == result.refusal.key_index) o->refusal_position = i;
    }
    o->refusal_limit = result.refusal.limit;
    o->refusal_active = result.refusal.active;
    o->refusal_retry_ns = result.refusal.retry_after_ns;
    o->refusal_level = result.refusal.level;
    ZVAL_NULL(rv);
}

// The constructor's arguments, checked and copied into arrays of their own
// (owned here until the limiter takes them), before anything touches the segment.
struct LimiterSpec {
    zend_array* keys = nullptr;         // list of key names (zend_string)
    zend_array* limit_table = nullptr;  // key => limit, as limits() returns it
    uint32_t limits[sluice::kMaxKeysPerLease];
    uint32_t count = 0;
    zend_long ttl_seconds = 0;  // 0: sluice.default_ttl
    sluice::Scope scope{};
    zend_array* bucket_names = nullptr;  // list of the buckets' key names
    sluice::BucketSpec bucket_spec[sluice::kMaxBucketsPerTake];
    double bucket_tokens[sluice::kMaxBucketsPerTake];
    uint32_t bucket_count = 0;

    LimiterSpec() = default;
    LimiterSpec(const LimiterSpec&) = delete;
    LimiterSpec& operator=(const LimiterSpec&) = delete;
    ~LimiterSpec() {
        if (keys) zend_array_release(keys);
        if (limit_table) zend_array_release(limit_table);
        if (bucket_names) zend_array_release(bucket_names);
    }
    zend_array* release_keys() { return std::exchange(keys, nullptr); }
    zend_array* release_limit_table() { return std::exchange(limit_table, nullptr); }
    zend_array* release_bucket_names() { return std::exchange(bucket_names, nullptr); }
};

// Fills the spec's buckets from __construct's fourth argument; false after
// throwing a ValueError or TypeError.
bool parse_buckets(HashTable* buckets, LimiterSpec& spec) {
    const uint32_t count = buckets ? zend_hash_num_elements(buckets) : 0;
    if (count > sluice::kMaxBucketsPerTake) {
        zend_argument_value_error(4, "must name at most %d buckets, %u given", int(sluice::kMaxBucketsPerTake), count);
        return false;
    }
    if (count == 0) return true;
    spec.bucket_names = zend_new_array(count);
    zend_hash_real_init_packed(spec.bucket_names);
    zend_ulong num_key;
    zend_string* str_key;
    zval* value;
    ZEND_HASH_FOREACH_KEY_VAL(buckets, num_key, str_key, value) {
        zend_string* name = str_key ? zend_string_copy(str_key) : zend_long_to_str(zend_long(num_key));
        zval name_zv;
        ZVAL_STR(&name_zv, name);
        zend_hash_next_index_insert_new(spec.bucket_names, &name_zv);
        try {
            sluice::check_key(view(name));
        } catch (...) {
            throw_current_as_php(4);
            return false;
        }
        ZVAL_DEREF(value);
        if (Z_TYPE_P(value) != IS_ARRAY) {
            zend_argument_type_error(4, "must map each bucket to an array of rate, burst and tokens, %s given for \"%s\"",
                                     zend_zval_type_name(value), ZSTR_VAL(name));
            return false;
        }
        double rate = 0, burst = 0, tokens = 1;
        zend_string* field;
        zval* number;
        ZEND_HASH_FOREACH_STR_KEY_VAL(Z_ARRVAL_P(value), field, number) {
            double* into = nullptr;
            if (field && zend_string_equals_literal(field, "rate")) into = &rate;
            if (field && zend_string_equals_literal(field, "burst")) into = &burst;
            if (field && zend_string_equals_literal(field, "tokens")) into = &tokens;
            if (!into) {
                zend_argument_value_error(4, "must give bucket \"%s\" only rate, burst and tokens, not \"%s\"",
                                          ZSTR_VAL(name), field ? ZSTR_VAL(field) : "(a list entry)");
                return false;
            }
            if (!bucket_number(number, 4, ZSTR_VAL(field), name, *into)) return false;
        } ZEND_HASH_FOREACH_END();
        spec.bucket_spec[spec.bucket_count] = sluice::BucketSpec{rate, burst};
        spec.bucket_tokens[spec.bucket_count] = tokens;
        ++spec.bucket_count;
    } ZEND_HASH_FOREACH_END();
    return true;
}

// Fills `spec` from __construct's arguments; false after throwing a
// ValueError or TypeError. Types and values first, so a bad argument never
// creates key records.
bool parse_limits(HashTable* limits, zend_long ttl, const zend_string* scope, LimiterSpec& spec) {
    const uint32_t count = zend_hash_num_elements(limits);
    if (count == 0) {
        zend_argument_value_error(1, "must name at least one key");
        return false;
    }
    if (count > sluice::kMaxKeysPerLease) {
        zend_argument_value_error(1, "must name at most %d keys, %u given", int(sluice::kMaxKeysPerLease), count);
        return false;
    }
    if (ttl < 0 || ttl > kMaxTtlSeconds) {
        zend_argument_value_error(2, "must be between 0 (sluice.default_ttl) and " ZEND_LONG_FMT " seconds",
                                  kMaxTtlSeconds);
        return false;
    }
    spec.ttl_seconds = ttl;
    if (!parse_scope_arg(scope, 3, spec.scope)) return false;
    spec.keys = zend_new_array(count);
    zend_hash_real_init_packed(spec.keys);
    spec.limit_table = zend_new_array(count);
    zend_ulong num_key;
    zend_string* str_key;
    zval* value;
    ZEND_HASH_FOREACH_KEY_VAL(limits, num_key, str_key, value) {
        zend_string* name = str_key ? zend_string_copy(str_key) : zend_long_to_str(zend_long(num_key));
        zval name_zv;
        ZVAL_STR(&name_zv, name);
        zend_hash_next_index_insert_new(spec.keys, &name_zv);
        try {
            sluice::check_key(view(name));
        } catch (...) {
            throw_current_as_php(1);
            return false;
        }
        ZVAL_DEREF(value);
        if (Z_TYPE_P(value) != IS_LONG) {
            zend_argument_type_error(1, "must map each key to an int limit, %s given for key \"%s\"",
                                     zend_zval_type_name(value), ZSTR_VAL(name));
            return false;
        }
        if (Z_LVAL_P(value) < 1 || Z_LVAL_P(value) > zend_long(sluice::kMaxCapacity)) {
            zend_argument_value_error(1, "must map each key to a limit of at least 1 (at most "
                                      "sluice.max_slots_per_key), " ZEND_LONG_FMT " given for key \"%s\"",
                                      Z_LVAL_P(value), ZSTR_VAL(name));
            return false;
        }
        spec.limits[spec.count++] = uint32_t(Z_LVAL_P(value));
        zend_symtable_update(spec.limit_table, name, value);
    } ZEND_HASH_FOREACH_END();
    return true;
}

// Checks the limits against the segment and binds the keys to its records;
// false after throwing (ValueError for a limit above the segment's slots per
// key, the core's errors as their PHP exceptions).
bool bind_spec(const LimiterSpec& spec, uint32_t* key_index, uint64_t& mapping_id) {
    try {
        sluice::Connection& connection = sluice_ext::connection();
        sluice::LeaseTable& table = connection.table();
        const uint32_t slots = table.info().slots_per_key;
        for (uint32_t i = 0; i < spec.count; ++i) {
            if (spec.limits[i] > slots) {
                zend_argument_value_error(1, "must map each key to a limit of at most %u (the segment's "
                                          "sluice.max_slots_per_key), %u given for key \"%s\"",
                                          slots, spec.limits[i],
                                          ZSTR_VAL(Z_STR_P(zend_hash_index_find(spec.keys, i))));
                return false;
            }
        }
        bind_keys(spec.keys, spec.count, table, key_index);
        if (spec.bucket_count) bind_keys(spec.bucket_names, spec.bucket_count, table, key_index + sluice::kMaxKeysPerLease);
        mapping_id = connection.mapping_id();
        return true;
    } catch (...) {
        throw_current_as_php(1);
        return false;
    }
}

}  // namespace

zend_object* limiter_create_object(zend_class_entry* ce) {
    return &new_object<LimiterObject>(ce, limiter_handlers)->std;  // count 0: not constructed yet
}

void limiter_minit() {
    limiter_ce = register_class_Sluice_Limiter();
    limiter_ce->create_object = limiter_create_object;
    init_object_handlers(limiter_handlers, XtOffsetOf(LimiterObject, std), limiter_free, limiter_clone,
                         limiter_debug_info);
}

}  // namespace sluice_ext

using namespace sluice_ext;

ZEND_METHOD(Sluice_Limiter, __construct) {
    HashTable* limits;
    zend_long ttl = 0;
    zend_string* scope = nullptr;
    HashTable* buckets = nullptr;
    ZEND_PARSE_PARAMETERS_START(1, 4)
        Z_PARAM_ARRAY_HT(limits)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(ttl)
        Z_PARAM_STR(scope)
        Z_PARAM_ARRAY_HT(buckets)
    ZEND_PARSE_PARAMETERS_END();

    // Everything that can fail happens before the object is touched, so a
    // failed re-construction leaves a constructed limiter as it was.
    LimiterSpec spec;
    if (!parse_limits(limits, ttl, scope, spec) || !parse_buckets(buckets, spec)) RETURN_THROWS();
    // Slot keys first, the buckets' after them.
    uint32_t key_index[sluice::kMaxKeysPerLease + sluice::kMaxBucketsPerTake];
    uint64_t mapping_id;
    if (!bind_spec(spec, key_index, mapping_id)) RETURN_THROWS();

    LimiterObject* o = limiter_from(Z_OBJ_P(ZEND_THIS));
    clear_state(o);
    o->count = spec.count;
    std::memcpy(o->limits, spec.limits, sizeof(uint32_t) * spec.count);
    std::memcpy(o->key_index, key_index, sizeof(uint32_t) * spec.count);
    o->mapping_id = mapping_id;
    o->ttl_seconds = spec.ttl_seconds > 0 ? spec.ttl_seconds : g_config->default_ttl;
    o->ttl_ns = int64_t(o->ttl_seconds) * sluice::kNsPerSecond;
    o->scope = spec.scope;
    o->keys = spec.release_keys();
    o->limit_table = spec.release_limit_table();
    o->bucket_count = spec.bucket_count;
    std::memcpy(o->bucket_index, key_index + sluice::kMaxKeysPerLease, sizeof(uint32_t) * spec.bucket_count);
    std::memcpy(o->bucket_spec, spec.bucket_spec, sizeof(sluice::BucketSpec) * spec.bucket_count);
    std::memcpy(o->bucket_tokens, spec.bucket_tokens, sizeof(double) * spec.bucket_count);
    o->bucket_names = spec.release_bucket_names();
}

// The table of the current segment, with this limiter's keys resolved in it
// (again, when the process has moved to another segment since).
static sluice::LeaseTable& current_table(LimiterObject* o) {
    sluice::Connection& connection = sluice_ext::connection();
    sluice::LeaseTable& table = connection.table();
    if (UNEXPECTED(connection.mapping_id() != o->mapping_id)) {
        bind_keys(o->keys, o->count, table, o->key_index);
        if (o->bucket_count) bind_keys(o->bucket_names, o->bucket_count, table, o->bucket_index);
        o->mapping_id = connection.mapping_id();
    }
    return table;
}

// The buckets an acquire takes, with the per-call counts of `tokens` (key =>
// count, each key one of the limiter's buckets); false after a ValueError
// naming argument `arg`. Fills `takes` (bucket_count entries).
static bool takes_of(const LimiterObject* o, HashTable* tokens, uint32_t arg, sluice::BucketTake* takes) {
    for (uint32_t i = 0; i < o->bucket_count; ++i)
        takes[i] = sluice::BucketTake{o->bucket_index[i], o->bucket_tokens[i], o->bucket_spec[i]};
    if (!tokens || zend_hash_num_elements(tokens) == 0) return true;
    zend_ulong num_key;
    zend_string* str_key;
    zval* value;
    ZEND_HASH_FOREACH_KEY_VAL(tokens, num_key, str_key, value) {
        zend_string* name = str_key ? zend_string_copy(str_key) : zend_long_to_str(zend_long(num_key));
        uint32_t position = o->bucket_count;
        for (uint32_t i = 0; i < o->bucket_count; ++i)
            if (zend_string_equals(name, Z_STR_P(zend_hash_index_find(o->bucket_names, i)))) position = i;
        bool ok = position < o->bucket_count;
        if (!ok) zend_argument_value_error(arg, "must name only this limiter's buckets, not \"%s\"", ZSTR_VAL(name));
        ok = ok && bucket_number(value, arg, "token count", name, takes[position].tokens);
        zend_string_release(name);
        if (!ok) return false;
    } ZEND_HASH_FOREACH_END();
    return true;
}

static sluice::SlotRequest request_of(const LimiterObject* o, zend_string* label, const sluice::BucketTake* takes) {
    sluice::SlotRequest request{o->key_index, o->limits, o->count, o->ttl_ns, view(label), 0, o->scope};
    request.takes = takes;
    request.take_count = o->bucket_count;
    return request;
}

ZEND_METHOD(Sluice_Limiter, tryAcquire) {
    zend_string* label = nullptr;
    HashTable* tokens = nullptr;
    ZEND_PARSE_PARAMETERS_START(0, 2)
        Z_PARAM_OPTIONAL
        Z_PARAM_STR(label)
        Z_PARAM_ARRAY_HT(tokens)
    ZEND_PARSE_PARAMETERS_END();

    LimiterObject* o = constructed(ZEND_THIS);
    if (!o) RETURN_THROWS();
    sluice::BucketTake takes[sluice::kMaxBucketsPerTake];
    if (!takes_of(o, tokens, 2, takes)) RETURN_THROWS();
    try {
        sluice::LeaseTable& table = current_table(o);
        for (uint32_t i = 0; i < o->bucket_count; ++i) takes[i].key_index = o->bucket_index[i];
        finish_acquire(o, table.try_acquire(request_of(o, label, takes)), o->mapping_id, return_value);
    } catch (...) {
        throw_current_as_php(0);
        RETURN_THROWS();
    }
}

ZEND_METHOD(Sluice_Limiter, acquire) {
    zend_long timeout_ms;
    zend_string* label = nullptr;
    HashTable* tokens = nullptr;
    zend_long ref = 0;
    ZEND_PARSE_PARAMETERS_START(1, 4)
        Z_PARAM_LONG(timeout_ms)
        Z_PARAM_OPTIONAL
        Z_PARAM_STR(label)
        Z_PARAM_ARRAY_HT(tokens)
        Z_PARAM_LONG(ref)
    ZEND_PARSE_PARAMETERS_END();

    if (timeout_ms < 0 || timeout_ms > kMaxWaitMs) {
        zend_argument_value_error(1, "must be between 0 and " ZEND_LONG_FMT " milliseconds, " ZEND_LONG_FMT " given",
                                  kMaxWaitMs, timeout_ms);
        RETURN_THROWS();
    }
    if (ref < 0) {
        zend_argument_value_error(4, "must be 0 or an action id of at least 1, " ZEND_LONG_FMT " given", ref);
        RETURN_THROWS();
    }
    LimiterObject* o = constructed(ZEND_THIS);
    if (!o) RETURN_THROWS();
    sluice::BucketTake takes[sluice::kMaxBucketsPerTake];
    if (!takes_of(o, tokens, 3, takes)) RETURN_THROWS();
    try {
        sluice::LeaseTable& table = current_table(o);
        for (uint32_t i = 0; i < o->bucket_count; ++i) takes[i].key_index = o->bucket_index[i];
        sluice::SlotRequest request = request_of(o, label, takes);
        const int64_t timeout_ns = int64_t(timeout_ms) * sluice::kNsPerMs;
        if (ref > 0) request.ref = int64_t(ref);
        finish_acquire(o, ref > 0 ? table.acquire_for(request, timeout_ns) : table.acquire(request, timeout_ns),
                       o->mapping_id, return_value);
    } catch (...) {
        throw_current_as_php(0);
        RETURN_THROWS();
    }
}

ZEND_METHOD(Sluice_Limiter, lastRefusal) {
    ZEND_PARSE_PARAMETERS_NONE();
    LimiterObject* o = constructed(ZEND_THIS);
    if (!o) RETURN_THROWS();
    if (!o->refused) RETURN_NULL();
    array_init_size(return_value, 6);
    zval key;
    ZVAL_COPY(&key, zend_hash_index_find(o->refusal_rate ? o->bucket_names : o->keys, o->refusal_position));
    zend_hash_str_add_new(Z_ARRVAL_P(return_value), "key", sizeof "key" - 1, &key);
    add_assoc_long(return_value, "limit", o->refusal_limit);
    add_assoc_long(return_value, "active", o->refusal_active);
    add_assoc_string(return_value, "kind", o->refusal_rate ? "rate" : "slot");
    add_assoc_long(return_value, "retry_after_ms",
                   zend_long((o->refusal_retry_ns + sluice::kNsPerMs - 1) / sluice::kNsPerMs));
    add_assoc_double(return_value, "level", o->refusal_level);
}

ZEND_METHOD(Sluice_Limiter, limits) {
    ZEND_PARSE_PARAMETERS_NONE();
    LimiterObject* o = constructed(ZEND_THIS);
    if (!o) RETURN_THROWS();
    GC_ADDREF(o->limit_table);
    RETURN_ARR(o->limit_table);
}

ZEND_METHOD(Sluice_Limiter, ttl) {
    ZEND_PARSE_PARAMETERS_NONE();
    LimiterObject* o = constructed(ZEND_THIS);
    if (!o) RETURN_THROWS();
    RETURN_LONG(o->ttl_seconds);
}

ZEND_METHOD(Sluice_Limiter, tryAcquireFor) {
    zend_long ref;
    zend_string* label = nullptr;
    HashTable* tokens = nullptr;
    ZEND_PARSE_PARAMETERS_START(1, 3)
        Z_PARAM_LONG(ref)
        Z_PARAM_OPTIONAL
        Z_PARAM_STR(label)
        Z_PARAM_ARRAY_HT(tokens)
    ZEND_PARSE_PARAMETERS_END();

    if (ref < 1) {
        zend_argument_value_error(1, "must be an action id of at least 1, " ZEND_LONG_FMT " given", ref);
        RETURN_THROWS();
    }
    LimiterObject* o = constructed(ZEND_THIS);
    if (!o) RETURN_THROWS();
    sluice::BucketTake takes[sluice::kMaxBucketsPerTake];
    if (!takes_of(o, tokens, 3, takes)) RETURN_THROWS();
    try {
        sluice::LeaseTable& table = current_table(o);
        for (uint32_t i = 0; i < o->bucket_count; ++i) takes[i].key_index = o->bucket_index[i];
        sluice::SlotRequest request = request_of(o, label, takes);
        request.ref = int64_t(ref);
        finish_acquire(o, table.try_acquire_for(request), o->mapping_id, return_value);
    } catch (...) {
        throw_current_as_php(0);
        RETURN_THROWS();
    }
}

ZEND_METHOD(Sluice_Limiter, enqueue) {
    zend_long ref, weight = 1, first_deferred_at = 0;
    zend_string* tenant;
    bool hold = false;
    ZEND_PARSE_PARAMETERS_START(2, 5)
        Z_PARAM_LONG(ref)
        Z_PARAM_STR(tenant)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(weight)
        Z_PARAM_LONG(first_deferred_at)
        Z_PARAM_BOOL(hold)
    ZEND_PARSE_PARAMETERS_END();

    if (ref < 1) {
        zend_argument_value_error(1, "must be an action id of at least 1, " ZEND_LONG_FMT " given", ref);
        RETURN_THROWS();
    }
    if (ZSTR_LEN(tenant) > sluice::kMaxTenantBytes) {
        zend_argument_value_error(2, "must be at most %zu bytes, %zu given", sluice::kMaxTenantBytes,
                                  ZSTR_LEN(tenant));
        RETURN_THROWS();
    }
    if (weight < 1 || weight > zend_long(sluice::kMaxWeight)) {
        zend_argument_value_error(3, "must be between 1 and %u, " ZEND_LONG_FMT " given", sluice::kMaxWeight, weight);
        RETURN_THROWS();
    }
    if (first_deferred_at < 0) {
        zend_argument_value_error(4, "must be unix seconds or 0 (now), " ZEND_LONG_FMT " given", first_deferred_at);
        RETURN_THROWS();
    }
    LimiterObject* o = constructed(ZEND_THIS);
    if (!o) RETURN_THROWS();
    try {
        sluice::LeaseTable& table = current_table(o);
        sluice::EnqueueResult r = table.enqueue(sluice::LineRequest{o->key_index, o->limits, o->count, int64_t(ref),
                                                                    view(tenant), uint32_t(weight),
                                                                    int64_t(first_deferred_at), o->scope, hold});
        array_init_size(return_value, 5);
        add_assoc_stringl(return_value, "ticket", r.ticket.data(), r.ticket.size());
        add_assoc_bool(return_value, "new", r.created);
        add_assoc_long(return_value, "ahead", zend_long(r.ahead));
        add_assoc_long(return_value, "limit", zend_long(r.limit));
        add_assoc_long(return_value, "mean_hold_ms", zend_long(r.mean_hold_ns / sluice::kNsPerMs));
    } catch (...) {
        throw_current_as_php(0);
        RETURN_THROWS();
    }
}
