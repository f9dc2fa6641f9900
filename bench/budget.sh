#!/usr/bin/env bash
# `make bench-budget`: the rate budgets in one run, on a test bed of its own (demo/burn-in.sh's bed bench-budget; see
# bench/budget.php): the fake provider enforces 30 requests and a tokens-per-minute budget a minute and sends
# OpenAI's x-ratelimit-* headers; 3 flows x 20 items through real CLI queue runners, Sluice with the same budgets
# (rpm_limits, tpm_limits). Its last line:
#   budget provider_429s=<n> rpm_peak=<most requests in any 60 s> rpm_limit=30 tpm_peak=<...> tpm_limit=<...> failed=<n> processed=<n/N>
# Arguments go to bench/budget.php (--tpm=<tokens per minute> --runners=<n> --latency-ms=<ms> --backend=<native|database|redis>).
# Env: SLUICE_ACTION_SCHEDULER_DIR, a real Action Scheduler (see tools/wordpress); the bed's ports as in
# demo/burn-in.sh (SLUICE_BURN_IN_HTTP_PORT, _DB_PORT, _PROVIDER_PORT, _STACK_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
export SLUICE_BURN_IN_BED=bench-budget
export SLUICE_BURN_IN_DRIVER=bench/budget.php
bench_burn_in "$@"
bench_summary '^budget provider_429s=' "bench-budget: no summary line"
