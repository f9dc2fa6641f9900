// The namespace functions: operator views and actions on the whole table, by
// token or by key, and the fault injection hook for the crash tests.
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sluice_ext.hpp"

#include <unistd.h>


#include "sluice/clock.hpp"
#include "sluice/errors.hpp"
#include "sluice/lease_table.hpp"
#include "sluice/segment.hpp"
#include "sluice/test_hooks.hpp"

using namespace sluice_ext;

namespace {

void add_segment_info(zval* rv, const sluice::SegmentInfo& i) {
    array_init_size(rv, 9);
    add_assoc_stringl(rv, "name", i.shm_name.data(), i.shm_name.size());
    add_assoc_long(rv, "generation", zend_long(i.generation));
    add_assoc_long(rv, "size_bytes", zend_long(i.size_bytes));
    add_assoc_long(rv, "max_keys", i.max_keys);
    add_assoc_long(rv, "slots_per_key", i.slots_per_key);
    add_assoc_long(rv, "max_leases", i.max_leases);
    add_assoc_long(rv, "key_count", i.key_count);
    add_assoc_long(rv, "leases_in_use", i.leases_in_use);
    add_assoc_long(rv, "repairs", zend_long(i.repairs));
}

// A parsed token, or a ValueError for argument `arg_num`.
bool parse_token_arg(const zend_string* text, uint32_t arg_num, sluice::ParsedToken& out) {
    std::optional<sluice::ParsedToken> parsed = sluice::parse_token(view(text));
    if (!parsed) {
        zend_argument_value_error(arg_num, "must be a lease token (%d lowercase hex characters)",
                                  int(sluice::kTokenTextLength));
        return false;
    }
    out = *parsed;
    return true;
}

// The body of the functions that act on one lease by its token: what
// op(table) says, or the core's error as a PHP exception (InvalidArgument as
// a ValueError naming argument `arg_num`).
template <class Op>
void on_table(zval* return_value, uint32_t arg_num, Op op) {
    try {
        RETVAL_BOOL(op(connection().table()));
    } catch (...) {
        throw_current_as_php(arg_num);
    }
}

// segment_path()'s argument, checked by the core's rules (InvalidArgument).
std::string segment_name_arg(const zend_string* name) {
    sluice::check_segment_name(view(name));
    return std::string(view(name));
}

// This process's sluice.segment; SegmentError when it is not a usable name.
std::string configured_segment_name() {
    if (!g_config) throw sluice::SegmentError("sluice: the extension is not initialised");
    try {
        sluice::check_segment_name(g_config->options.name);
    } catch (const sluice::InvalidArgument& e) {
        throw sluice::SegmentError(std::string("sluice: invalid configuration: ") + e.what());
    }
    return g_config->options.name;
}

[[noreturn]] void park_forever() {
    for (;;) ::pause();
}

}  // namespace

ZEND_FUNCTION(Sluice_status) {
    ZEND_PARSE_PARAMETERS_NONE();
    try {
        sluice::Snapshot snap = connection().table().snapshot();
        array_init_size(return_value, uint32_t(snap.keys.size()));
        for (const sluice::KeyInfo& k : snap.keys) {
            zval entry, holders;
            array_init_size(&entry, 10);
            add_assoc_long(&entry, "limit", k.limit);
            add_assoc_long(&entry, "active", k.active);
            add_assoc_long(&entry, "peak", k.peak);
            add_assoc_long(&entry, "waiters", k.waiters);
            add_assoc_long(&entry, "acquired", zend_long(k.acquired));
            add_assoc_long(&entry, "throttled", zend_long(k.throttled));
            add_assoc_long(&entry, "released", zend_long(k.released));
            add_assoc_long(&entry, "reclaimed_dead", zend_long(k.reclaimed_dead));
            add_assoc_long(&entry, "reclaimed_expired", zend_long(k.reclaimed_expired));
            array_init_size(&holders, uint32_t(k.holders.size()));
            for (const sluice::HolderInfo& h : k.holders) {
                zval holder;
                array_init_size(&holder, 9);
                add_assoc_stringl(&holder, "token", h.token.data(), h.token.size());
                add_assoc_long(&holder, "pid", h.pid);
                add_assoc_stringl(&holder, "label", h.label.data(), h.label.size());
                add_assoc_long(&holder, "age_ms", zend_long((snap.now_ns - h.acquired_at_ns) / sluice::kNsPerMs));
                add_assoc_long(&holder, "ttl_left_ms",
                               zend_long((h.expires_at_ns - snap.now_ns) / sluice::kNsPerMs));
                add_assoc_bool(&holder, "waiting", h.waiting);
                const bool request_open = h.request_open_until_ns > snap.now_ns;
                add_assoc_bool(&holder, "request_open", request_open);
                add_assoc_long(&holder, "drain_left_ms",
                               request_open ? zend_long((h.request_open_until_ns - snap.now_ns) / sluice::kNsPerMs) : 0);
                add_assoc_bool(&holder, "owner_dead", h.owner_dead);
                add_next_index_zval(&holders, &holder);
            }
            add_assoc_zval(&entry, "holders", &holders);
            add_assoc_zval_ex(return_value, k.key.data(), k.key.size(), &entry);
        }
    } catch (...) {
        zval_ptr_dtor(return_value);
        ZVAL_NULL(return_value);
        throw_current_as_php(0);
        RETURN_THROWS();
    }
}

ZEND_FUNCTION(Sluice_segment_info) {
    ZEND_PARSE_PARAMETERS_NONE();
    try {
        add_segment_info(return_value, connection().table().info());
    } catch (...) {
        throw_current_as_php(0);
        RETURN_THROWS();
    }
}

ZEND_FUNCTION(Sluice_segment_path) {
    zend_string* name = nullptr;
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_STR_OR_NULL(name)
    ZEND_PARSE_PARAMETERS_END();
    try {
        std::string path = sluice::Segment::shm_path(name ? segment_name_arg(name) : configured_segment_name());
        RETURN_STRINGL(path.data(), path.size());
    } catch (...) {
        throw_current_as_php(1);
        RETURN_THROWS();
    }
}

ZEND_FUNCTION(Sluice_release) {
    zend_string* text;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_STR(text)
    ZEND_PARSE_PARAMETERS_END();
    sluice::ParsedToken t;
    if (!parse_token_arg(text, 1, t)) RETURN_THROWS();
    on_table(return_value, 1, [&](sluice::LeaseTable& table) { return table.release(t.lease_index, t.token); });
}

ZEND_FUNCTION(Sluice_renew) {
    zend_string* text;
    zend_long ttl;
    ZEND_PARSE_PARAMETERS_START(2, 2)
        Z_PARAM_STR(text)
        Z_PARAM_LONG(ttl)
    ZEND_PARSE_PARAMETERS_END();
    sluice::ParsedToken t;
    if (!parse_token_arg(text, 1, t) || !check_seconds(ttl, kMaxTtlSeconds, 2)) RETURN_THROWS();
    on_table(return_value, 2, [&](sluice::LeaseTable& table) {
        return table.renew(t.lease_index, t.token, int64_t(ttl) * sluice::kNsPerSecond);
    });
}

ZEND_FUNCTION(Sluice_request_started) {
    zend_string* text;
    zend_long max_seconds;
    ZEND_PARSE_PARAMETERS_START(2, 2)
        Z_PARAM_STR(text)
        Z_PARAM_LONG(max_seconds)
    ZEND_PARSE_PARAMETERS_END();
    sluice::ParsedToken t;
    if (!parse_token_arg(text, 1, t) || !check_seconds(max_seconds, sluice::kMaxRequestSeconds, 2)) RETURN_THROWS();
    on_table(return_value, 2, [&](sluice::LeaseTable& table) {
        return table.mark_request_started(t.lease_index, t.token, max_seconds);
    });
}

ZEND_FUNCTION(Sluice_request_finished) {
    zend_string* text;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_STR(text)
    ZEND_PARSE_PARAMETERS_END();
    sluice::ParsedToken t;
    if (!parse_token_arg(text, 1, t)) RETURN_THROWS();
    on_table(return_value, 1, [&](sluice::LeaseTable& table) {
        return table.mark_request_finished(t.lease_index, t.token);
    });
}

ZEND_FUNCTION(Sluice_reset) {
    zend_string* key;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_STR(key)
    ZEND_PARSE_PARAMETERS_END();
    try {
        sluice::check_key(view(key));
    } catch (const sluice::InvalidArgument& e) {
        zend_argument_value_error(1, "must be a key of 1 to %zu bytes without NUL bytes (%s)", sluice::kMaxKeyBytes,
                                  without_prefix(e.what()));
        RETURN_THROWS();
    }
    try {
        RETURN_LONG(connection().table().reset(view(key)));
    } catch (...) {
        throw_current_as_php(1);
        RETURN_THROWS();
    }
}

ZEND_FUNCTION(Sluice_sweep) {
    ZEND_PARSE_PARAMETERS_NONE();
    try {
        sluice::SweepResult r = connection().table().sweep();
        array_init_size(return_value, 2);
        add_assoc_long(return_value, "reclaimed_dead", r.reclaimed_dead);
        add_assoc_long(return_value, "reclaimed_expired", r.reclaimed_expired);
    } catch (...) {
        throw_current_as_php(0);
        RETURN_THROWS();
    }
}

ZEND_FUNCTION(Sluice_recreate_segment) {
    ZEND_PARSE_PARAMETERS_NONE();
    try {
        sluice::Connection& c = connection();
        c.recreate();
        RETURN_LONG(zend_long(c.generation()));
    } catch (...) {
        throw_current_as_php(0);
        RETURN_THROWS();
    }
}

ZEND_FUNCTION(Sluice_Testing_park_next_acquire_in_critical_section) {
    ZEND_PARSE_PARAMETERS_NONE();
    if (!g_config || !g_config->test_hooks) {
        zend_throw_exception(exception_ce,
                             "sluice: Sluice\\Testing functions are disabled; they need sluice.test_hooks=1", 0);
        RETURN_THROWS();
    }
    sluice::testing::set_inside_critical_section_hook(park_forever);
}
