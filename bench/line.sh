#!/usr/bin/env bash
# `make bench-line`: Sluice's waiting line against the fixed delay (waiting_line off, 1-2 s timer) in one
# run, on a test bed of its own (demo/burn-in.sh's, with bench/gate-probe.php as a must-use plugin):
# burn-in makespan / ideal for (a) 3 flows x 4 items at limit 1 and (b) 3 flows x 10 items at limit 2,
# 2 s provider calls; the hand-off delay (median, p90); SQL queries per deferral and per wake; Action
# Scheduler rows (actions, logs) per deferred item. Its LAST line:
#   ratio_a_line=<x> ratio_a_fixed=<x> ratio_b_line=<x> ratio_b_fixed=<x> handoff_ms_<phase>=<median>/<p90> ...
#   queries_per_deferral=<x> queries_per_deferral_fixed=<x> queries_per_wake=<x>
#   as_rows_per_deferred_item_line=<actions>+<logs> as_rows_per_deferred_item_fixed=<actions>+<logs>
#   action_scheduler=<which, version>
# Arguments go to bench/line.php (--phases=a,b --modes=line,fixed --latency-ms=2000 ...).
# Env: SLUICE_ACTION_SCHEDULER_DIR, a real Action Scheduler (see tools/wordpress); the bed's ports as in
# demo/burn-in.sh (SLUICE_BURN_IN_HTTP_PORT, _DB_PORT, _PROVIDER_PORT, _STACK_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
export SLUICE_BURN_IN_BED=bench-line
export SLUICE_BURN_IN_MU_PLUGIN=bench/gate-probe.php
export SLUICE_BURN_IN_DRIVER=bench/line.php
bench_burn_in "$@"
bench_summary '^ratio_' "bench-line: no summary line"
