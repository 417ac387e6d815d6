#!/usr/bin/env bash
# A Spark standalone cluster on this machine: one master and two workers, from
# the pyspark installation of the project's venv (no separate Spark download).
#
#   scripts/spark-cluster.sh start    start master + 2 workers; prints the master URL
#   scripts/spark-cluster.sh status   prints spark://HOST:PORT (exit 1 when not running)
#   scripts/spark-cluster.sh stop     stops what start started (by pid, nothing else)
#
# Then:  fusioncell --engine spark --spark-master spark://HOST:PORT network CASE
#
# Settings (environment): PYTHON (default .venv/bin/python, else python3),
# SPARK_CLUSTER_DIR (state, logs, pids; default ~/.cache/fusioncell/spark-cluster),
# SPARK_WORKER_CORES (1), SPARK_WORKER_MEMORY (1g), SPARK_MASTER_HOST (127.0.0.1),
# SPARK_MASTER_PORT (a free port), SPARK_CLUSTER_WAIT_S (120).
# Needs Java 17+ on the PATH (or JAVA_HOME). docs/store.md explains the engines.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
  if [[ -x "$here/.venv/bin/python" ]]; then PYTHON="$here/.venv/bin/python"; else PYTHON=python3; fi
fi
state="${SPARK_CLUSTER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fusioncell/spark-cluster}"
cores="${SPARK_WORKER_CORES:-1}"
memory="${SPARK_WORKER_MEMORY:-1g}"
host="${SPARK_MASTER_HOST:-127.0.0.1}"
wait_s="${SPARK_CLUSTER_WAIT_S:-120}"

die() { echo "spark-cluster: error: $*" >&2; exit 2; }

spark_home() {
  "$PYTHON" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null \
    || die "no pyspark in $PYTHON (pip install -e '.[spark]')"
}

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

running() {
  alive "$state/master.pid" && alive "$state/worker-1.pid" && alive "$state/worker-2.pid" && [[ -f "$state/url" ]]
}

# wait_for FILE PATTERN PIDFILE: until PATTERN appears in the log FILE (or the process died / time ran out)
wait_for() {
  local deadline=$((SECONDS + wait_s))
  until grep -q "$2" "$1" 2>/dev/null; do
    alive "$3" || { tail -n 20 "$1" >&2 || true; die "$(basename "$3" .pid) exited; log: $1"; }
    (( SECONDS < deadline )) || die "$(basename "$3" .pid) not ready after ${wait_s}s; log: $1"
    sleep 0.5
  done
}

launch() {  # launch NAME CLASS ARGS...: run a Spark daemon in the background, pid in $state/NAME.pid
  local name="$1"; shift
  SPARK_HOME="$SH" SPARK_LOG_DIR="$state" SPARK_WORKER_DIR="$state/work" SPARK_NO_DAEMONIZE=1 \
    SPARK_DAEMON_MEMORY="${SPARK_DAEMON_MEMORY:-256m}" PYSPARK_PYTHON="$PYTHON" \
    nohup nice "$SH/bin/spark-class" "$@" >"$state/$name.log" 2>&1 </dev/null &
  echo $! >"$state/$name.pid"
}

start() {
  if running; then cat "$state/url"; return 0; fi
  command -v java >/dev/null || [[ -n "${JAVA_HOME:-}" ]] || die "no java on PATH (Java 17 is needed)"
  stop_quiet
  SH="$(spark_home)"
  mkdir -p "$state/work"
  local port="${SPARK_MASTER_PORT:-$(free_port)}"
  local url="spark://$host:$port"
  launch master org.apache.spark.deploy.master.Master --host "$host" --port "$port" --webui-port "$(free_port)"
  wait_for "$state/master.log" "Starting Spark master at" "$state/master.pid"
  for i in 1 2; do
    launch "worker-$i" org.apache.spark.deploy.worker.Worker --host "$host" --cores "$cores" --memory "$memory" \
      --webui-port "$(free_port)" --work-dir "$state/work" "$url"
  done
  for i in 1 2; do
    wait_for "$state/worker-$i.log" "Successfully registered with master" "$state/worker-$i.pid"
  done
  echo "$url" >"$state/url"
  echo "$url"
}

stop_quiet() {
  local f
  for f in "$state"/worker-2.pid "$state"/worker-1.pid "$state"/master.pid; do
    if alive "$f"; then
      local pid; pid="$(cat "$f")"
      # spark-class execs java, so the pid is the JVM itself
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
  rm -f "$state/url"
}

case "${1:-}" in
  start) start ;;
  stop) stop_quiet; echo "stopped" ;;
  status)
    if running; then cat "$state/url"; else echo "not running" >&2; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
