#!/usr/bin/env bash
# Soak: the standalone server under N minutes of mixed load on loopback, sampled every minute.
#
#   proxy-bench/soak.sh                  30 minutes
#   proxy-bench/soak.sh --minutes 2      a quick check of the script
#   options: --minutes N   --jdbc-url URL (accounting into that PostgreSQL; its gauges are sampled too)   --keep
#
# What runs (everything on 127.0.0.1; every process started here is stopped on exit):
#  - bin/sallyport serve (sallyport-server/target/sallyport.jar) with SOCKS5 and HTTP listeners, one user, metrics on;
#  - the load generator (load.sh's main class) in rounds of at most 20 s, in turn: SOCKS5 sessions with
#    a password (20 in flight), bulk transfer through SOCKS5 (64 MiB down and up), HTTP CONNECT sessions;
#  - SoakTraffic (proxy-bench), all the time: HTTP forwarding, UDP ASSOCIATE datagrams, BIND, failed logins.
# Every minute it records the server's RSS, open fds and threads (/proc/PID), the gauges
# proxy_buffer_pending_bytes and proxy_connections_active (and the accounting ones with --jdbc-url),
# sessions, session errors (outcome neither ok nor the intended auth_failed) and failed logins from
# /metrics, the load generator's results and errors, SoakTraffic's ok and failed runs; then one
# sample after the load stopped and the server had 20 s to settle. Prints the table and writes
# proxy-bench/target/soak/soak-<time>.csv (and the logs beside it).
# Hard deadline: N + 3 minutes; every load call has its own timeout. The load competes for the
# machine's cores with anything else running (other builds): the figures that matter are the
# curves (flat or not), not the rates.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$DIR/.." && pwd)"
START=$(date +%s)

MINUTES=30
JDBC_URL=""
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES="$2"; shift ;;
    --jdbc-url) JDBC_URL="$2"; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "soak: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$MINUTES" =~ ^[1-9][0-9]*$ ]] || { echo "soak: --minutes $MINUTES (expected: a whole number of minutes, 1 or more)" >&2; exit 2; }

LOAD_END=$((START + MINUTES * 60))
DEADLINE=$((LOAD_END + 180))
log() { printf '[soak %4ds] %s\n' "$(( $(date +%s) - START ))" "$*" >&2; }

# ---------------------------------------------------------------- builds
# bin/sallyport and load.sh build what they run when it is missing or stale.
"$ROOT/bin/sallyport" version >/dev/null
"$DIR/load.sh" --help >/dev/null 2>&1 || true
BENCH_JAR="$DIR/target/proxy-bench-0.1.0-SNAPSHOT.jar"
BENCH_CP="$BENCH_JAR:$DIR/target/lib/*"
# The generator as load.sh runs it: C1 only, fixed heap, leak detection off.
GEN_JAVA=(java -XX:TieredStopAtLevel=1 -Xms256m -Xmx256m -XX:+UseParallelGC -Dio.netty.leakDetection.level=disabled)

OUT="$DIR/target/soak"
mkdir -p "$OUT"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
CSV="$OUT/soak-$STAMP.csv"
WORK="$OUT/soak-$STAMP"
mkdir -p "$WORK"

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  [ "$KEEP" = 1 ] || rm -f "$WORK"/load-round-*.out
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# The hard deadline: whatever is still running then is stopped and the script ends.
watchdog() {
  sleep "$1" &
  local sleeper=$!
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  wait "$sleeper"
  log "hard deadline reached"
  kill -TERM $$ 2>/dev/null
}
watchdog $((DEADLINE - START)) &
PIDS+=("$!")

# ---------------------------------------------------------------- the server
EPHEMERAL_LOW=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() {
  local port
  while true; do
    port=$((10000 + RANDOM % (EPHEMERAL_LOW - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}
SOCKS=$(free_port); HTTP=$(free_port); METRICS=$(free_port)
USER_PASS="soak:soak-$RANDOM$RANDOM"
SERVER_ARGS=(serve --bind 127.0.0.1 --socks5 "$SOCKS" --http "$HTTP" --metrics "$METRICS" --user "$USER_PASS"
             --log-level warn --no-access-log)
[ -n "$JDBC_URL" ] && SERVER_ARGS+=(--jdbc-url "$JDBC_URL")
log "starting the server: SOCKS5 $SOCKS, HTTP $HTTP, metrics $METRICS"
JAVA_OPTS="-Xms256m -Xmx512m" "$ROOT/bin/sallyport" "${SERVER_ARGS[@]}" >"$WORK/server.out" 2>&1 &
SERVER=$!
PIDS+=("$SERVER")
for _ in $(seq 1 300); do
  grep -q '^ready' "$WORK/server.out" 2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.out" >&2; echo "soak: the server did not start" >&2; exit 1; }
  sleep 0.1
done
grep -q '^ready' "$WORK/server.out" || { echo "soak: the server was not ready in 30 s" >&2; exit 1; }

metrics() { # the Prometheus text of /metrics, or nothing
  exec 3<>"/dev/tcp/127.0.0.1/$METRICS" || return 0
  printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  timeout 10 cat <&3 || true
  exec 3<&-
}
metric_sum() { # name regex, [label filter regex], from stdin: the sum of the matching samples
  awk -v name="$1" -v filter="${2:-.}" '$1 ~ "^"name"({|$)" && $1 ~ filter { sum += $NF } END { printf "%.0f", sum }'
}

# ---------------------------------------------------------------- the load
load_loop() {
  local round=0 args now
  while now=$(date +%s); [ "$now" -lt $((LOAD_END - 20)) ]; do
    case $((round % 3)) in
      0) args=(--target "socks5://$USER_PASS@127.0.0.1:$SOCKS" --modes sessions --concurrency 20 --warmup 200ms --duration 15s) ;;
      1) args=(--target "socks5://$USER_PASS@127.0.0.1:$SOCKS" --modes throughput --bytes 64m --warmup-bytes 8m
               --throughput-cap 20s) ;;
      2) args=(--target "http://$USER_PASS@127.0.0.1:$HTTP" --modes sessions --concurrency 20 --warmup 200ms --duration 15s) ;;
    esac
    if ! timeout 60 "${GEN_JAVA[@]}" -cp "$BENCH_CP" dev.sallyport.bench.load.LoadGenerator "${args[@]}" \
        --name "soak-$round" --round "$round" --proxy-pid "$SERVER" >"$WORK/load-round-$round.out" 2>&1; then
      echo "LOADFAIL round=$round" >>"$WORK/load.log"
    fi
    grep '^RESULT' "$WORK/load-round-$round.out" >>"$WORK/load.log" || true
    round=$((round + 1))
  done
}
load_loop &
LOAD=$!
PIDS+=("$LOAD")
"${GEN_JAVA[@]}" -cp "$BENCH_CP" dev.sallyport.bench.load.SoakTraffic "$SOCKS" "$HTTP" "$USER_PASS" $((MINUTES * 60 - 10)) \
  >"$WORK/traffic.out" 2>"$WORK/traffic.err" &
TRAFFIC=$!
PIDS+=("$TRAFFIC")

# ---------------------------------------------------------------- samples
HEADER="minute,rss_mib,fds,threads,pending_bytes,connections_active,accounting_buffered,accounting_dropped,sessions,session_errors,auth_failed,load_results,load_errors,traffic_ok,traffic_errors"
echo "$HEADER" >"$CSV"
: >"$WORK/load.log"
printf '%-6s %8s %6s %7s %9s %7s %9s %9s %7s %8s %6s %8s %9s %8s\n' minute rss_MiB fds threads pending active acct_buf \
  sessions errors authfail loads load_err traffic traf_err >&2

sample() { # label
  local status rss threads fds text sessions errors authfail pending active buffered dropped rounds load_err traffic ok fail
  status="$(cat "/proc/$SERVER/status" 2>/dev/null)" || { log "the server is gone"; return 1; }
  rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' <<<"$status")
  threads=$(awk '/^Threads:/ { print $2 }' <<<"$status")
  fds=$( (ls "/proc/$SERVER/fd" 2>/dev/null || true) | wc -l)
  text="$(metrics)"
  pending=$(metric_sum proxy_buffer_pending_bytes <<<"$text")
  active=$(metric_sum proxy_connections_active <<<"$text")
  buffered=$(metric_sum proxy_accounting_buffered <<<"$text")
  dropped=$(metric_sum proxy_accounting_dropped <<<"$text")
  [ -n "$JDBC_URL" ] || { buffered="-"; dropped="-"; }
  sessions=$(metric_sum proxy_sessions_total <<<"$text")
  # Sessions that did not end ok: the failed logins SoakTraffic makes on purpose (auth_failed), and errors.
  authfail=$(metric_sum proxy_sessions_total 'outcome="auth_failed"' <<<"$text")
  errors=$(( $(metric_sum proxy_sessions_total <<<"$text") - $(metric_sum proxy_sessions_total 'outcome="ok"' <<<"$text") - authfail ))
  rounds=$(grep -c '^RESULT' "$WORK/load.log" || true)
  load_err=$( (grep -o ' errors=[0-9]*' "$WORK/load.log" || true) | awk -F= '{ s += $2 } END { print s + 0 }')
  load_err=$(( load_err + $(grep -c -e 'LOADFAIL' -e ' error=' "$WORK/load.log" || true) ))
  traffic="$( (grep '^SOAK' "$WORK/traffic.out" 2>/dev/null || true) | tail -1)"
  ok=$(tr ' ' '\n' <<<"$traffic" | awk -F= '/_ok=/ { s += $2 } END { print s + 0 }')
  fail=$(tr ' ' '\n' <<<"$traffic" | awk -F= '/_fail=/ { s += $2 } END { print s + 0 }')
  echo "$1,$rss,$fds,$threads,$pending,$active,$buffered,$dropped,$sessions,$errors,$authfail,$rounds,$load_err,$ok,$fail" >>"$CSV"
  printf '%-6s %8s %6s %7s %9s %7s %9s %9s %7s %8s %6s %8s %9s %8s\n' "$1" "$rss" "$fds" "$threads" "$pending" "$active" \
    "$buffered" "$sessions" "$errors" "$authfail" "$rounds" "$load_err" "$ok" "$fail" >&2
}

sample 0 || exit 1
for minute in $(seq 1 "$MINUTES"); do
  target=$((START + minute * 60))
  while [ "$(date +%s)" -lt "$target" ]; do sleep 1; done
  sample "$minute" || break
done
# Settle: the load has stopped; wait for the helpers to end, then give the server 20 s.
for _ in $(seq 1 90); do
  if ! kill -0 "$LOAD" 2>/dev/null && ! kill -0 "$TRAFFIC" 2>/dev/null; then break; fi
  sleep 1
done
sleep 20
sample idle || true
metrics >"$WORK/metrics-final.txt"

log "CSV: $CSV (logs in $WORK)"
grep -h '^soak ' "$WORK/traffic.err" 2>/dev/null | sort | uniq -c | sort -rn | head -5 >&2 || true
