// The namespace functions: operator views and actions on the whole table, by
// token or by key, and the fault injection hook for the crash tests.
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sluice_ext.hpp"

#include <unistd.h>

#include <string>
#include <utility>
#include <vector>


#include "sluice/clock.hpp"
#include "sluice/errors.hpp"
#include "sluice/lease_table.hpp"
#include "sluice/segment.hpp"
#include "sluice/test_hooks.hpp"

using namespace sluice_ext;

namespace {

void add_segment_info(zval* rv, const sluice::SegmentInfo& i) {
    array_init_size(rv, 14);
    add_assoc_stringl(rv, "name", i.shm_name.data(), i.shm_name.size());
    add_assoc_long(rv, "generation", zend_long(i.generation));
    add_assoc_long(rv, "size_bytes", zend_long(i.size_bytes));
    add_assoc_long(rv, "max_keys", i.max_keys);
    add_assoc_long(rv, "slots_per_key", i.slots_per_key);
    add_assoc_long(rv, "max_leases", i.max_leases);
    add_assoc_long(rv, "key_count", i.key_count);
    add_assoc_long(rv, "leases_in_use", i.leases_in_use);
    add_assoc_long(rv, "repairs", zend_long(i.repairs));
    add_assoc_long(rv, "max_tickets", i.max_tickets);
    add_assoc_long(rv, "tickets_in_use", i.tickets_in_use);
    add_assoc_long(rv, "corruption_repairs", zend_long(i.corruption_repairs));
    add_assoc_long(rv, "corruption_resets", zend_long(i.corruption_resets));
    // slots_per_key is the largest limit a key can have here; this setting raises it (for a new segment).
    add_assoc_string(rv, "slots_per_key_setting", "sluice.max_slots_per_key");
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
            array_init_size(&entry, 17);
            add_assoc_long(&entry, "limit", k.limit);
            add_assoc_long(&entry, "active", k.active);
            add_assoc_long(&entry, "peak", k.peak);
            add_assoc_long(&entry, "peak_since", zend_long(k.peak_since_unix));
            add_assoc_long(&entry, "waiters", k.waiters);
            add_assoc_long(&entry, "acquired", zend_long(k.acquired));
            add_assoc_long(&entry, "throttled", zend_long(k.throttled));
            add_assoc_long(&entry, "released", zend_long(k.released));
            add_assoc_long(&entry, "reclaimed_dead", zend_long(k.reclaimed_dead));
            add_assoc_long(&entry, "reclaimed_expired", zend_long(k.reclaimed_expired));
            add_assoc_long(&entry, "mean_hold_ms", zend_long(k.mean_hold_ns / sluice::kNsPerMs));
            add_assoc_long(&entry, "queued", k.queued);
            add_assoc_long(&entry, "reserved", k.reserved);
            add_assoc_long(&entry, "wakes_sent", zend_long(k.wakes_sent));
            add_assoc_long(&entry, "wakes_lapsed", zend_long(k.wakes_lapsed));
            add_assoc_long(&entry, "wakes_missed", zend_long(k.wakes_missed));
            array_init_size(&holders, uint32_t(k.holders.size()));
            for (const sluice::HolderInfo& h : k.holders) {
                zval holder;
                array_init_size(&holder, 12);
                add_assoc_stringl(&holder, "token", h.token.data(), h.token.size());
                add_assoc_long(&holder, "pid", h.pid);
                add_assoc_stringl(&holder, "label", h.label.data(), h.label.size());
                add_assoc_long(&holder, "age_ms", zend_long(sluice::sub_clamped(snap.now_ns, h.acquired_at_ns) / sluice::kNsPerMs));
                add_assoc_long(&holder, "ttl_left_ms",
                               zend_long(sluice::sub_clamped(h.expires_at_ns, snap.now_ns) / sluice::kNsPerMs));
                add_assoc_bool(&holder, "waiting", h.waiting);
                const bool request_open = h.request_open_until_ns > snap.now_ns;
                add_assoc_bool(&holder, "request_open", request_open);
                add_assoc_long(&holder, "drain_left_ms",
                               request_open ? zend_long(sluice::sub_clamped(h.request_open_until_ns, snap.now_ns) / sluice::kNsPerMs) : 0);
                add_assoc_bool(&holder, "owner_dead", h.owner_dead);
                add_assoc_long(&holder, "ref", zend_long(h.ref));
                add_assoc_bool(&holder, "reservation", h.reservation);
                add_assoc_stringl(&holder, "scope", h.scope.data(), h.scope.size());
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

namespace {

constexpr zend_long kMaxTake = 4096;

// The stranded entries this process claimed and has not acked or returned:
// (scope, id). Returned at the end of the request (RSHUTDOWN).
std::vector<std::pair<sluice::Scope, std::string>> g_stranded_claims;

void forget_claim(const sluice::Scope& scope, std::string_view id) {
    for (auto it = g_stranded_claims.begin(); it != g_stranded_claims.end(); ++it) {
        if (it->second == id && sluice::same_scope(it->first, scope)) {
            g_stranded_claims.erase(it);
            return;
        }
    }
}

// The functions that act on one ticket or claim of a scope, (string $scope,
// string $ticket or $id): what `op(table, scope, text)` says.
template <class Op>
void on_scoped_text(INTERNAL_FUNCTION_PARAMETERS, Op op) {
    zend_string *scope_text, *text;
    ZEND_PARSE_PARAMETERS_START(2, 2)
        Z_PARAM_STR(scope_text)
        Z_PARAM_STR(text)
    ZEND_PARSE_PARAMETERS_END();
    sluice::Scope scope;
    if (!parse_scope_arg(scope_text, 1, scope)) RETURN_THROWS();
    on_table(return_value, 2, [&](sluice::LeaseTable& table) { return op(table, scope, view(text)); });
}

// take_wakes() and take_stranded(): (string $scope, int $max = 64), what
// `take(table, scope, max)` returns, each item made an array by `fill`.
template <class Take, class Fill>
void take_list(INTERNAL_FUNCTION_PARAMETERS, Take take, Fill fill) {
    zend_string* scope_text;
    zend_long max = 64;
    ZEND_PARSE_PARAMETERS_START(1, 2)
        Z_PARAM_STR(scope_text)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(max)
    ZEND_PARSE_PARAMETERS_END();
    sluice::Scope scope;
    if (!parse_scope_arg(scope_text, 1, scope)) RETURN_THROWS();
    if (max < 1 || max > kMaxTake) {
        zend_argument_value_error(2, "must be between 1 and " ZEND_LONG_FMT ", " ZEND_LONG_FMT " given", kMaxTake, max);
        RETURN_THROWS();
    }
    try {
        auto items = take(connection().table(), scope, size_t(max));
        array_init_size(return_value, uint32_t(items.size()));
        for (const auto& item : items) {
            zval entry;
            fill(&entry, scope, item);
            add_next_index_zval(return_value, &entry);
        }
    } catch (...) {
        throw_current_as_php(0);
        RETURN_THROWS();
    }
}

}  // namespace

void sluice_ext::stranded_claims_return_all() noexcept {
    auto claims = std::move(g_stranded_claims);
    g_stranded_claims.clear();
    if (claims.empty() || !g_connection) return;
    try {
        sluice::LeaseTable& table = g_connection->table();
        for (const auto& claim : claims) table.return_stranded(claim.first, claim.second);
    } catch (...) {
        // The segment went away: its entries went with it; a lapsing claim covers the rest.
    }
}

ZEND_FUNCTION(Sluice_ticket_set_ref) {
    zend_string *scope_text, *ticket;
    zend_long ref;
    ZEND_PARSE_PARAMETERS_START(3, 3)
        Z_PARAM_STR(scope_text)
        Z_PARAM_STR(ticket)
        Z_PARAM_LONG(ref)
    ZEND_PARSE_PARAMETERS_END();
    sluice::Scope scope;
    if (!parse_scope_arg(scope_text, 1, scope)) RETURN_THROWS();
    if (ref < 1) {
        zend_argument_value_error(3, "must be an action id of at least 1, " ZEND_LONG_FMT " given", ref);
        RETURN_THROWS();
    }
    on_table(return_value, 2, [&](sluice::LeaseTable& table) { return table.ticket_set_ref(scope, view(ticket), ref); });
}

ZEND_FUNCTION(Sluice_ticket_cancel) {
    on_scoped_text(INTERNAL_FUNCTION_PARAM_PASSTHRU,
                   [](sluice::LeaseTable& table, const sluice::Scope& scope, std::string_view ticket) {
                       return table.ticket_cancel(scope, ticket);
                   });
}

ZEND_FUNCTION(Sluice_wake_missed) {
    on_scoped_text(INTERNAL_FUNCTION_PARAM_PASSTHRU,
                   [](sluice::LeaseTable& table, const sluice::Scope& scope, std::string_view ticket) {
                       return table.wake_missed(scope, ticket);
                   });
}

ZEND_FUNCTION(Sluice_take_wakes) {
    take_list(
        INTERNAL_FUNCTION_PARAM_PASSTHRU,
        [](sluice::LeaseTable& table, const sluice::Scope& scope, size_t max) { return table.take_wakes(scope, max); },
        [](zval* entry, const sluice::Scope&, const sluice::WakeInfo& w) {
            array_init_size(entry, 3);
            add_assoc_stringl(entry, "ticket", w.ticket.data(), w.ticket.size());
            add_assoc_long(entry, "ref", zend_long(w.ref));
            add_assoc_long(entry, "reserved_left_ms", zend_long(w.reserved_left_ns / sluice::kNsPerMs));
        });
}

ZEND_FUNCTION(Sluice_take_stranded) {
    take_list(
        INTERNAL_FUNCTION_PARAM_PASSTHRU,
        [](sluice::LeaseTable& table, const sluice::Scope& scope, size_t max) {
            return table.take_stranded(scope, max);
        },
        [](zval* entry, const sluice::Scope& scope, const sluice::StrandedInfo& s) {
            g_stranded_claims.emplace_back(scope, s.id);
            array_init_size(entry, 4);
            add_assoc_stringl(entry, "id", s.id.data(), s.id.size());
            add_assoc_long(entry, "ref", zend_long(s.ref));
            add_assoc_stringl(entry, "label", s.label.data(), s.label.size());
            add_assoc_long(entry, "pid", s.pid);
        });
}

ZEND_FUNCTION(Sluice_ack_stranded) {
    on_scoped_text(INTERNAL_FUNCTION_PARAM_PASSTHRU,
                   [](sluice::LeaseTable& table, const sluice::Scope& scope, std::string_view id) {
                       forget_claim(scope, id);
                       return table.ack_stranded(scope, id);
                   });
}

ZEND_FUNCTION(Sluice_return_stranded) {
    on_scoped_text(INTERNAL_FUNCTION_PARAM_PASSTHRU,
                   [](sluice::LeaseTable& table, const sluice::Scope& scope, std::string_view id) {
                       forget_claim(scope, id);
                       return table.return_stranded(scope, id);
                   });
}

ZEND_FUNCTION(Sluice_line) {
    ZEND_PARSE_PARAMETERS_NONE();
    try {
        std::vector<sluice::LineQueueInfo> queues = connection().table().line();
        array_init_size(return_value, uint32_t(queues.size()));
        for (const sluice::LineQueueInfo& q : queues) {
            zval entry, keys, tickets;
            array_init_size(&entry, 5);
            add_assoc_stringl(&entry, "scope", q.scope.data(), q.scope.size());
            add_assoc_stringl(&entry, "tenant", q.tenant.data(), q.tenant.size());
            add_assoc_long(&entry, "weight", q.weight);
            array_init_size(&keys, uint32_t(q.keys.size()));
            for (const auto& k : q.keys) add_assoc_long_ex(&keys, k.first.data(), k.first.size(), k.second);
            add_assoc_zval(&entry, "keys", &keys);
            array_init_size(&tickets, uint32_t(q.tickets.size()));
            for (const sluice::LineTicketInfo& t : q.tickets) {
                zval ticket;
                array_init_size(&ticket, 8);
                add_assoc_stringl(&ticket, "ticket", t.ticket.data(), t.ticket.size());
                add_assoc_long(&ticket, "ref", zend_long(t.ref));
                add_assoc_string(&ticket, "state", t.reserved ? "reserved" : "waiting");
                add_assoc_long(&ticket, "age_ms", zend_long(t.age_ns / sluice::kNsPerMs));
                add_assoc_long(&ticket, "first_deferred_at", zend_long(t.first_deferred_unix));
                add_assoc_long(&ticket, "reserved_left_ms", zend_long(t.reserved_left_ns / sluice::kNsPerMs));
                add_assoc_double(&ticket, "effective_weight", t.effective_weight);
                add_assoc_bool(&ticket, "lapsed", t.lapsed);
                add_next_index_zval(&tickets, &ticket);
            }
            add_assoc_zval(&entry, "tickets", &tickets);
            add_next_index_zval(return_value, &entry);
        }
    } catch (...) {
        zval_ptr_dtor(return_value);
        ZVAL_NULL(return_value);
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
