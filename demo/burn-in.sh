#!/usr/bin/env bash
# The burn-in (`make demo`): brings up its own test bed (tools/wp-stack:
# MariaDB, PHP-FPM with the extension, nginx, Debian's WordPress with Sluice
# and the Data Machine fixture, the fake AI provider), runs three flows
# through concurrent CLI queue runners against a provider that takes one
# request at a time, first with Data Machine's own limiter (Sluice off), then
# with Sluice (on), and always brings the bed down. Run as root (the FPM pool
# runs as www-data). Arguments go to the driver, demo/burn-in.php
# (e.g. --items=4 --runners=4 --modes=off,on --summary).
#
# Env: SLUICE_BURN_IN_BED      which bed: demo (/tmp/sluice-demo, nginx 8095, MariaDB 3313, provider 8097,
#                               Redis 6401), bench-burn-in (8100, 3317, 8101, 6402), bench-gate (8102, 3318, 8103,
#                               6403), bench-load (8104, 3319, 8105, 6404), bench-line (8106, 3320, 8107, 6405),
#                               bench-adaptive (8108, 3321, 8109, 6406), bench-budget (8110, 3322, 8111, 6407),
#                               bench-capacity (8112, 3323, 8113, 6408);
#                               each its own state dir /tmp/sluice-<bed>
#      SLUICE_BURN_IN_STACK_DIR, SLUICE_BURN_IN_HTTP_PORT, SLUICE_BURN_IN_DB_PORT, SLUICE_BURN_IN_PROVIDER_PORT,
#      SLUICE_BURN_IN_REDIS_PORT override the bed's
#      SLUICE_BURN_IN_MU_PLUGIN an extra must-use plugin, relative to the repository (bench/gate-probe.php)
#      SLUICE_BURN_IN_DRIVER    the PHP driver, relative to the repository [demo/burn-in.php] (bench/gate.php, bench/line.php)
#      SLUICE_ACTION_SCHEDULER_DIR  a real Action Scheduler (see tools/wordpress)
#      SLUICE_BURN_IN_KEEP=1    leave the bed up afterwards (tools/wp-stack down with the same env stops it)
set -euo pipefail
cd "$(dirname "$0")/.."

bed=${SLUICE_BURN_IN_BED:-demo}
case $bed in
  demo)          ports=(8095 3313 8097 6401) ;;
  bench-burn-in) ports=(8100 3317 8101 6402) ;;
  bench-gate)    ports=(8102 3318 8103 6403) ;;
  bench-load)    ports=(8104 3319 8105 6404) ;;
  bench-line)    ports=(8106 3320 8107 6405) ;;
  bench-adaptive) ports=(8108 3321 8109 6406) ;;
  bench-budget)  ports=(8110 3322 8111 6407) ;;
  bench-capacity) ports=(8112 3323 8113 6408) ;;
  *) echo "burn-in: unknown SLUICE_BURN_IN_BED=$bed" >&2; exit 2 ;;
esac
export SLUICE_STACK_DIR=${SLUICE_BURN_IN_STACK_DIR:-/tmp/sluice-$bed}
export SLUICE_HTTP_PORT=${SLUICE_BURN_IN_HTTP_PORT:-${ports[0]}}
export SLUICE_DB_PORT=${SLUICE_BURN_IN_DB_PORT:-${ports[1]}}
export SLUICE_PROVIDER_PORT=${SLUICE_BURN_IN_PROVIDER_PORT:-${ports[2]}}
export SLUICE_REDIS_PORT=${SLUICE_BURN_IN_REDIS_PORT:-${ports[3]}}
export SLUICE_SEGMENT=sluice-burn-in-$(basename "$SLUICE_STACK_DIR")
driver=${SLUICE_BURN_IN_DRIVER:-demo/burn-in.php}

if [ "$(id -u)" -ne 0 ]; then
  echo "burn-in: run as root (PHP-FPM's pool runs as www-data)" >&2
  exit 1
fi

src=$SLUICE_STACK_DIR-src
mu=$SLUICE_STACK_DIR-mu-plugins
bed_down() {
  [ -z "${SLUICE_BURN_IN_KEEP:-}" ] || return 0
  echo "burn-in: bringing the test bed down" >&2
  tools/wp-stack down >/dev/null 2>&1 || true
  rm -rf "$mu" "$src"
}
tools/wp-stack down >/dev/null 2>&1 || true
rm -rf "$SLUICE_STACK_DIR" "$SLUICE_STACK_DIR-wp" "$mu" "$src"
trap bed_down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A snapshot of the PHP code the run loads (the plugin, the fixture, the test
# bed's support and Action Scheduler, the drivers): others may edit this tree
# while a run of minutes starts hundreds of PHP processes, and every one of
# them must load the same state of it (tools/wp-stack snapshots the extension).
mkdir -p "$src"
rsync -a --relative wp-plugin/sluice php-tests/wp support demo bench "$src/"
chmod -R a+rX "$src"
export SLUICE_WP_PLUGINS="$src/wp-plugin/sluice $src/php-tests/wp/fixtures/datamachine-fixture"

# The site's must-use plugins: the test bed's (Action Scheduler loader, loopback
# access to the fake provider) and the bench probe if asked.
# Not the test suites' hooks mu-plugin (its recorders write an option on every
# gate decision) nor their Redis one (its sluice_request_timeout filter reads an
# option that is not autoloaded, a query per batch) nor their provider call log
# (it reads its option on every request): they would show in the gate's
# measured cost, and the burn-in beds use no Redis. A bench that wants the call
# log names it in SLUICE_BURN_IN_MU_PLUGIN.
mkdir -p "$mu"
for f in "$src"/php-tests/wp/mu-plugins/*.php; do
  case "$(basename "$f")" in
    sluice-test-hooks.php|sluice-test-redis.php|sluice-test-provider-calls.php) ;;
    *) ln -s "$f" "$mu/" ;;
  esac
done
if [ -n "${SLUICE_BURN_IN_MU_PLUGIN:-}" ]; then
  ln -s "$src/$SLUICE_BURN_IN_MU_PLUGIN" "$mu/"
fi
export SLUICE_WP_MU_PLUGINS=$mu

tools/build-ext >/dev/null
echo "burn-in: starting the test bed in $SLUICE_STACK_DIR (nginx :$SLUICE_HTTP_PORT, MariaDB :$SLUICE_DB_PORT, provider :$SLUICE_PROVIDER_PORT)" >&2
env_file=$(tools/wp-stack up 2>"$SLUICE_STACK_DIR.up.log") || { cat "$SLUICE_STACK_DIR.up.log" >&2; exit 1; }
rm -f "$SLUICE_STACK_DIR.up.log"
# shellcheck source=/dev/null
. "$env_file"
php "$src/$driver" "$@"
