#!/usr/bin/env bash
# Runs bench/php-pairs.php with the built extension and APCu, against the
# stack's MariaDB when tools/stack can start one (GET_LOCK column), else without it.
set -euo pipefail
cd "$(dirname "$0")/.."
started_stack=0
if [ -x tools/stack ] && [ -z "${SLUICE_DB_HOST:-}" ]; then
  if tools/stack up >/dev/null; then
    started_stack=1
    eval "$(tools/stack env)"
  fi
fi
trap '[ "$started_stack" = 1 ] && tools/stack down >/dev/null' EXIT
php -d extension="$PWD/ext-build/modules/sluice.so" -d sluice.segment="bench-$$" \
    -d apc.enable_cli=1 bench/php-pairs.php "$@"
rm -f "/dev/shm/sluice.v1.bench-$$" "/dev/shm/sluice.v1.bench-$$.lock"
