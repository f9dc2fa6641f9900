# Sourced by the project's bash scripts (test runners, bench, demo, the
# Makefile's demo-cli, tools/wp-stack) for the two things every one of them
# needs of the built extension: a snapshot of it, and the file of a segment.
# Functions only; sourcing it changes nothing. Paths are relative to the
# repository root, which the callers cd to.

# sluice_snapshot_ext DIR [SOURCE]: copies SOURCE (default
# ext-build/modules/sluice.so) to DIR/sluice.so, world-readable (DIR too), and
# prints that path. Replaces an earlier snapshot in DIR by rename, so a process
# that has the earlier one loaded keeps it.
#
# Why a snapshot: tools/build-ext never rewrites sluice.so in place (it
# unlinks the old file before make installs a new one, so running processes
# keep the inode they mapped), but several people and scripts build in this
# tree at once, and a run that starts PHP processes over minutes (FPM
# restarts, CLI children) must load the same build in every one of them, not
# whatever the latest rebuild left in ext-build/ (a layout bump would put them
# on different segments; a failed rebuild leaves no sluice.so there at all). The copy is also readable by the users
# the tests and FPM's pool run as (www-data, nobody), wherever the checkout is.
sluice_snapshot_ext() {
  local dir=$1 src=${2:-ext-build/modules/sluice.so}
  [ -f "$src" ] || { echo "sluice_snapshot_ext: $src does not exist; run tools/build-ext" >&2; return 1; }
  mkdir -p "$dir"
  chmod 755 "$dir"
  cp "$src" "$dir/sluice.so.tmp$$"
  chmod 755 "$dir/sluice.so.tmp$$"
  mv -f "$dir/sluice.so.tmp$$" "$dir/sluice.so"
  echo "$(cd "$dir" && pwd -P)/sluice.so"
}

# sluice_segment_path EXT NAME: the file of segment NAME as the extension EXT
# names it (Sluice\segment_path(), which carries Sluice\LAYOUT_VERSION), so
# that a layout bump never leaves a script cleaning up a name nobody uses.
sluice_segment_path() {
  # shellcheck disable=SC2016  # PHP code
  php -n -d extension="$1" -r 'echo Sluice\segment_path($argv[1]);' "$2"
}

# sluice_remove_segment EXT NAME...: removes each segment and its lock. Only
# safe once no process has the segment mapped, or for one nobody uses any more.
sluice_remove_segment() {
  local ext=$1 name path
  shift
  for name in "$@"; do
    path=$(sluice_segment_path "$ext" "$name") || return 1
    rm -f "$path" "$path.lock"
  done
}

# ---- a private stack for one script (bench/fpm-gate.sh, demo/fpm-demo.sh) ----
#
# The caller sets $segment and exports SLUICE_STACK_DIR first.
# stack_snapshot_take DOCROOT_SOURCE NAME_PREFIX makes $work, a fresh directory
# holding the extension's snapshot ($work/sluice.so) and a world-readable copy
# of the docroot ($work/www: the pool runs as www-data, which must read it
# wherever the checkout lives), and stops a stack an earlier run left in
# SLUICE_STACK_DIR. On exit, whatever happened, the stack goes down and the
# segment and $work are removed; a caller may set $stack_exit_message to say
# so on stderr.
stack_snapshot_take() {
  work=$(mktemp -d "/tmp/$2-XXXXXX")
  trap stack_snapshot_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  sluice_snapshot_ext "$work" >/dev/null
  cp -a "$1" "$work/www"
  chmod -R a+rX "$work"
  stack_snapshot_down
}

# Stops the stack in SLUICE_STACK_DIR and forgets its segment.
stack_snapshot_down() {
  tools/stack down >/dev/null 2>&1 || true
  sluice_remove_segment "$work/sluice.so" "$segment" || true
}

stack_snapshot_cleanup() {
  [ -z "${stack_exit_message:-}" ] || echo "$stack_exit_message" >&2
  stack_snapshot_down
  rm -rf "$work"
}
