// Sluice PHP extension: module entry, INI settings, phpinfo, exception mapping.
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sluice_ext.hpp"

extern "C" {
#include "ext/spl/spl_exceptions.h"
#include "ext/standard/info.h"
}

#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "php_sluice.h"
#include "sluice/errors.hpp"
#include "sluice/segment.hpp"
#include "sluice_arginfo.h"

namespace sluice_ext {

Config* g_config = nullptr;
sluice::Connection* g_connection = nullptr;

zend_class_entry* limiter_ce = nullptr;
zend_class_entry* lease_ce = nullptr;
zend_class_entry* exception_ce = nullptr;
zend_class_entry* segment_exception_ce = nullptr;
zend_class_entry* capacity_exception_ce = nullptr;

namespace {

// Core messages start with "sluice: "; inside a ValueError that names the
// function and argument it is noise.
const char* without_prefix(const char* message) {
    constexpr char kPrefix[] = "sluice: ";
    return std::strncmp(message, kPrefix, sizeof kPrefix - 1) == 0 ? message + sizeof kPrefix - 1 : message;
}

}  // namespace

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

int compare_by_identity(zval* a, zval* b) {
    if (Z_TYPE_P(a) != IS_OBJECT || Z_TYPE_P(b) != IS_OBJECT) return zend_std_compare_objects(a, b);
    return Z_OBJ_P(a) == Z_OBJ_P(b) ? 0 : ZEND_UNCOMPARABLE;
}

namespace {

// ---- INI ----
// Every setting is read as a string in MINIT and parsed here, so that a bad
// value yields one clear message instead of a silent fallback.

bool parse_decimal(const char* text, unsigned long long max, unsigned long long& out) {
    if (!text || !*text) return false;
    unsigned long long v = 0;
    for (const char* p = text; *p; ++p) {
        if (*p < '0' || *p > '9') return false;
        v = v * 10 + unsigned(*p - '0');
        if (v > max) return false;
    }
    out = v;
    return true;
}

std::string ini_text(const char* name) {
    const char* v = zend_ini_string_ex(const_cast<char*>(name), std::strlen(name), 0, nullptr);
    return v ? v : "";
}

// Fills `config` from the INI entries; the first problem goes to config.error.
void load_config(Config& config) {
    auto fail = [&](const std::string& message) {
        if (config.error.empty()) config.error = "sluice: invalid configuration: " + message;
    };
    sluice::SegmentOptions& o = config.options;
    o.name = ini_text("sluice.segment");

    struct Count {
        const char* name;
        uint32_t* field;
    } counts[] = {{"sluice.max_keys", &o.max_keys},
                  {"sluice.max_slots_per_key", &o.slots_per_key},
                  {"sluice.max_leases", &o.max_leases}};
    for (const Count& c : counts) {
        unsigned long long v;
        std::string text = ini_text(c.name);
        if (parse_decimal(text.c_str(), UINT32_MAX, v))
            *c.field = uint32_t(v);
        else
            fail(std::string(c.name) + " must be a whole number, not \"" + text + "\"");
    }

    {
        unsigned long long v;
        std::string text = ini_text("sluice.default_ttl");
        if (parse_decimal(text.c_str(), (unsigned long long)kMaxTtlSeconds, v) && v >= 1)
            config.default_ttl = zend_long(v);
        else
            fail("sluice.default_ttl must be a number of seconds from 1 to " + std::to_string(kMaxTtlSeconds) +
                 ", not \"" + text + "\"");
    }

    {
        std::string text = ini_text("sluice.file_mode");
        bool ok = !text.empty() && text.size() <= 4;
        unsigned mode = 0;
        for (char ch : text) {
            if (ch < '0' || ch > '7') ok = false;
            mode = mode * 8 + unsigned(ch - '0');
        }
        if (ok && mode <= 0777)
            o.mode = mode_t(mode);
        else
            fail("sluice.file_mode must be an octal mode such as 0600 or 0660, not \"" + text + "\"");
    }

    {
        std::string text = ini_text("sluice.group");
        unsigned long long gid;
        if (text.empty()) {
            o.group.reset();
        } else if (parse_decimal(text.c_str(), UINT32_MAX - 1, gid)) {
            o.group = gid_t(gid);
        } else {
            struct group entry, *found = nullptr;
            std::vector<char> buf(16384);
            int rc;
            while ((rc = ::getgrnam_r(text.c_str(), &entry, buf.data(), buf.size(), &found)) == ERANGE &&
                   buf.size() < (1u << 20))
                buf.resize(buf.size() * 2);
            if (rc == 0 && found)
                o.group = found->gr_gid;
            else
                fail("sluice.group: no group named \"" + text + "\" (give a group name or a numeric gid)");
        }
    }

    {
        zend_string* text = zend_string_init(ini_text("sluice.test_hooks").c_str(),
                                             ini_text("sluice.test_hooks").size(), 0);
        config.test_hooks = zend_ini_parse_bool(text);
        zend_string_release(text);
    }

    if (config.error.empty()) {
        try {
            sluice::validate_options(o);
        } catch (const std::exception& e) {
            fail(without_prefix(e.what()));
        }
    }
}

bool same_settings(const Config& a, const Config& b) {
    const sluice::SegmentOptions &x = a.options, &y = b.options;
    return x.name == y.name && x.max_keys == y.max_keys && x.slots_per_key == y.slots_per_key &&
           x.max_leases == y.max_leases && x.mode == y.mode && x.group == y.group &&
           a.default_ttl == b.default_ttl && a.test_hooks == b.test_hooks && a.error == b.error;
}

// The process that last read the settings.
pid_t g_configured_pid = 0;

// Reads the settings and gives the process one connection for them; it
// attaches on first use, so a forked FPM worker maps the segment itself.
// Called again at the first request of every new process: PHP-FPM applies a
// pool's php_admin_value[sluice.*] in the worker after MINIT ran in the master,
// and without this a pool would show its own segment in ini_get() yet use the
// master's. No Limiter or Lease exists yet at that point, so the old
// connection (never attached: the master serves no requests) can go.
void configure_process(bool at_startup) {
    g_configured_pid = ::getpid();
    try {
        auto fresh = std::make_unique<Config>();
        load_config(*fresh);
        if (g_config && same_settings(*g_config, *fresh)) return;
        delete g_connection;
        g_connection = nullptr;
        delete g_config;
        g_config = fresh.release();
        if (g_config->error.empty()) {
            g_connection = new sluice::Connection(g_config->options);
        } else {
            // At startup a warning; in a worker's first request only the log,
            // never the response. Every use then throws a SegmentException
            // naming the setting.
            std::string message = g_config->error + "; Sluice will refuse to attach to shared memory";
            if (at_startup)
                php_error_docref(nullptr, E_WARNING, "%s", message.c_str());
            else
                php_log_err(const_cast<char*>(("PHP Warning:  " + message).c_str()));
        }
    } catch (const std::exception& e) {
        if (at_startup) php_error_docref(nullptr, E_WARNING, "sluice: cannot initialise: %s", e.what());
    }
}

}  // namespace

}  // namespace sluice_ext

using namespace sluice_ext;

PHP_INI_BEGIN()
    PHP_INI_ENTRY("sluice.segment", "sluice", PHP_INI_SYSTEM, nullptr)
    PHP_INI_ENTRY("sluice.max_keys", "256", PHP_INI_SYSTEM, nullptr)
    PHP_INI_ENTRY("sluice.max_slots_per_key", "64", PHP_INI_SYSTEM, nullptr)
    PHP_INI_ENTRY("sluice.max_leases", "4096", PHP_INI_SYSTEM, nullptr)
    PHP_INI_ENTRY("sluice.default_ttl", "600", PHP_INI_SYSTEM, nullptr)
    PHP_INI_ENTRY("sluice.file_mode", "0600", PHP_INI_SYSTEM, nullptr)
    PHP_INI_ENTRY("sluice.group", "", PHP_INI_SYSTEM, nullptr)
    PHP_INI_ENTRY("sluice.test_hooks", "0", PHP_INI_SYSTEM, nullptr)
PHP_INI_END()

static PHP_MINIT_FUNCTION(sluice) {
    REGISTER_INI_ENTRIES();

    limiter_ce = register_class_Sluice_Limiter();
    limiter_ce->create_object = limiter_create_object;
    limiter_init_handlers();
    lease_ce = register_class_Sluice_Lease();
    lease_ce->create_object = lease_create_object;
    lease_init_handlers();
    exception_ce = register_class_Sluice_Exception(spl_ce_RuntimeException);
    segment_exception_ce = register_class_Sluice_SegmentException(exception_ce);
    capacity_exception_ce = register_class_Sluice_CapacityException(exception_ce);

    configure_process(/*at_startup=*/true);
    return SUCCESS;
}

static PHP_MSHUTDOWN_FUNCTION(sluice) {
    UNREGISTER_INI_ENTRIES();
    delete g_connection;
    g_connection = nullptr;
    delete g_config;
    g_config = nullptr;
    return SUCCESS;
}

static PHP_RINIT_FUNCTION(sluice) {
    if (UNEXPECTED(g_configured_pid != ::getpid())) configure_process(/*at_startup=*/false);
    registry_init();
    return SUCCESS;
}

// Runs after exit(), uncaught exceptions and fatal errors such as
// max_execution_time too: every lease this request still holds goes back.
static PHP_RSHUTDOWN_FUNCTION(sluice) {
    registry_release_all();
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
            row("Size", std::to_string(i.size_bytes) + " bytes");
            row("Repairs after crashes", std::to_string(i.repairs));
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
