#!/usr/bin/env bash
# Runs bench/php-pairs.php with the built extension and APCu, against MariaDB
# for the GET_LOCK row: the caller's (SLUICE_DB_HOST etc. exported, e.g. by
# eval "$(tools/stack env)"), else a stack of the bench's own that it starts
# and stops again, else without that row. It never stops a stack it did not
# start: one already running in its state dir is used as it is and left up.
#
# Env: SLUICE_BENCH_PAIRS_STACK_DIR (/tmp/sluice-bench-pairs),
#      SLUICE_BENCH_PAIRS_HTTP_PORT (8096), SLUICE_BENCH_PAIRS_DB_PORT (3314)
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/stack.d/sluice.bash
ext=$PWD/ext-build/modules/sluice.so
segment=bench-$$
started_stack=0

cleanup() {
  if [ "$started_stack" = 1 ]; then tools/stack down >/dev/null 2>&1 || true; fi
  sluice_remove_segment "$ext" "$segment" || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${SLUICE_DB_HOST:-}" ]; then
  export SLUICE_STACK_DIR=${SLUICE_BENCH_PAIRS_STACK_DIR:-/tmp/sluice-bench-pairs}
  export SLUICE_HTTP_PORT=${SLUICE_BENCH_PAIRS_HTTP_PORT:-8096}
  export SLUICE_DB_PORT=${SLUICE_BENCH_PAIRS_DB_PORT:-3314}
  # status: 0 all running (someone's: use it), 3 none running (ours to start
  # and stop), 1 partly running (someone's, half up: leave it alone).
  rc=0
  tools/stack status >/dev/null 2>&1 || rc=$?
  if [ "$rc" -eq 3 ]; then
    if tools/stack up >/dev/null; then
      started_stack=1
    else
      tools/stack down >/dev/null 2>&1 || true   # ours, even half up
      echo "php-pairs: tools/stack up failed; running without MariaDB" >&2
    fi
  elif [ "$rc" -ne 0 ]; then
    echo "php-pairs: the stack in $SLUICE_STACK_DIR is partly up and not ours; running without MariaDB" >&2
  fi
  if [ "$rc" -eq 0 ] || [ "$started_stack" = 1 ]; then
    eval "$(tools/stack env)"
  fi
fi
php -d extension="$ext" -d sluice.segment="$segment" -d apc.enable_cli=1 bench/php-pairs.php "$@"
