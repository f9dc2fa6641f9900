// Sluice PHP extension: module entry, phpinfo, the exception classes and the
// mapping of the core's errors to them.
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sluice_ext.hpp"

extern "C" {
#include "ext/spl/spl_exceptions.h"
#include "ext/standard/info.h"
}

#include <cstring>
#include <new>

#include "php_sluice.h"
#include "sluice/errors.hpp"
#include "sluice/segment.hpp"
#include "arginfo.hpp"

namespace sluice_ext {

zend_class_entry* exception_ce = nullptr;
zend_class_entry* segment_exception_ce = nullptr;
zend_class_entry* capacity_exception_ce = nullptr;

const char* without_prefix(const char* message) {
    constexpr char kPrefix[] = "sluice: ";
    return std::strncmp(message, kPrefix, sizeof kPrefix - 1) == 0 ? message + sizeof kPrefix - 1 : message;
}

void throw_current_as_php(uint32_t arg_num) noexcept {
    try {
        throw;
    } catch (const sluice::InvalidArgument& e) {
        if (arg_num > 0)
            zend_argument_value_error(arg_num, "is invalid: %s", without_prefix(e.what()));
        else
            zend_value_error("%s", without_prefix(e.what()));
    } catch (const sluice::SegmentError& e) {
        zend_throw_exception(segment_exception_ce, e.what(), 0);
    } catch (const sluice::CapacityError& e) {
        zend_throw_exception(capacity_exception_ce, e.what(), 0);
    } catch (const std::bad_alloc&) {
        zend_throw_exception(exception_ce, "sluice: out of memory", 0);
    } catch (const std::exception& e) {
        zend_throw_exception(exception_ce, e.what(), 0);
    } catch (...) {
        zend_throw_exception(exception_ce, "sluice: unknown internal error", 0);
    }
}

bool parse_scope_arg(const zend_string* text, uint32_t arg_num, sluice::Scope& out) {
    try {
        out = sluice::parse_scope(view(text));
        return true;
    } catch (const sluice::InvalidArgument& e) {
        zend_argument_value_error(arg_num, "must be a scope: %s", without_prefix(e.what()));
        return false;
    }
}

bool check_seconds(zend_long value, zend_long max, uint32_t arg_num) {
    if (value >= 1 && value <= max) return true;
    zend_argument_value_error(arg_num, "must be between 1 and " ZEND_LONG_FMT " seconds", max);
    return false;
}

void init_object_handlers(zend_object_handlers& handlers, int offset, zend_object_free_obj_t free_obj,
                          zend_object_clone_obj_t clone_obj, zend_object_get_debug_info_t debug_info) {
    std::memcpy(&handlers, zend_get_std_object_handlers(), sizeof handlers);
    handlers.offset = offset;
    handlers.free_obj = free_obj;
    handlers.clone_obj = clone_obj;
    handlers.compare = zend_objects_not_comparable;
    handlers.get_debug_info = debug_info;
}

namespace {

void exceptions_minit() {
    exception_ce = register_class_Sluice_Exception(spl_ce_RuntimeException);
    segment_exception_ce = register_class_Sluice_SegmentException(exception_ce);
    capacity_exception_ce = register_class_Sluice_CapacityException(exception_ce);
}

}  // namespace

}  // namespace sluice_ext

using namespace sluice_ext;

static PHP_MINIT_FUNCTION(sluice) {
    register_sluice_symbols(module_number);
    exceptions_minit();
    limiter_minit();
    lease_minit();
    config_minit(type, module_number);
    return SUCCESS;
}

static PHP_MSHUTDOWN_FUNCTION(sluice) {
    config_mshutdown(type, module_number);
    return SUCCESS;
}

static PHP_RINIT_FUNCTION(sluice) {
    config_rinit();
    registry_init();
    return SUCCESS;
}

// Runs after exit(), uncaught exceptions and fatal errors such as
// max_execution_time too: every lease this request still holds goes back.
static PHP_RSHUTDOWN_FUNCTION(sluice) {
    registry_release_all();
    stranded_claims_return_all();
    return SUCCESS;
}

static PHP_MINFO_FUNCTION(sluice) {
    php_info_print_table_start();
    php_info_print_table_row(2, "Sluice support", "enabled");
    php_info_print_table_row(2, "Version", PHP_SLUICE_VERSION);
    try {
        if (g_config && !g_config->error.empty()) php_info_print_table_row(2, "Configuration error", g_config->error.c_str());
        if (g_config)
            php_info_print_table_row(2, "Shared memory name",
                                     sluice::Segment::shm_name(g_config->options.name).c_str());
        bool attached = g_connection && g_connection->attached();
        php_info_print_table_row(2, "Attached in this process", attached ? "yes" : "no");
        if (attached) {
            sluice::SegmentInfo i = g_connection->table().info();
            auto row = [](const char* name, const std::string& value) {
                php_info_print_table_row(2, name, value.c_str());
            };
            row("Generation", std::to_string(i.generation));
            row("Capacity", std::to_string(i.max_keys) + " keys, " + std::to_string(i.slots_per_key) +
                                " slots per key, " + std::to_string(i.max_leases) + " leases");
            row("Keys in use", std::to_string(i.key_count));
            row("Leases in use", std::to_string(i.leases_in_use));
            row("Waiting line", std::to_string(i.tickets_in_use) + " of " + std::to_string(i.max_tickets) + " tickets");
            row("Size", std::to_string(i.size_bytes) + " bytes");
            row("Repairs after crashes", std::to_string(i.repairs));
            row("Corrupt records repaired", std::to_string(i.corruption_repairs) + " times (" +
                                                std::to_string(i.corruption_resets) + " table resets)");
        }
    } catch (const std::exception& e) {
        php_info_print_table_row(2, "Segment error", e.what());
    }
    php_info_print_table_end();
    DISPLAY_INI_ENTRIES();
}

static const zend_module_dep sluice_deps[] = {
    ZEND_MOD_REQUIRED("spl")
    ZEND_MOD_END
};

zend_module_entry sluice_module_entry = {
    STANDARD_MODULE_HEADER_EX,
    nullptr,
    sluice_deps,
    "sluice",
    ext_functions,
    PHP_MINIT(sluice),
    PHP_MSHUTDOWN(sluice),
    PHP_RINIT(sluice),
    PHP_RSHUTDOWN(sluice),
    PHP_MINFO(sluice),
    PHP_SLUICE_VERSION,
    STANDARD_MODULE_PROPERTIES
};

#ifdef COMPILE_DL_SLUICE
extern "C" {
ZEND_GET_MODULE(sluice)
}
#endif
