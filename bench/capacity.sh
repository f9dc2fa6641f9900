#!/usr/bin/env bash
# `make bench-capacity` (its first half; the Makefile runs bench/budget.sh after it): the capacity view against
# a queue whose numbers are known, on a test bed of its own (demo/burn-in.sh's bed bench-capacity; see
# bench/capacity.php): Poisson arrivals of AI steps, gamma service times with a coefficient of variation of 0.3
# and of 1.5, each at a utilisation of about 0.5 and 0.85, through real CLI queue runners and Sluice's gate at
# limit 2; per run, the view's arrival rate, rho and mean wait beside what the run measured by its own clock.
# About 25 minutes (4 runs of 5 minutes and a second, each started on a minute). Its last line:
#   capacity lambda_error=<max relative error> rho_error=<...> wait_error=<...> runs=<n>
# Arguments go to bench/capacity.php (--mean-ms, --limit, --window=1|5|15, --runners, --runs=1,3).
# Env: SLUICE_ACTION_SCHEDULER_DIR, a real Action Scheduler (see tools/wordpress); the bed's ports as in
# demo/burn-in.sh (SLUICE_BURN_IN_HTTP_PORT, _DB_PORT, _PROVIDER_PORT, _STACK_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
# The view is read with the real `wp` (tools/wp-cli, test-only, as tools/run-plugin-tests installs it).
if [ ! -f tools/wp-cli/vendor/bin/wp ]; then
  COMPOSER_ALLOW_SUPERUSER=1 timeout 300 composer install -d tools/wp-cli --no-interaction --no-progress --quiet ||
    echo "bench-capacity: Composer could not install WP-CLI into tools/wp-cli: the view cannot be read" >&2
fi
export SLUICE_BENCH_WP_CLI=$PWD/tools/wp-cli/vendor/bin/wp
export SLUICE_BURN_IN_BED=bench-capacity
export SLUICE_BURN_IN_DRIVER=bench/capacity.php
export SLUICE_BURN_IN_MU_PLUGIN=bench/capacity-probe.php
bench_burn_in "$@"
bench_summary '^capacity lambda_error=' "bench-capacity: no summary line"
