dnl Build with tools/build-ext, not phpize here: phpize in the project root overwrites its Makefile.
dnl Sluice PHP extension (phpize && ./configure --enable-sluice && make, which tools/build-ext runs
dnl out of the source tree, in ext-build/): the Zend glue (ext/*.cpp) together with the C++17 core
dnl (src/sluice/*.cpp).

PHP_ARG_ENABLE([sluice],
  [whether to enable Sluice (host-wide concurrency slots in shared memory)],
  [AS_HELP_STRING([--enable-sluice], [Enable the Sluice extension])],
  [yes])

if test "$PHP_SLUICE" != "no"; then
  PHP_REQUIRE_CXX()
  PHP_CXX_COMPILE_STDCXX(17, mandatory, SLUICE_STDCXX)

  AC_LANG_PUSH([C++])
  AC_CHECK_HEADER([boost/interprocess/shared_memory_object.hpp], [],
    [AC_MSG_ERROR([Boost.Interprocess headers not found (install libboost-dev)])])
  AC_LANG_POP([C++])

  PHP_ADD_LIBRARY(stdc++, 1, SLUICE_SHARED_LIBADD)
  PHP_ADD_LIBRARY(rt, 1, SLUICE_SHARED_LIBADD)
  PHP_ADD_LIBRARY(pthread, 1, SLUICE_SHARED_LIBADD)
  PHP_SUBST(SLUICE_SHARED_LIBADD)

  sluice_sources=`cd "PHP_EXT_SRCDIR(sluice)" && echo ext/*.cpp src/sluice/*.cpp`

  dnl The core's symbols stay inside sluice.so (only get_module is exported).
  PHP_NEW_EXTENSION(sluice, $sluice_sources, $ext_shared, ,
    [$SLUICE_STDCXX -fvisibility=hidden -fvisibility-inlines-hidden -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -DZEND_ENABLE_STATIC_TSRMLS_CACHE=1],
    cxx)
  dnl $ext_srcdir is set by PHP_NEW_EXTENSION.
  PHP_ADD_INCLUDE([$ext_srcdir/src])
  PHP_ADD_INCLUDE([$ext_srcdir/ext])
  PHP_ADD_BUILD_DIR([$ext_builddir/ext])
  PHP_ADD_BUILD_DIR([$ext_builddir/src/sluice])
fi
