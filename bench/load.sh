#!/usr/bin/env bash
# `make bench-load`: the burn-in under load (a benchmark, not a CI test): 8 concurrent CLI queue runners
# (WP-Cron through PHP-FPM joining every second) x 3 flows x 100 items through the fixture pipeline, Sluice on,
# against a provider that takes `limit` (2) requests at once. Reports items lost (jobs neither completed nor
# failed, items not processed), jobs failed and the provider's most requests served at once. Runs on a test
# bed of its own (demo/burn-in.sh's), always brought down. Its LAST line:
#   load: items=<n> runners=<n> jobs_completed=<n> jobs_failed=<n> jobs_unfinished=<n> items_processed=<n>
#   items_lost=<n> provider_max_in_flight=<n> limit=<n> deferrals=<n> makespan=<s> ideal=<s> step_actions=<json>
# Arguments go to demo/burn-in.php and override the defaults below.
# Env: SLUICE_ACTION_SCHEDULER_DIR, a real Action Scheduler (see tools/wordpress).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
export SLUICE_BURN_IN_BED=bench-load
export SLUICE_FPM_WORKERS=${SLUICE_FPM_WORKERS:-4}
bench_burn_in --modes=on --flows=3 --items=100 --runners=8 --latency-ms=300 --limit=2 \
  --request-timeout=5 --live-every=5 --timeout=1200 --load-report "$@"
bench_summary '^load: ' "bench-load: no report line"
