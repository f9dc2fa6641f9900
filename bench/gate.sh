#!/usr/bin/env bash
# `make bench-gate`: the WordPress gate measured in one run, on a test bed of
# its own (demo/burn-in.sh's, with bench/gate-probe.php as a must-use plugin):
# the gate's time per action for admit and defer (the before_execute listeners
# around Sluice's), SQL queries per AI action with Sluice alone and with Data
# Machine's limiter also active, queries per deferral, makespan / ideal, and
# their ratios. Arguments go to bench/gate.php (--items=8 --runners=4 ...).
# Its LAST line (after the bed's shutdown message):
#   gate-queries pass=<per non-AI action> admit_native=<...> admit_database=<...> defer_native=<...> sweep_database=<...>
# Env: SLUICE_ACTION_SCHEDULER_DIR, a real Action Scheduler (see tools/wordpress).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
export SLUICE_BURN_IN_BED=bench-gate
export SLUICE_BURN_IN_MU_PLUGIN=bench/gate-probe.php
export SLUICE_BURN_IN_DRIVER=bench/gate.php
bench_burn_in "$@"
bench_summary '^gate-queries ' "bench-gate: no gate-queries line"
