#!/usr/bin/env bash
# FPM-level benchmark of the Sluice gate: the throughput of a tiny endpoint
# through nginx + PHP-FPM without (plain.php) and with (gate.php: Limiter +
# tryAcquire + release) the gate, in the same run, interleaved A B A B ...
# Prints requests/s of both, their ratio, and the gate's cost per request in
# µs (difference of mean latencies; CPU time from the throughputs; and timed
# inside a worker by gate-cost.php).
#
#   bench/fpm-gate.sh            (as root; needs wrk, or ab from apache2-utils)
#
# Env: WORKERS (4), CONCURRENCY (8), SECONDS_PER_ROUND (5), ROUNDS (3), THREADS (2),
#      SLUICE_BENCH_STACK_DIR (/tmp/sluice-fpm-bench), SLUICE_BENCH_HTTP_PORT (8092),
#      SLUICE_BENCH_DB_PORT (3310)
set -euo pipefail
cd "$(dirname "$0")/.."
workers=${WORKERS:-4}
conc=${CONCURRENCY:-8}
secs=${SECONDS_PER_ROUND:-5}
rounds=${ROUNDS:-3}
threads=${THREADS:-2}
segment=sluice-fpm-bench
export SLUICE_STACK_DIR=${SLUICE_BENCH_STACK_DIR:-/tmp/sluice-fpm-bench}
export SLUICE_HTTP_PORT=${SLUICE_BENCH_HTTP_PORT:-8092}
export SLUICE_DB_PORT=${SLUICE_BENCH_DB_PORT:-3310}
base=http://127.0.0.1:$SLUICE_HTTP_PORT

# ---- load generator: wrk, else ab (apache2-utils); this script installs nothing ----
tool=
if command -v wrk >/dev/null; then tool=wrk
elif command -v ab >/dev/null; then tool=ab
fi
[ -n "$tool" ] || { echo "fpm-gate: needs wrk or ab (apt-get install wrk, or apache2-utils for ab)" >&2; exit 1; }

# ---- the stack, on a snapshot of the extension and of bench/fpm-www ----
tools/build-ext
. tools/stack.d/sluice.bash
stack_snapshot_take bench/fpm-www sluice-fpm-bench
SLUICE_EXT=$work/sluice.so SLUICE_DOCROOT=$work/www SLUICE_FPM_WORKERS=$workers \
SLUICE_PHP_INI_EXTRA=$(printf 'sluice.segment = %s\nsluice.file_mode = "0660"\nsluice.group = www-data' "$segment") \
  tools/stack up >/dev/null

check() {
  local body
  body=$(curl -fsS "$base/$1") || { echo "fpm-gate: $1 failed" >&2; exit 1; }
  [ "$body" = ok ] || { echo "fpm-gate: $1 answered '$body'" >&2; exit 1; }
}
check plain.php
check gate.php

# run_round URL SECONDS -> "rps mean_us p50_us p99_us non2xx errors"
run_round() {
  local url=$1 s=$2 out
  if [ "$tool" = wrk ]; then
    out=$(wrk -t"$threads" -c"$conc" -d"${s}s" -s bench/fpm-gate.lua "$url")
    sed -n 's/^RESULT //p' <<<"$out" | awk '{
      for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      print v["rps"], v["mean_us"], v["p50_us"], v["p99_us"], v["non2xx"], v["errors"] }'
  else
    out=$(ab -q -c "$conc" -t "$s" -n 100000000 "$url" 2>&1)
    awk '/^Requests per second/ {rps=$4}
         /^Time per request:.*\(mean\)$/ {mean=$4 * 1000}
         /^Non-2xx responses/ {non=$3}
         /^Failed requests/ {err=$3}
         /^  99%/ {p99=$2 * 1000}
         /^  50%/ {p50=$2 * 1000}
         END {printf "%.1f %.1f %d %d %d %d\n", rps, mean, p50, p99, non + 0, err + 0}' <<<"$out"
  fi
}

echo "fpm-gate: $tool, $workers FPM workers (www-data), concurrency $conc, $rounds x ${secs}s per variant, interleaved; $(nproc) CPUs"
run_round "$base/plain.php" 1 >/dev/null   # warm-up: opcache, connections
run_round "$base/gate.php" 1 >/dev/null
results=()
for ((r = 1; r <= rounds; r++)); do
  for v in plain gated; do
    page=plain.php; [ "$v" = gated ] && page=gate.php
    results+=("$r $v $(run_round "$base/$page" "$secs")")
  done
done
cost=$(curl -fsS "$base/gate-cost.php?n=20000")

# The report reads the server side (Sluice\status()) on the pool's segment.
printf '%s\n' "${results[@]}" |
  php -d extension="$work/sluice.so" -d sluice.segment=$segment -d sluice.file_mode=0660 -d sluice.group=www-data \
    bench/fpm-gate-report.php "$cost" "$(nproc)" "$conc"
