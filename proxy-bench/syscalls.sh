#!/usr/bin/env bash
# System calls per session of the standalone server: strace -c -f on every thread of a running
# `serve` while the load generator opens N SOCKS5 sessions one at a time (or --concurrency C).
# Counts, not times: the figure holds on a busy machine (strace itself slows the sessions down).
#
#   proxy-bench/syscalls.sh [--transport auto|io_uring|epoll|nio] [--sessions 2000] [--concurrency 1]
#
# Prints the strace summary and "syscalls per session: N". All traffic stays on 127.0.0.1.
set -euo pipefail
DIR="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(dirname "$DIR")"
TRANSPORT=auto; SESSIONS=2000; CONCURRENCY=1
while [ $# -gt 0 ]; do
  case "$1" in
    --transport) TRANSPORT="$2"; shift 2 ;;
    --sessions) SESSIONS="$2"; shift 2 ;;
    --concurrency) CONCURRENCY="$2"; shift 2 ;;
    *) echo "usage: $0 [--transport NAME] [--sessions N] [--concurrency C]" >&2; exit 2 ;;
  esac
done
command -v strace >/dev/null || { echo "syscalls.sh: strace is not installed (apt-get install strace)" >&2; exit 2; }
JAR="${SALLYPORT_JAR:-$ROOT/sallyport-server/target/sallyport.jar}"
[ -f "$JAR" ] || (cd "$ROOT" && mvn -B -q -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip -pl sallyport-server -am package)
WORK="$(mktemp -d /tmp/sallyport-syscalls.XXXXXX)"
SERVER=""; TRACER=""
cleanup() {
  [ -n "$TRACER" ] && kill "$TRACER" 2>/dev/null || true
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
java -jar "$JAR" serve --socks5 0 --no-access-log --transport "$TRANSPORT" >"$WORK/out" 2>"$WORK/err" &
SERVER=$!
for _ in $(seq 1 300); do grep -q '^ready' "$WORK/out" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready' "$WORK/out" || { cat "$WORK/err" >&2; exit 1; }
PORT=$(sed -n 's/^listening socks5 127.0.0.1:\([0-9]*\)$/\1/p' "$WORK/out")
grep 'Using the' "$WORK/err" | sed 's/^.* - //'
# Warm up unrecorded: class loading and the JIT's first compilations are not the steady state.
timeout 120 "$DIR/load.sh" --target "socks5://127.0.0.1:$PORT" --modes sessions --concurrency "$CONCURRENCY" \
  --warmup 1ms --duration 60s --max-sessions "$SESSIONS" >/dev/null 2>&1
# Every thread of the server, as it is now (no thread is started by a session).
TASKS=(); for t in /proc/"$SERVER"/task/*; do TASKS+=(-p "${t##*/}"); done
strace -c -f -o "$WORK/strace" "${TASKS[@]}" 2>/dev/null &
TRACER=$!
sleep 1  # strace attaches to each thread before it returns control; give it that second
timeout 300 "$DIR/load.sh" --target "socks5://127.0.0.1:$PORT" --modes sessions --concurrency "$CONCURRENCY" \
  --warmup 1ms --duration 240s --max-sessions "$SESSIONS" >"$WORK/result" 2>&1
kill -INT "$TRACER"; wait "$TRACER" 2>/dev/null || true; TRACER=""
cat "$WORK/strace"
DONE=$(grep -o 'sessions=[0-9]*' "$WORK/result" | head -1 | cut -d= -f2)
TOTAL=$(awk '$NF == "total" {print $(NF-2)}' "$WORK/strace")
echo "sessions: $DONE; syscalls: $TOTAL; syscalls per session: $(awk -v t="$TOTAL" -v s="$DONE" 'BEGIN {printf "%.1f", t / s}')"
