#!/usr/bin/env bash
# `make bench-burn-in`: the burn-in (demo/burn-in.sh) once with Sluice on, on a
# test bed of its own, with bench/gate-probe.php counting SQL queries per AI
# action. Its LAST line:
#   makespan_ratio=<makespan / ideal> failed=<n> processed=<n>/<N> max_in_flight=<n> limit=<n>
#   deferrals=<n> queries_per_ai_action=<x> handoff_ms_median=<median ms from one AI step's end to the next
#   one's start, limit 1, from Site::aiRuns()> action_scheduler=<which, version>
# (ideal = N items x service time / limit). Arguments go to demo/burn-in.php.
# Env: SLUICE_ACTION_SCHEDULER_DIR, a real Action Scheduler (see tools/wordpress).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
export SLUICE_BURN_IN_BED=bench-burn-in
export SLUICE_BURN_IN_MU_PLUGIN=bench/gate-probe.php
bench_burn_in --modes=on --probe --summary "$@"
bench_summary '^makespan_ratio=' "bench-burn-in: no summary line"
