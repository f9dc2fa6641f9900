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
export SLUICE_BURN_IN_BED=bench-burn-in
export SLUICE_BURN_IN_MU_PLUGIN=bench/gate-probe.php
out=$(mktemp)
trap 'rm -f "$out"' EXIT
set +e
demo/burn-in.sh --modes=on --probe --summary "$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e
# The summary stays the last line, after the bed's shutdown message.
grep '^makespan_ratio=' "$out" | tail -n 1 || { echo "bench-burn-in: no summary line" >&2; exit 1; }
exit "$rc"
