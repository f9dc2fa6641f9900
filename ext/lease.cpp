// Sluice\Lease and the per-request registry of leases still held.
//
// A lease goes back to the table exactly once through this object: on
// release(), when the object is freed (a dropped Lease is a released one), or
// at request end (RSHUTDOWN runs after exit() and fatal errors too). Leases of
// a forked parent are left alone by the child, and leases of a segment the
// process has since moved away from are simply not held any more.
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sluice_ext.hpp"

#include "arginfo.hpp"
#include "sluice/clock.hpp"
#include "sluice/lease_table.hpp"
#include "sluice/owner.hpp"

namespace sluice_ext {

zend_class_entry* lease_ce = nullptr;

namespace {

zend_object_handlers lease_handlers;

// This request's leases not yet released through their object (a doubly
// linked list through the objects themselves: no allocation to register).
ZEND_TLS LeaseObject* registry_head = nullptr;

void registry_link(LeaseObject* l) {
    l->prev = nullptr;
    l->next = registry_head;
    if (registry_head) registry_head->prev = l;
    registry_head = l;
    l->registered = true;
}

void registry_unlink(LeaseObject* l) {
    if (!l->registered) return;
    if (l->prev)
        l->prev->next = l->next;
    else
        registry_head = l->next;
    if (l->next) l->next->prev = l->prev;
    l->prev = l->next = nullptr;
    l->registered = false;
}

// The table, if this lease belongs to the mapping the process has now; nullptr
// when the segment was recreated or unlinked since (then it is not held).
sluice::LeaseTable* table_of(const LeaseObject* l) {
    sluice::Connection& c = connection();
    sluice::LeaseTable& table = c.table_of_held_lease();
    return c.mapping_id() == l->mapping_id ? &table : nullptr;
}

// Releases without a PHP exception: for free_obj and RSHUTDOWN, where nobody
// could catch one. A failure here (segment gone bad) leaves the lease to the
// reclaim path (the owner's death or its TTL).
void release_quietly(LeaseObject* l) {
    const bool ours = l->owner_pid == sluice::current_owner().pid;
    registry_unlink(l);
    if (!ours) return;  // a forked child: the parent still holds it
    try {
        if (sluice::LeaseTable* table = table_of(l)) table->release(l->lease_index, l->token);
    } catch (...) {
    }
}

void lease_free(zend_object* obj) {
    LeaseObject* l = lease_from(obj);
    if (l->registered) release_quietly(l);
    if (l->keys) zend_array_release(l->keys);
    l->keys = nullptr;
    zend_object_std_dtor(obj);
}

HashTable* lease_debug_info(zend_object* obj, int* is_temp) {
    LeaseObject* l = lease_from(obj);
    *is_temp = 1;
    HashTable* ht = zend_new_array(2);
    zval v;
    try {
        std::string token = sluice::format_token(l->lease_index, l->token);
        ZVAL_STRINGL(&v, token.data(), token.size());
        zend_hash_str_update(ht, "token", sizeof "token" - 1, &v);
    } catch (...) {
    }
    if (l->keys) {
        GC_ADDREF(l->keys);
        ZVAL_ARR(&v, l->keys);
        zend_hash_str_update(ht, "keys", sizeof "keys" - 1, &v);
    }
    return ht;
}

// The body of the methods that ask the table about this lease: false once it
// was released through this object or when its segment is gone, else what
// op(table, index, token) says; the core's errors as PHP exceptions
// (InvalidArgument as a ValueError naming argument `arg_num`).
template <class Op>
void on_held_lease(zval* this_zv, zval* return_value, uint32_t arg_num, Op op) {
    LeaseObject* l = lease_from(Z_OBJ_P(this_zv));
    if (!l->registered) {
        RETVAL_FALSE;
        return;
    }
    try {
        sluice::LeaseTable* table = table_of(l);
        RETVAL_BOOL(table && op(*table, l->lease_index, l->token));
    } catch (...) {
        throw_current_as_php(arg_num);
    }
}

}  // namespace

zend_object* lease_create_object(zend_class_entry* ce) {
    LeaseObject* l = new_object<LeaseObject>(ce, lease_handlers);
    l->lease_index = sluice::kNoLease;
    l->waited_ms = -1;
    return &l->std;
}

void lease_minit() {
    lease_ce = register_class_Sluice_Lease();
    lease_ce->create_object = lease_create_object;
    // No clone handler: two objects must never own one lease.
    init_object_handlers(lease_handlers, XtOffsetOf(LeaseObject, std), lease_free, nullptr, lease_debug_info);
}

void lease_create(zval* rv, uint32_t lease_index, const sluice::Token& token, uint64_t mapping_id,
                  zend_array* keys, int64_t waited_ms) {
    zend_object* obj = lease_create_object(lease_ce);
    LeaseObject* l = lease_from(obj);
    l->lease_index = lease_index;
    l->waited_ms = waited_ms;
    l->owner_pid = sluice::current_owner().pid;
    l->token = token;
    l->mapping_id = mapping_id;
    l->keys = keys;
    GC_ADDREF(keys);
    registry_link(l);
    ZVAL_OBJ(rv, obj);
}

void registry_init() { registry_head = nullptr; }

void registry_release_all() {
    while (registry_head) release_quietly(registry_head);
}

}  // namespace sluice_ext

using namespace sluice_ext;

ZEND_METHOD(Sluice_Lease, __construct) {
    ZEND_PARSE_PARAMETERS_NONE();
    zend_throw_error(nullptr, "Sluice\\Lease objects come from Sluice\\Limiter::tryAcquire() and acquire()");
}

ZEND_METHOD(Sluice_Lease, token) {
    ZEND_PARSE_PARAMETERS_NONE();
    LeaseObject* l = lease_from(Z_OBJ_P(ZEND_THIS));
    char text[sluice::kTokenTextLength + 1];
    try {
        std::string token = sluice::format_token(l->lease_index, l->token);
        std::memcpy(text, token.data(), sluice::kTokenTextLength);
    } catch (...) {
        throw_current_as_php(0);
        RETURN_THROWS();
    }
    RETURN_STRINGL(text, sluice::kTokenTextLength);
}

ZEND_METHOD(Sluice_Lease, release) {
    ZEND_PARSE_PARAMETERS_NONE();
    LeaseObject* l = lease_from(Z_OBJ_P(ZEND_THIS));
    if (!l->registered) RETURN_FALSE;
    registry_unlink(l);
    try {
        sluice::LeaseTable* table = table_of(l);
        RETURN_BOOL(table && table->release(l->lease_index, l->token));
    } catch (...) {
        throw_current_as_php(0);
        RETURN_THROWS();
    }
}

ZEND_METHOD(Sluice_Lease, renew) {
    zend_long ttl;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_LONG(ttl)
    ZEND_PARSE_PARAMETERS_END();
    if (!check_seconds(ttl, kMaxTtlSeconds, 1)) RETURN_THROWS();
    on_held_lease(ZEND_THIS, return_value, 1, [&](sluice::LeaseTable& table, uint32_t index, const sluice::Token& token) {
        return table.renew(index, token, int64_t(ttl) * sluice::kNsPerSecond);
    });
}

ZEND_METHOD(Sluice_Lease, isHeld) {
    ZEND_PARSE_PARAMETERS_NONE();
    on_held_lease(ZEND_THIS, return_value, 0, [](sluice::LeaseTable& table, uint32_t index, const sluice::Token& token) {
        return table.is_held(index, token);
    });
}

ZEND_METHOD(Sluice_Lease, requestStarted) {
    zend_long max_seconds;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_LONG(max_seconds)
    ZEND_PARSE_PARAMETERS_END();
    if (!check_seconds(max_seconds, sluice::kMaxRequestSeconds, 1)) RETURN_THROWS();
    on_held_lease(ZEND_THIS, return_value, 1, [&](sluice::LeaseTable& table, uint32_t index, const sluice::Token& token) {
        return table.mark_request_started(index, token, max_seconds);
    });
}

ZEND_METHOD(Sluice_Lease, requestFinished) {
    ZEND_PARSE_PARAMETERS_NONE();
    on_held_lease(ZEND_THIS, return_value, 0, [](sluice::LeaseTable& table, uint32_t index, const sluice::Token& token) {
        return table.mark_request_finished(index, token);
    });
}

ZEND_METHOD(Sluice_Lease, keys) {
    ZEND_PARSE_PARAMETERS_NONE();
    LeaseObject* l = lease_from(Z_OBJ_P(ZEND_THIS));
    if (!l->keys) RETURN_EMPTY_ARRAY();
    GC_ADDREF(l->keys);
    RETURN_ARR(l->keys);
}

ZEND_METHOD(Sluice_Lease, waitedMs) {
    ZEND_PARSE_PARAMETERS_NONE();
    RETURN_LONG(zend_long(lease_from(Z_OBJ_P(ZEND_THIS))->waited_ms));
}
