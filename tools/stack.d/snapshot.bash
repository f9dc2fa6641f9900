# Sourced by scripts that bring tools/stack up on a private snapshot of the
# extension and of a docroot (bench/fpm-gate.sh, demo/fpm-demo.sh).
#
# Why a snapshot: a rebuild rewrites ext-build/modules/sluice.so in place, and
# a process that has the rewritten .so mapped crashes; and the pool runs as
# www-data, which must be able to read the docroot wherever the checkout lives.
#
# The caller sets $segment and exports SLUICE_STACK_DIR first. Afterwards
# $work holds sluice.so and www/, and on exit the stack goes down, the segment
# is removed and so is $work, whatever happened. A caller may set
# $snapshot_exit_message to say so on stderr.

# snapshot_take DOCROOT_SOURCE NAME_PREFIX
snapshot_take() {
  work=$(mktemp -d "/tmp/$2-XXXXXX")
  trap snapshot_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  cp ext-build/modules/sluice.so "$work/sluice.so"
  cp -a "$1" "$work/www"
  chmod 755 "$work"
  chmod -R a+rX "$work"
  snapshot_stack_down
}

# Stops a stack left from an earlier run and forgets its segment.
snapshot_stack_down() {
  tools/stack down >/dev/null 2>&1 || true
  rm -f "/dev/shm/sluice.v1.$segment" "/dev/shm/sluice.v1.$segment.lock"
}

snapshot_cleanup() {
  [ -z "${snapshot_exit_message:-}" ] || echo "$snapshot_exit_message" >&2
  snapshot_stack_down
  rm -rf "$work"
}
