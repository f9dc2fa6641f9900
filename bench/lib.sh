#!/usr/bin/env bash
# What the bench/ scripts share (sourced, from the repository root, under set -euo pipefail).

# bench_burn_in ARGS...: runs demo/burn-in.sh with ARGS on the bed the caller chose (SLUICE_BURN_IN_BED, _MU_PLUGIN,
# _DRIVER exported), its output shown as it comes and kept in the file $bench_out (removed at exit); its exit status
# in $bench_rc.
bench_burn_in() {
  bench_out=$(mktemp)
  trap 'rm -f "$bench_out"' EXIT
  set +e
  demo/burn-in.sh "$@" 2>&1 | tee "$bench_out"
  bench_rc=${PIPESTATUS[0]}
  set -e
}

# bench_summary ERE MISSING: the run's last line matching ERE once more, so that the summary is the script's last
# line (after the bed's shutdown message); then exits with the burn-in's status, or prints MISSING and exits 1 when
# no line matched.
bench_summary() {
  grep -E "$1" "$bench_out" | tail -n 1 || { echo "$2" >&2; exit 1; }
  exit "$bench_rc"
}

# bench_stack_up: a fresh tools/wp-stack bed (SLUICE_STACK_DIR and the ports exported by the caller), brought down
# at exit however the script ends; its environment (the stack's env file) sourced.
bench_stack_up() {
  trap bench_stack_down EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  tools/build-ext >/dev/null
  bench_stack_down
  rm -rf "$SLUICE_STACK_DIR" "$SLUICE_STACK_DIR-wp"
  local env_file
  env_file=$(tools/wp-stack up 2>/dev/null)
  # shellcheck source=/dev/null
  . "$env_file"
}

bench_stack_down() { tools/wp-stack down >/dev/null 2>&1 || true; }
