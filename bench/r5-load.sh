#!/usr/bin/env bash
# The R5 load run (a script, not a CI test): 8 concurrent CLI queue runners
# (WP-Cron through PHP-FPM joining every second) x 3 flows x 100 items through the
# fixture pipeline, Sluice on, against a provider that takes `limit` requests
# at once. Reports items lost (jobs neither completed nor failed, items not
# processed), jobs failed and the provider's most requests served at once.
# Runs on a test bed of its own, always brought down; the report is the last line
# (r5: ...). Arguments go to demo/burn-in.php and override the defaults below.
# Env: SLUICE_ACTION_SCHEDULER_DIR, a real Action Scheduler (see tools/wordpress).
set -euo pipefail
cd "$(dirname "$0")/.."
export SLUICE_BURNIN_BED=r5-load
export SLUICE_FPM_WORKERS=${SLUICE_FPM_WORKERS:-4}
exec demo/burn-in.sh --modes=on --flows=3 --items=100 --runners=8 --latency-ms=300 --limit=2 \
  --request-timeout=5 --live-every=5 --timeout=1200 --r5 "$@"
