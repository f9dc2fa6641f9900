#!/usr/bin/env bash
# `make bench-db`: the database backend's acquire + release pair against the
# other ways to hold a slot, measured in ONE run on a WordPress test bed of
# its own (tools/wp-stack: MariaDB, Debian's WordPress with Sluice and the
# Data Machine fixture, the extension): time and SQL queries per pair of the
# database backend, Data Machine's option lease (the fixture's copy of it),
# MariaDB GET_LOCK + RELEASE_LOCK and the native backend, with their ratios.
# The bed is always brought down afterwards. Arguments go to
# bench/db-backend.php (--pairs=2000 --rounds=5).
#
# Env: SLUICE_BENCH_DB_{STACK_DIR,HTTP_PORT,DB_PORT,PROVIDER_PORT,SEGMENT}
#      (/tmp/sluice-bench-db, 8111, 3331, 8112, sluice-bench-db). Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

export SLUICE_STACK_DIR=${SLUICE_BENCH_DB_STACK_DIR:-/tmp/sluice-bench-db}
export SLUICE_HTTP_PORT=${SLUICE_BENCH_DB_HTTP_PORT:-8111}
export SLUICE_DB_PORT=${SLUICE_BENCH_DB_DB_PORT:-3331}
export SLUICE_PROVIDER_PORT=${SLUICE_BENCH_DB_PROVIDER_PORT:-8112}
export SLUICE_SEGMENT=${SLUICE_BENCH_DB_SEGMENT:-sluice-bench-db}

bench_stack_up
php bench/db-backend.php "$@"
