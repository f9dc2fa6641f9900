#!/usr/bin/env bash
# `make bench-backends`: the three lease stores (native, database, Redis) in
# ONE run on a WordPress test bed of its own (tools/wp-stack: MariaDB, Redis,
# PHP-FPM with the extension, nginx, Debian's WordPress with Sluice and the
# Data Machine fixture, the fake provider): the acquire + release pair and a
# release with hand-off (time, SQL queries, Redis round trips), two PHP-FPM
# pools in separate IPC namespaces sharing one Redis, and a burn-in whose
# Redis restarts in the middle (bench/backends.php says more). Its last line:
#   backends native_us=<median pair> database_us=<...> redis_us=<...> redis_round_trips=<per pair>
#   two_pools_max_overlap=<...> limit=<...> restart_max_in_flight=<...>
# The bed is always brought down afterwards. Arguments go to bench/backends.php
# (--pairs=2000 --rounds=5 --handoffs=300). Run as root (the pools run as www-data).
#
# Env: SLUICE_BENCH_BACKENDS_{STACK_DIR,HTTP_PORT,DB_PORT,PROVIDER_PORT,REDIS_PORT,SEGMENT}
#      (/tmp/sluice-bench-backends, 8113, 3332, 8114, 6396, sluice-bench-backends)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

export SLUICE_STACK_DIR=${SLUICE_BENCH_BACKENDS_STACK_DIR:-/tmp/sluice-bench-backends}
export SLUICE_HTTP_PORT=${SLUICE_BENCH_BACKENDS_HTTP_PORT:-8113}
export SLUICE_DB_PORT=${SLUICE_BENCH_BACKENDS_DB_PORT:-3332}
export SLUICE_PROVIDER_PORT=${SLUICE_BENCH_BACKENDS_PROVIDER_PORT:-8114}
export SLUICE_REDIS_PORT=${SLUICE_BENCH_BACKENDS_REDIS_PORT:-6396}
export SLUICE_SEGMENT=${SLUICE_BENCH_BACKENDS_SEGMENT:-sluice-bench-backends}

if [ "$(id -u)" -ne 0 ]; then
  echo "bench-backends: run as root (the PHP-FPM pools run as www-data)" >&2
  exit 1
fi
bench_stack_up
php bench/backends.php "$@"
