#!/usr/bin/env bash
# Side by side: Sallyport (standalone server) against Dante, Squid, tinyproxy and microsocks, and
# against no proxy at all, on loopback, with the same load generator (proxy-bench/load.sh).
#
#   proxy-bench/compare.sh            5 interleaved rounds (A B C ... A B C ...), about 16 minutes
#   proxy-bench/compare.sh --quick    1 short round, about 1.5 minutes
#   options: --rounds N   --deadline SECONDS (default 1200)   --no-install
#            --keep (leave the temp dir with configs and logs)
#  Sallyport runs with its defaults, with --transport epoll, with --io-threads 1, and with a password.
#
# What it does, and undoes:
#  - installs the peers from Debian packages when missing (dante-server squid tinyproxy
#    microsocks) and stops any service of theirs that the install started;
#  - writes a loopback-only config for each into a temp dir and starts them in the foreground
#    from there (no system-wide file is changed); every process it starts is stopped on exit;
#  - idle phase first, on fresh processes: N idle tunnels each, RSS growth read from /proc;
#  - three warm-up rounds over Sallyport's listeners, not recorded (its JIT settles; see below);
#  - then rounds of throughput (1 tunnel, down and up), sessions/s one at a time and at 50 concurrent, ping-pong
#    and time to first byte, the targets interleaved; the proxy's CPU (utime+stime of its process
#    tree) is read around each measurement;
#  - prints the table of medians, ratios and the issue-8 target check; keeps the raw RESULT lines
#    and the table under proxy-bench/target/compare/.
# Hard deadline: --deadline (20 minutes by default). Rounds that would not fit are skipped (and the table says how many
# ran); every load generator call has its own timeout. All traffic stays on 127.0.0.1.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$DIR/.." && pwd)"
START=$(date +%s)
SECONDS_ALLOWED=1200

QUICK=0
ROUNDS=5
INSTALL=1
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; ROUNDS=1 ;;
    --rounds) ROUNDS="$2"; shift ;;
    --deadline) SECONDS_ALLOWED="$2"; shift ;;
    --no-install) INSTALL=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "compare: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$SECONDS_ALLOWED" in ''|*[!0-9]*) echo "compare: --deadline $SECONDS_ALLOWED (expected: seconds)" >&2; exit 2 ;; esac
DEADLINE=$((START + SECONDS_ALLOWED))

if [ "$QUICK" = 1 ]; then
  LOAD_OPTS=(--bytes 128m --warmup-bytes 32m --throughput-cap 8s --warmup 300ms --duration 1s --concurrency 1,50
             --ping-duration 700ms --ttfb-duration 700ms)
  IDLE=2000
else
  LOAD_OPTS=(--bytes 512m --warmup-bytes 64m --throughput-cap 8s --warmup 500ms --duration 2s --concurrency 1,50
             --ping-duration 1500ms --ttfb-duration 1s)
  IDLE=8000
fi

log() { printf '[compare %3ds] %s\n' "$(( $(date +%s) - START ))" "$*" >&2; }

WORK="$(mktemp -d /tmp/sallyport-compare.XXXXXX)"
chmod 755 "$WORK"   # peers that drop privileges read their config here
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "$KEEP" = 1 ]; then
    echo "compare: configs and logs kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- peers: install, never auto-run
PACKAGES=(dante-server:danted squid:squid tinyproxy:tinyproxy microsocks:microsocks)
if [ "$INSTALL" = 1 ]; then
  missing=()
  for entry in "${PACKAGES[@]}"; do
    command -v "${entry#*:}" >/dev/null 2>&1 || [ -x "/usr/sbin/${entry#*:}" ] || missing+=("${entry%%:*}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    running_before="$(pgrep -x 'danted|squid|tinyproxy|microsocks' || true)"
    [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ] || apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >"$WORK/apt.log" 2>&1 \
      || { cat "$WORK/apt.log" >&2; exit 1; }
    # Packages may start their system service; stop what the install started, nothing else.
    for svc in danted squid tinyproxy; do
      if pgrep -x "$svc" >/dev/null && ! grep -qw "$(pgrep -x "$svc" | head -1)" <<<"$running_before"; then
        log "stopping the $svc service the package started"
        service "$svc" stop >/dev/null 2>&1 || true
        systemctl disable --now "$svc" >/dev/null 2>&1 || true
      fi
    done
  fi
fi
PATH="$PATH:/usr/sbin:/sbin"

# ---------------------------------------------------------------- builds
BENCH_JAR="$DIR/target/proxy-bench-0.1.0-SNAPSHOT.jar"
SALLYPORT_JAR="${SALLYPORT_JAR:-$ROOT/sallyport-server/target/sallyport.jar}"
if [ ! -f "$BENCH_JAR" ] || [ ! -d "$DIR/target/lib" ]; then
  log "building proxy-bench"
  (cd "$ROOT" && mvn -B -q -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip -pl proxy-bench -am package) >&2
fi
if [ ! -f "$SALLYPORT_JAR" ]; then
  log "building the standalone server"
  (cd "$ROOT" && mvn -B -q -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip -pl sallyport-server -am package) >&2
fi

# ---------------------------------------------------------------- helpers
# Listening ports come from below the kernel's ephemeral range: a port picked inside it can be
# the local port of one of the load generator's own connections (or their TIME_WAIT) and fail to bind.
EPHEMERAL_LOW=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() {
  local port
  while true; do
    port=$((10000 + RANDOM % (EPHEMERAL_LOW - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && ! ss -ltn "sport = :$port" | grep -q LISTEN; then
      echo "$port"
      return
    fi
  done
}

wait_listening() { # port seconds
  local i
  for i in $(seq 1 $(($2 * 10))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

start_bg() { # name, command...: starts in the background, records its pid in PID_<name>
  local name="$1"; shift
  "$@" >"$WORK/$name.out" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  printf -v "PID_${name//-/_}" '%s' "$pid"
}

# ---------------------------------------------------------------- start everything
TARGETS=()   # name|spec|pid|modes
add_target() { TARGETS+=("$1|$2|$3|$4"); }
ROUND_MODES=throughput,sessions,pingpong,ttfb

add_target direct direct "" "$ROUND_MODES"

# The peers run without a per-session log line (squid access_log none, tinyproxy Critical, Dante
# without "log:" in its rules); so does Sallyport when the server has the switch.
SALLYPORT_EXTRA=()
SERVE_HELP="$(java -jar "$SALLYPORT_JAR" serve --help 2>&1 || true)"   # which flags this build has
if grep -q -- '--\[no-\]access-log\|--no-access-log' <<<"$SERVE_HELP"; then
  SALLYPORT_EXTRA=(--no-access-log)
fi
sallyport() { # name, args...: starts the standalone server and waits for "ready"
  local name="$1"; shift
  start_bg "$name" java ${SALLYPORT_JAVA_OPTS:-} -jar "$SALLYPORT_JAR" serve "${SALLYPORT_EXTRA[@]}" "$@"
  local pid_var="PID_${name//-/_}" i
  for i in $(seq 1 300); do
    grep -q '^ready' "$WORK/$name.out" 2>/dev/null && return 0
    kill -0 "${!pid_var}" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

SP_SOCKS=$(free_port); SP_HTTP=$(free_port)
if sallyport sallyport --socks5 "$SP_SOCKS" --http "$SP_HTTP"; then
  add_target sallyport-socks5 "socks5://127.0.0.1:$SP_SOCKS" "$PID_sallyport" "$ROUND_MODES"
  add_target sallyport-http "http://127.0.0.1:$SP_HTTP" "$PID_sallyport" "$ROUND_MODES"
else
  log "Sallyport with --http did not start ($(grep -v '^\s*at ' "$WORK/sallyport.out" | tail -1)); SOCKS5 only"
  SP_SOCKS=$(free_port)
  sallyport sallyport-s --socks5 "$SP_SOCKS" || { cat "$WORK/sallyport-s.out" >&2; exit 1; }
  add_target sallyport-socks5 "socks5://127.0.0.1:$SP_SOCKS" "$PID_sallyport_s" "$ROUND_MODES"
fi
# With a password, both protocols: SOCKS5's RFC 1929 login is one more round trip per session;
# HTTP's Basic credentials ride in the CONNECT request, so its ratio is the cached check alone.
SP_AUTH=$(free_port); SP_AUTH_HTTP=$(free_port)
if sallyport sallyport-auth --socks5 "$SP_AUTH" --http "$SP_AUTH_HTTP" --user bench:bench-secret; then
  add_target sallyport-socks5-auth "socks5://bench:bench-secret@127.0.0.1:$SP_AUTH" "$PID_sallyport_auth" sessions
  add_target sallyport-http-auth "http://bench:bench-secret@127.0.0.1:$SP_AUTH_HTTP" "$PID_sallyport_auth" sessions
else
  log "Sallyport with --user did not start; no password variant"
fi
# The same server on epoll beside the default transport (auto: io_uring where it runs), when the
# build has --transport: io_uring stays the default only where it wins.
if grep -q -- '--transport' <<<"$SERVE_HELP"; then
  SP_E_SOCKS=$(free_port); SP_E_HTTP=$(free_port)
  if sallyport sallyport-epoll --socks5 "$SP_E_SOCKS" --http "$SP_E_HTTP" --transport epoll; then
    add_target sallyport-epoll-socks5 "socks5://127.0.0.1:$SP_E_SOCKS" "$PID_sallyport_epoll" "$ROUND_MODES"
    add_target sallyport-epoll-http "http://127.0.0.1:$SP_E_HTTP" "$PID_sallyport_epoll" "$ROUND_MODES"
  else
    log "Sallyport with --transport epoll did not start; no epoll variant"
  fi
fi

# One I/O thread: on this machine the proxy shares its two cores with the load generator and the
# target, and one thread (three busy threads in all instead of four) may win the session rates.
if grep -q -- '--io-threads' <<<"$SERVE_HELP"; then
  SP_1_SOCKS=$(free_port); SP_1_HTTP=$(free_port)
  if sallyport sallyport-1thread --socks5 "$SP_1_SOCKS" --http "$SP_1_HTTP" --io-threads 1; then
    add_target sallyport-1thread-socks5 "socks5://127.0.0.1:$SP_1_SOCKS" "$PID_sallyport_1thread" "$ROUND_MODES"
    add_target sallyport-1thread-http "http://127.0.0.1:$SP_1_HTTP" "$PID_sallyport_1thread" "$ROUND_MODES"
  else
    log "Sallyport with --io-threads 1 did not start; no one-thread variant"
  fi
fi

if command -v danted >/dev/null; then
  DANTE=$(free_port)
  cat >"$WORK/danted.conf" <<EOF
logoutput: $WORK/danted.log
internal: 127.0.0.1 port = $DANTE
external: 127.0.0.1
socksmethod: none
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 command: connect }
socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 }
EOF
  start_bg dante danted -f "$WORK/danted.conf" -p "$WORK/danted.pid"
  wait_listening "$DANTE" 10 && add_target dante "socks5://127.0.0.1:$DANTE" "$PID_dante" "$ROUND_MODES" \
    || log "dante did not start: $(tail -2 "$WORK/dante.out")"
fi

if command -v microsocks >/dev/null; then
  MICRO=$(free_port)
  start_bg microsocks microsocks -i 127.0.0.1 -p "$MICRO"
  wait_listening "$MICRO" 10 && add_target microsocks "socks5://127.0.0.1:$MICRO" "$PID_microsocks" "$ROUND_MODES" \
    || log "microsocks did not start: $(tail -2 "$WORK/microsocks.out")"
fi

if command -v squid >/dev/null; then
  SQUID=$(free_port)
  mkdir -p "$WORK/squid"
  chown proxy:proxy "$WORK/squid" 2>/dev/null || chmod 777 "$WORK/squid"
  # No cache, no logs but cache.log, no pinger (it would probe remote hosts), DNS only to loopback.
  cat >"$WORK/squid.conf" <<EOF
http_port 127.0.0.1:$SQUID
acl loopback src 127.0.0.0/8
http_access allow loopback
http_access deny all
cache deny all
cache_mem 8 MB
access_log none
cache_store_log none
cache_log $WORK/squid/cache.log
pid_filename $WORK/squid/squid.pid
coredump_dir $WORK/squid
max_filedescriptors 20000
shutdown_lifetime 1 seconds
pinger_enable off
dns_nameservers 127.0.0.1
via off
forwarded_for delete
EOF
  start_bg squid squid -N -f "$WORK/squid.conf"
  wait_listening "$SQUID" 20 && add_target squid "http://127.0.0.1:$SQUID" "$PID_squid" "$ROUND_MODES" \
    || log "squid did not start: $(tail -2 "$WORK/squid/cache.log" 2>/dev/null)"
fi

if command -v tinyproxy >/dev/null; then
  TINY=$(free_port)
  mkdir -p "$WORK/tinyproxy"
  chown nobody:nogroup "$WORK/tinyproxy" 2>/dev/null || chmod 777 "$WORK/tinyproxy"
  # No ConnectPort line: CONNECT to any port. MaxClients above the idle tunnel count.
  cat >"$WORK/tinyproxy.conf" <<EOF
User nobody
Group nogroup
Port $TINY
Listen 127.0.0.1
Timeout 600
MaxClients 20000
Allow 127.0.0.1
LogFile "$WORK/tinyproxy/tinyproxy.log"
LogLevel Critical
PidFile "$WORK/tinyproxy/tinyproxy.pid"
DisableViaHeader Yes
EOF
  start_bg tinyproxy tinyproxy -d -c "$WORK/tinyproxy.conf"
  wait_listening "$TINY" 10 && add_target tinyproxy "http://127.0.0.1:$TINY" "$PID_tinyproxy" "$ROUND_MODES" \
    || log "tinyproxy did not start: $(tail -2 "$WORK/tinyproxy.out")"
fi

log "targets: $(printf '%s ' "${TARGETS[@]%%|*}")"

# ---------------------------------------------------------------- measure
OUT_DIR="$DIR/target/compare"
mkdir -p "$OUT_DIR"
STAMP="$(date +%Y%m%d-%H%M%S)"
RESULTS="$OUT_DIR/results-$STAMP.txt"
: >"$RESULTS"
{
  echo "# compare.sh $([ "$QUICK" = 1 ] && echo --quick) rounds=$ROUNDS idle=$IDLE $(date -Is)"
  echo "# $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# load options: ${LOAD_OPTS[*]}"
} >>"$RESULTS"

load() { # seconds, args...
  local limit="$1"; shift
  timeout -k 5 "$limit" "$DIR/load.sh" "$@" >>"$RESULTS" 2>>"$WORK/load.err" \
    || log "load generator exited $? for: $*"
}

# Idle first, on fresh processes: later memory reuse would hide what a tunnel costs. One run per
# process (Sallyport's SOCKS5 and HTTP listeners share one).
IDLE_DONE=" "
for t in "${TARGETS[@]}"; do
  IFS='|' read -r name spec pid modes <<<"$t"
  [ -n "$pid" ] && [[ "$name" != *-auth ]] && [[ "$IDLE_DONE" != *" $pid "* ]] || continue
  IDLE_DONE+="$pid "
  [ $(( $(date +%s) + 40 )) -lt "$DEADLINE" ] || { log "no time left for idle on $name"; continue; }
  log "idle: $name ($IDLE tunnels)"
  load 60 --round 0 --name "$name" --target "$spec" --proxy-pid "$pid" --modes idle --idle "$IDLE" --idle-cap 40s
done

# Warm-up: three rounds over Sallyport's listeners, not recorded. Its JIT needs 20-30 s of load to
# settle (perf: 35-40% of its CPU in the C2 compiler during the first rounds; with one warm-up round
# the first measured round still cost 1.4x the CPU per session of the third); a long-running proxy
# lives in that settled state. The C peers have no JIT to warm.
if [ "$QUICK" = 0 ]; then
  log "warm-up rounds for Sallyport (not recorded)"
  for pass in 1 2 3; do
    for t in "${TARGETS[@]}"; do
      IFS='|' read -r name spec pid modes <<<"$t"
      [[ "$name" == sallyport* ]] || continue
      timeout -k 5 60 "$DIR/load.sh" --round 0 --name "$name" --target "$spec" --modes "$modes" "${LOAD_OPTS[@]}" \
        >>"$WORK/warmup.txt" 2>>"$WORK/load.err" || log "warm-up load exited $? for $name"
    done
  done
fi

ROUND_SECONDS=0
for round in $(seq 1 "$ROUNDS"); do
  now=$(date +%s)
  if [ "$ROUND_SECONDS" -gt 0 ] && [ $((now + ROUND_SECONDS + 15)) -gt "$DEADLINE" ]; then
    log "stopping after $((round - 1)) round(s): another would pass the deadline"
    break
  fi
  log "round $round of $ROUNDS"
  round_start=$now
  for t in "${TARGETS[@]}"; do
    IFS='|' read -r name spec pid modes <<<"$t"
    [ $(( $(date +%s) + 30 )) -lt "$DEADLINE" ] || { log "deadline: skipping $name"; continue; }
    args=(--round "$round" --name "$name" --target "$spec" --modes "$modes" "${LOAD_OPTS[@]}")
    [ -n "$pid" ] && args+=(--proxy-pid "$pid")
    load 60 "${args[@]}"
  done
  ROUND_SECONDS=$(( $(date +%s) - round_start ))
done

TABLE="$OUT_DIR/table-$STAMP.txt"
{
  head -3 "$RESULTS"
  java -cp "$BENCH_JAR" dev.sallyport.bench.compare.CompareReport "$RESULTS"
} | tee "$TABLE"
log "done in $(( $(date +%s) - START )) s; raw results $RESULTS, table $TABLE"
