#!/usr/bin/env bash
# FPM-level benchmark of the Sluice gate: the throughput of a tiny endpoint
# through nginx + PHP-FPM without (plain.php) and with (gate.php: Limiter +
# tryAcquire + release) the gate, in the same run, interleaved A B A B ...
# Prints requests/s of both, their ratio, and the gate's cost per request in
# µs (difference of mean latencies; CPU time from the throughputs; and timed
# inside a worker by gate-cost.php).
#
#   bench/fpm-gate.sh            (as root; installs wrk with apt-get if missing)
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

# ---- load generator: wrk, else ab (apache2-utils), installed if missing ----
tool=
if command -v wrk >/dev/null; then tool=wrk
elif command -v ab >/dev/null; then tool=ab
elif [ "$(id -u)" -eq 0 ]; then
  echo "fpm-gate: installing wrk (apt-get)" >&2
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk >/dev/null 2>&1 ||
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends apache2-utils >/dev/null 2>&1 || true
  fi
  if command -v wrk >/dev/null; then tool=wrk; elif command -v ab >/dev/null; then tool=ab; fi
fi
[ -n "$tool" ] || { echo "fpm-gate: needs wrk or ab (apt-get install wrk), run as root to install" >&2; exit 1; }

# ---- the stack, on a snapshot of the extension and of bench/fpm-www ----
tools/build-ext
. tools/stack.d/snapshot.bash
snapshot_take bench/fpm-www sluice-fpm-bench
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
# shellcheck disable=SC2016  # PHP code, not shell expansions
status=$(php -d extension="$work/sluice.so" -d sluice.segment=$segment -d sluice.file_mode=0660 -d sluice.group=www-data \
  -r '$s = Sluice\status()["bench:gate"]; printf("%d %d %d %d %d\n", $s["acquired"], $s["released"], $s["throttled"], $s["peak"], $s["active"]);')

# shellcheck disable=SC2016  # PHP code, not shell expansions
printf '%s\n' "${results[@]}" | COST=$cost STATUS=$status NCPU=$(nproc) CONC=$conc php -r '
$rows = array_map(fn($l) => sscanf($l, "%d %s %f %f %d %d %d %d"), file("php://stdin", FILE_IGNORE_NEW_LINES));
$median = function (array $v) { sort($v); $n = count($v); return $n % 2 ? $v[intdiv($n, 2)] : ($v[$n / 2 - 1] + $v[$n / 2]) / 2; };
$by = [];
printf("\n  %-6s  %-7s  %10s  %9s  %8s  %8s  %7s  %6s\n", "round", "variant", "req/s", "mean µs", "p50 µs", "p99 µs", "non-2xx", "errors");
$bad = 0;
foreach ($rows as [$r, $v, $rps, $mean, $p50, $p99, $non, $err]) {
    printf("  %-6d  %-7s  %10.0f  %9.1f  %8d  %8d  %7d  %6d\n", $r, $v, $rps, $mean, $p50, $p99, $non, $err);
    $by[$v]["rps"][] = $rps; $by[$v]["mean"][] = $mean; $bad += $non + $err;
}
foreach (["mean" => fn($a) => array_sum($a) / count($a), "median" => $median] as $name => $f) {
    foreach (["plain", "gated"] as $v) {
        printf("  %-6s  %-7s  %10.0f  %9.1f\n", $name, $v, $f($by[$v]["rps"]), $f($by[$v]["mean"]));
    }
}
$ra = $median($by["plain"]["rps"]); $rb = $median($by["gated"]["rps"]);
$la = $median($by["plain"]["mean"]); $lb = $median($by["gated"]["mean"]);
$ncpu = (int) getenv("NCPU"); $conc = (int) getenv("CONC");
$cost = json_decode(getenv("COST"), true);
[$acq, $rel, $thr, $peak, $act] = array_map("intval", explode(" ", getenv("STATUS")));
echo "\n  (from the medians of the rounds)\n";
printf("  throughput gated/plain:                 %.3f (%+.1f%%)\n", $rb / $ra, ($rb / $ra - 1) * 100);
printf("  gate cost, difference of mean latency:  %+.1f µs per request at concurrency %d\n", $lb - $la, $conc);
printf("  gate cost, CPU time from throughput:    %+.1f µs per request (%d CPUs x (1/rps gated - 1/rps plain))\n", $ncpu * (1e6 / $rb - 1e6 / $ra), $ncpu);
printf("  gate cost timed inside an FPM worker:   %.2f µs (new Limiter + tryAcquire + release), %.2f µs (tryAcquire + release), n=%d\n",
    $cost["full_gate_ns"] / 1000, $cost["pair_ns"] / 1000, $cost["n"]);
printf("  server side, key bench:gate:            acquired %d, released %d, throttled %d, peak %d, active %d\n", $acq, $rel, $thr, $peak, $act);
if ($bad > 0 || $acq !== $rel || $act !== 0) { echo "  FAILED: errors, non-2xx answers or unreleased leases (see above)\n"; exit(1); }
'
