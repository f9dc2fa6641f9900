// Internal to the extension: what its translation units share. The glue maps
// PHP values to the core's types and the core's exceptions to PHP's; every
// decision about leases, limits and segments stays in src/sluice.
#pragma once

extern "C" {
#include "php.h"
#include "zend_exceptions.h"
}

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "sluice/connection.hpp"
#include "sluice/errors.hpp"
#include "sluice/layout.hpp"
#include "sluice/scope.hpp"
#include "sluice/token.hpp"

// Sluice\LAYOUT_VERSION (registered from the stub's @cvalue).
#define SLUICE_LAYOUT_VERSION zend_long(sluice::kLayoutVersion)

namespace sluice_ext {

// Upper bound of a TTL in seconds, so seconds * 1e9 never overflows (one year).
inline constexpr zend_long kMaxTtlSeconds = 365L * 24 * 3600;
inline constexpr zend_long kMaxWaitMs = 600000;

// ---- Configuration and the process-global connection (config.cpp) ----

struct Config {
    sluice::SegmentOptions options;
    zend_long default_ttl = 600;
    bool test_hooks = false;
    std::string error;  // non-empty: an INI setting is invalid; nothing attaches
};

extern Config* g_config;
extern sluice::Connection* g_connection;

// MINIT: registers the INI entries and reads them. MSHUTDOWN: the reverse.
void config_minit(int type, int module_number);
void config_mshutdown(int type, int module_number);
// RINIT: reads the settings again in a process that has not read them yet
// (a PHP-FPM worker, where a pool's php_admin_value applies only now).
void config_rinit();

// The connection, or SegmentError naming the invalid setting.
inline sluice::Connection& connection() {
    if (EXPECTED(g_connection != nullptr)) return *g_connection;
    throw sluice::SegmentError(g_config && !g_config->error.empty()
                                   ? g_config->error
                                   : std::string("sluice: the extension is not initialised"));
}

// ---- Class entries (each registered by its own file's *_minit()) ----

extern zend_class_entry* limiter_ce;
extern zend_class_entry* lease_ce;
extern zend_class_entry* exception_ce;
extern zend_class_entry* segment_exception_ce;
extern zend_class_entry* capacity_exception_ce;

// ---- Exceptions (sluice.cpp) ----

// Call only inside a catch block: turns the exception in flight into the PHP
// exception users expect (InvalidArgument -> ValueError naming `arg_num` when
// it is not 0, SegmentError -> SegmentException, CapacityError ->
// CapacityException, anything else -> Sluice\Exception). Never lets it escape.
void throw_current_as_php(uint32_t arg_num) noexcept;

// A number of seconds from 1 to `max`, or false after a ValueError naming
// argument `arg_num`.
bool check_seconds(zend_long value, zend_long max, uint32_t arg_num);

inline std::string_view view(const zend_string* s) {
    return s ? std::string_view(ZSTR_VAL(s), ZSTR_LEN(s)) : std::string_view();
}

// A scope argument ("" or "<install>/<blog>", see sluice/scope.hpp) into
// `out`; false after a ValueError naming argument `arg_num`. nullptr: "".
bool parse_scope_arg(const zend_string* text, uint32_t arg_num, sluice::Scope& out);

// Core messages start with "sluice: "; inside a ValueError that names the
// function and argument it is noise. Returns `message` without it.
const char* without_prefix(const char* message);

// The handlers of a class whose state sits in a C++ struct in front of its
// zend_object (at `offset`): the standard ones with these free, clone
// (nullptr: not cloneable) and debug-info handlers, and an object equal only
// to itself (zend_objects_not_comparable): the state lives outside
// properties, so the default handler would find any two objects equal (`==`,
// non-strict in_array()).
void init_object_handlers(zend_object_handlers& handlers, int offset, zend_object_free_obj_t free_obj,
                          zend_object_clone_obj_t clone_obj, zend_object_get_debug_info_t debug_info);

// Allocates a T (plain fields, then `zend_object std` last) with its fields
// zeroed and its zend_object initialised with `handlers`.
template <class T>
T* new_object(zend_class_entry* ce, const zend_object_handlers& handlers) {
    auto* o = static_cast<T*>(zend_object_alloc(sizeof(T), ce));
    std::memset(static_cast<void*>(o), 0, XtOffsetOf(T, std));
    zend_object_std_init(&o->std, ce);
    object_properties_init(&o->std, ce);
    o->std.handlers = &handlers;
    return o;
}

// ---- Leases (lease.cpp) ----

struct LeaseObject {
    uint32_t lease_index;
    int32_t owner_pid;      // the process that acquired it (a forked child must not release it at exit)
    sluice::Token token;
    uint64_t mapping_id;    // Connection::mapping_id() of the table that granted it
    zend_array* keys;       // shared with the Limiter that granted it (refcounted, never modified)
    LeaseObject* prev;      // this request's registry of leases not yet released
    LeaseObject* next;
    bool registered;        // in the registry: not released through this object yet
    int64_t waited_ms;      // how long its action waited in line (Lease::waitedMs()); -1: no ticket
    zend_object std;
};

inline LeaseObject* lease_from(zend_object* obj) {
    return reinterpret_cast<LeaseObject*>(reinterpret_cast<char*>(obj) - XtOffsetOf(LeaseObject, std));
}

// Makes `rv` a new Sluice\Lease for a grant and registers it for release at request end.
void lease_create(zval* rv, uint32_t lease_index, const sluice::Token& token, uint64_t mapping_id,
                  zend_array* keys, int64_t waited_ms = -1);

zend_object* lease_create_object(zend_class_entry* ce);
void lease_minit();  // registers Sluice\Lease
void registry_init();
void registry_release_all();

// ---- Limiters (limiter.cpp) ----

zend_object* limiter_create_object(zend_class_entry* ce);
void limiter_minit();  // registers Sluice\Limiter

// ---- Stranded claims (functions.cpp) ----

// RSHUTDOWN: the stranded entries this request claimed (take_stranded()) and
// neither acked nor returned go back to the line: they were not dealt with.
void stranded_claims_return_all() noexcept;

}  // namespace sluice_ext
