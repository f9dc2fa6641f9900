#!/usr/bin/env bash
# `make bench-adaptive`: the provider protection in one run, on a test bed of its own (demo/burn-in.sh's, with
# the provider call log as a must-use plugin; see bench/adaptive.php): 3 flows x 20 items, 2 s calls, a provider
# ceiling of 8 against the capacity schedule 4 for 40 s, 1 for 40 s, then 3: Sluice adaptive, fixed at 1, fixed
# at 8 and Data Machine's own limiter at its default; the outage (connections refused for 60 s); the backoff
# storm (slot-seconds held while sleeping, give-back off and on). Its last two lines:
#   outage failed=<n> processed=<n/N> probes_during_outage=<n> cooldowns=<n> breaker_opens=<n>
#   adaptive goodput_ratio=<x> failed=<n> processed=<n/N> over_capacity_share=<x> fixed1_goodput_ratio=<x> fixed8_failed=<n> breaker_opens=<n>
# Arguments go to bench/adaptive.php (--runs=adaptive,fixed1,fixed8,dm,outage,storm --over-capacity=429|stall ...).
# Env: SLUICE_ACTION_SCHEDULER_DIR, a real Action Scheduler (see tools/wordpress); the bed's ports as in
# demo/burn-in.sh (SLUICE_BURN_IN_HTTP_PORT, _DB_PORT, _PROVIDER_PORT, _STACK_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
export SLUICE_BURN_IN_BED=bench-adaptive
export SLUICE_BURN_IN_MU_PLUGIN=php-tests/wp/mu-plugins/sluice-test-provider-calls.php
export SLUICE_BURN_IN_DRIVER=bench/adaptive.php
bench_burn_in "$@"
# The summaries stay the last lines, after the bed's shutdown message.
grep -E '^(storm|outage) ' "$bench_out" | tail -n 2 || true
bench_summary '^adaptive goodput_ratio=' "bench-adaptive: no summary line"
