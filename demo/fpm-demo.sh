#!/usr/bin/env bash
# The real thing: brings tools/stack up (nginx + PHP-FPM with the extension,
# pool as www-data), lets concurrent HTTP clients contend through FPM for
# limit L on one key, prints a live line from the server-side status, kills a
# worker that holds a slot half-way, shows the slot coming back, ends with a
# summary, and brings the stack down (whatever happens). Run as root.
#
#   demo/fpm-demo.sh
#
# Env: DEMO_LIMIT (3), DEMO_CLIENTS (12), DEMO_SECONDS (8), DEMO_WORKERS (8),
#      SLUICE_DEMO_STACK_DIR (/tmp/sluice-fpm-demo), SLUICE_DEMO_HTTP_PORT (8093),
#      SLUICE_DEMO_DB_PORT (3311)
set -euo pipefail
cd "$(dirname "$0")/.."
export DEMO_LIMIT=${DEMO_LIMIT:-3} DEMO_CLIENTS=${DEMO_CLIENTS:-12} DEMO_SECONDS=${DEMO_SECONDS:-8}
export DEMO_WORKERS=${DEMO_WORKERS:-8}
export SLUICE_STACK_DIR=${SLUICE_DEMO_STACK_DIR:-/tmp/sluice-fpm-demo}
export SLUICE_HTTP_PORT=${SLUICE_DEMO_HTTP_PORT:-8093}
export SLUICE_DB_PORT=${SLUICE_DEMO_DB_PORT:-3311}
export DEMO_URL=http://127.0.0.1:$SLUICE_HTTP_PORT
segment=sluice-demo

if [ "$(id -u)" -ne 0 ]; then
  echo "fpm-demo: run as root (the pool runs as www-data and the demo kills one of its workers)" >&2
  exit 1
fi

tools/build-ext >/dev/null
. tools/stack.d/sluice.bash
stack_exit_message="fpm-demo: bringing the stack down"
stack_snapshot_take demo/fpm-www sluice-fpm-demo
ini=("sluice.segment=$segment" sluice.file_mode=0660 sluice.group=www-data)
echo "fpm-demo: starting the stack (MariaDB, PHP-FPM with $work/sluice.so, nginx on $DEMO_URL)" >&2
SLUICE_EXT=$work/sluice.so SLUICE_DOCROOT=$work/www SLUICE_FPM_WORKERS=$DEMO_WORKERS \
SLUICE_PHP_INI_EXTRA=$(printf '%s\n' "${ini[@]}") tools/stack up >"$work/stack-up.log" 2>&1 ||
  { cat "$work/stack-up.log" >&2; echo "fpm-demo: tools/stack up failed" >&2; exit 1; }
grep -E '^stack: (php-fpm|nginx) up' "$work/stack-up.log" >&2 || true
echo >&2

args=()
for kv in "${ini[@]}"; do args+=(-d "$kv"); done
php -d extension="$work/sluice.so" "${args[@]}" demo/fpm-demo.php
