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
# Env: SLUICE_BURNIN_STACK_DIR [/tmp/sluice-demo], SLUICE_BURNIN_HTTP_PORT [8095],
#      SLUICE_BURNIN_DB_PORT [3313], SLUICE_BURNIN_PROVIDER_PORT [8097],
#      SLUICE_BURNIN_MU_PLUGIN  an extra must-use plugin file (bench/gate-probe.php for the benches)
#      SLUICE_BURNIN_DRIVER     the PHP driver [demo/burn-in.php] (bench/gate.php uses this bed too)
#      SLUICE_ACTION_SCHEDULER_DIR  a real Action Scheduler (see tools/wordpress)
#      SLUICE_BURNIN_KEEP=1     leave the bed up afterwards (tools/wp-stack down with the same env stops it)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

export SLUICE_STACK_DIR=${SLUICE_BURNIN_STACK_DIR:-/tmp/sluice-demo}
export SLUICE_HTTP_PORT=${SLUICE_BURNIN_HTTP_PORT:-8095}
export SLUICE_DB_PORT=${SLUICE_BURNIN_DB_PORT:-3313}
export SLUICE_PROVIDER_PORT=${SLUICE_BURNIN_PROVIDER_PORT:-8097}
export SLUICE_SEGMENT=sluice-burnin-$(basename "$SLUICE_STACK_DIR")
driver=${SLUICE_BURNIN_DRIVER:-demo/burn-in.php}

if [ "$(id -u)" -ne 0 ]; then
  echo "burn-in: run as root (PHP-FPM's pool runs as www-data)" >&2
  exit 1
fi

# The site's must-use plugins: the test bed's (Action Scheduler loader, loopback
# access to the fake provider) and the bench probe if asked.
# Not the test suites' hooks mu-plugin: its recorders write an option on every
# gate decision, which would show in the gate's measured cost.
mu=$SLUICE_STACK_DIR-mu-plugins
bed_down() {
  [ -z "${SLUICE_BURNIN_KEEP:-}" ] || return 0
  echo "burn-in: bringing the test bed down" >&2
  tools/wp-stack down >/dev/null 2>&1 || true
  rm -rf "$mu"
}
tools/wp-stack down >/dev/null 2>&1 || true
rm -rf "$SLUICE_STACK_DIR" "$SLUICE_STACK_DIR-wp" "$mu"
trap bed_down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$mu"
for f in "$root"/php-tests/wp/mu-plugins/*.php; do
  [ "$(basename "$f")" = sluice-test-hooks.php ] || ln -s "$f" "$mu/"
done
if [ -n "${SLUICE_BURNIN_MU_PLUGIN:-}" ]; then
  ln -s "$(cd "$(dirname "$SLUICE_BURNIN_MU_PLUGIN")" && pwd -P)/$(basename "$SLUICE_BURNIN_MU_PLUGIN")" "$mu/"
fi
export SLUICE_WP_MU_PLUGINS=$mu

echo "burn-in: starting the test bed in $SLUICE_STACK_DIR (nginx :$SLUICE_HTTP_PORT, MariaDB :$SLUICE_DB_PORT, provider :$SLUICE_PROVIDER_PORT)" >&2
env_file=$(tools/wp-stack up 2>"$SLUICE_STACK_DIR.up.log") || { cat "$SLUICE_STACK_DIR.up.log" >&2; exit 1; }
rm -f "$SLUICE_STACK_DIR.up.log"
# shellcheck source=/dev/null
. "$env_file"
php "$driver" "$@"
