#!/usr/bin/env bash
# A throwaway Redis on loopback for the test bed (tools/wp-stack) and the
# benchmarks: Debian's redis-server, in a folder of its own, on a port of its
# own, without persistence (a restart empties it, as a Redis restart without
# RDB/AOF does in production), started in the foreground in a session of its
# own and stopped by its recorded pid + start time, never by name and never
# through the init system.
#
# Sourced (functions only; sourcing changes nothing) or run:
#   tools/stack.d/redis.bash start|stop|restart|status DIR PORT [cluster]
# `restart` is a crash-restart: SIGKILL, then a fresh empty server on the
# same port (what the Redis-restart tests and bench-backends do mid-run).
# `cluster`: a one-node Redis Cluster owning all 16384 slots (it refuses a
# script that touches keys of two slots, as a real Cluster does).

# redis_proc_start PID: field 22 of /proc/PID/stat (start time), or fails.
redis_proc_start() {
  local stat rest
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $rest
  [ "$1" != Z ] || return 1
  echo "${20}"
}

# redis_owned_pid DIR: the pid of the server this folder started, if it still runs.
redis_owned_pid() {
  local dir=$1 pid start now
  [ -f "$dir/redis.owned" ] || return 1
  read -r pid start <"$dir/redis.owned" || return 1
  now=$(redis_proc_start "$pid") || return 1
  [ "$now" = "$start" ] || return 1
  echo "$pid"
}

redis_ping() {
  [ "$(redis-cli -h 127.0.0.1 -p "$1" --no-auth-warning ping 2>/dev/null)" = PONG ]
}

# redis_cluster_ok PORT: the node answers and its cluster state is ok.
redis_cluster_ok() {
  redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null | grep -q '^cluster_state:ok'
}

# redis_start DIR PORT [cluster]: starts the server (idempotent); its socket is DIR/redis.sock.
redis_start() {
  local dir=$1 port=$2 mode=${3:-} pid i
  [[ $port =~ ^[0-9]+$ ]] || { echo "redis: the port must be a number, got '$port'" >&2; return 1; }
  command -v redis-server >/dev/null || { echo "redis: redis-server is not installed (run tools/install-deps)" >&2; return 1; }
  if pid=$(redis_owned_pid "$dir"); then return 0; fi
  if redis_ping "$port"; then
    echo "redis: 127.0.0.1:$port answers, but not a server started from $dir; choose another port" >&2
    return 1
  fi
  mkdir -p "$dir"
  chmod 755 "$dir"
  # save "" and appendonly no: no persistence. unixsocketperm 777: PHP-FPM's pool user reaches the socket too.
  cat >"$dir/redis.conf" <<EOF
bind 127.0.0.1
port $port
unixsocket $dir/redis.sock
unixsocketperm 777
dir $dir
daemonize no
save ""
appendonly no
logfile $dir/redis.log
maxmemory-policy noeviction
EOF
  if [ "$mode" = cluster ]; then
    rm -f "$dir/nodes.conf"
    printf 'cluster-enabled yes\ncluster-config-file %s/nodes.conf\ncluster-announce-ip 127.0.0.1\n' "$dir" >>"$dir/redis.conf"
  fi
  setsid redis-server "$dir/redis.conf" </dev/null >>"$dir/redis.log" 2>&1 9>&- &
  pid=$!
  printf '%s %s\n' "$pid" "$(redis_proc_start "$pid" || echo 0)" >"$dir/redis.owned"
  for ((i = 0; i < 100; i++)); do
    if redis_ping "$port"; then
      [ "$mode" = cluster ] || return 0
      redis-cli -h 127.0.0.1 -p "$port" cluster addslotsrange 0 16383 >/dev/null
      for ((i = 0; i < 100; i++)); do
        if redis_cluster_ok "$port"; then return 0; fi
        sleep 0.05
      done
      break
    fi
    if ! redis_owned_pid "$dir" >/dev/null; then break; fi
    sleep 0.05
  done
  tail -n 20 "$dir/redis.log" >&2 || true
  echo "redis: redis-server did not start on 127.0.0.1:$port (log: $dir/redis.log)" >&2
  return 1
}

# redis_stop DIR [SIGNAL]: stops the server this folder started (TERM by default; KILL for a crash).
redis_stop() {
  local dir=$1 signal=${2:-TERM} pid i
  if pid=$(redis_owned_pid "$dir"); then
    kill "-$signal" "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      redis_owned_pid "$dir" >/dev/null || break
      sleep 0.05
    done
    if redis_owned_pid "$dir" >/dev/null; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
  fi
  rm -f "$dir/redis.owned" "$dir/redis.sock"
}

# redis_restart DIR PORT: a crash and a fresh start; the new server holds nothing.
redis_restart() {
  redis_stop "$1" KILL
  redis_start "$1" "$2"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case ${1:-} in
    start) redis_start "$2" "$3" "${4:-}" ;;
    stop) redis_stop "$2" ;;
    restart) redis_restart "$2" "$3" ;;
    status) redis_owned_pid "$2" ;;
    *) sed -n '9,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
fi
