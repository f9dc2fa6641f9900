// Sluice PHP extension: the INI settings and the per-process configuration
// (which segment, with what capacities and permissions) with its connection.
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sluice_ext.hpp"

#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <vector>

#include "sluice/segment.hpp"

namespace sluice_ext {

Config* g_config = nullptr;
sluice::Connection* g_connection = nullptr;

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
                  {"sluice.max_leases", &o.max_leases},
                  {"sluice.max_tickets", &o.max_tickets},
                  {"sluice.aging_seconds", &o.aging_seconds},
                  {"sluice.reservation_ms", &o.reservation_ms}};
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
           x.max_leases == y.max_leases && x.max_tickets == y.max_tickets && x.aging_seconds == y.aging_seconds &&
           x.reservation_ms == y.reservation_ms && x.mode == y.mode && x.group == y.group &&
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
    PHP_INI_ENTRY("sluice.max_tickets", "16384", PHP_INI_SYSTEM, nullptr)
    PHP_INI_ENTRY("sluice.aging_seconds", "90", PHP_INI_SYSTEM, nullptr)
    PHP_INI_ENTRY("sluice.reservation_ms", "10000", PHP_INI_SYSTEM, nullptr)
    PHP_INI_ENTRY("sluice.default_ttl", "600", PHP_INI_SYSTEM, nullptr)
    PHP_INI_ENTRY("sluice.file_mode", "0600", PHP_INI_SYSTEM, nullptr)
    PHP_INI_ENTRY("sluice.group", "", PHP_INI_SYSTEM, nullptr)
    PHP_INI_ENTRY("sluice.test_hooks", "0", PHP_INI_SYSTEM, nullptr)
PHP_INI_END()

namespace sluice_ext {

void config_minit(int type, int module_number) {
    REGISTER_INI_ENTRIES();
    configure_process(/*at_startup=*/true);
}

void config_mshutdown(int type, int module_number) {
    UNREGISTER_INI_ENTRIES();
    delete g_connection;
    g_connection = nullptr;
    delete g_config;
    g_config = nullptr;
}

void config_rinit() {
    if (UNEXPECTED(g_configured_pid != ::getpid())) configure_process(/*at_startup=*/false);
}

}  // namespace sluice_ext
