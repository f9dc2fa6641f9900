/* Sluice PHP extension: module entry. The core lives in src/sluice (C++17, no PHP). */
#ifndef PHP_SLUICE_H
#define PHP_SLUICE_H

extern zend_module_entry sluice_module_entry;
#define phpext_sluice_ptr &sluice_module_entry

#define PHP_SLUICE_VERSION "0.1.0"

#if defined(ZTS) && defined(COMPILE_DL_SLUICE)
ZEND_TSRMLS_CACHE_EXTERN()
#endif

#endif /* PHP_SLUICE_H */
