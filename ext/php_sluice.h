/* Sluice PHP extension: module entry. The core lives in src/sluice (C++17, no PHP). */
#ifndef PHP_SLUICE_H
#define PHP_SLUICE_H

extern zend_module_entry sluice_module_entry;
#define phpext_sluice_ptr &sluice_module_entry

#define PHP_SLUICE_VERSION "0.1.0"

/* The process-wide connection and its lazy attach are not guarded for
 * threads: Sluice is for non-thread-safe PHP (PHP-FPM, CLI, mod_php prefork). */
#ifdef ZTS
#error "Sluice needs a non-thread-safe (NTS) PHP build; this PHP is built with ZTS"
#endif

#endif /* PHP_SLUICE_H */
