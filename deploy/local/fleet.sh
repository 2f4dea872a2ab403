#!/usr/bin/env bash
# A Sallyport fleet on one machine, without containers, then checks it:
#
#   client ──► HAProxy (SOCKS5 and HTTP TCP frontends, send-proxy-v2, checks GET /health/ready)
#                 ├──► bin/sallyport serve --instance fleet-1 ─┐
#                 ├──► bin/sallyport serve --instance fleet-2 ─┼──► PostgreSQL 15 (throwaway cluster)
#                 └──► bin/sallyport serve --instance fleet-3 ─┘
#
# Everything listens on 127.0.0.1 (free ports chosen at start); clients use other 127.0.0.x
# source addresses so that the access log can tell them from HAProxy. Needs java, python3, curl,
# psql and initdb/pg_ctl (/usr/lib/postgresql/15/bin or PATH); installs haproxy with apt-get when
# missing (as root); builds the server when sallyport-server/target/sallyport.jar is missing.
#
#   deploy/local/fleet.sh            run, print PASS/FAIL lines, exit 1 on any FAIL
#   KEEP=1 deploy/local/fleet.sh     keep the work directory (logs, configs) afterwards
#
# Every wait is a bounded poll. Everything started here is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/deploy/local"
SALLYPORT="$ROOT/bin/sallyport"
CHECK="$HERE/fleetcheck.py"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sallyport-fleet.XXXXXX")"
FAILED=0
PIDS=()          # background processes to stop, in start order
PG_CTL=""
PG_DATA="$WORK/pg/data"
RUN_AS=()        # how PostgreSQL's tools run (not as root)

say() { printf '%s\n' "$*"; }
pass() { say "PASS $*"; }
fail() { say "FAIL $*"; FAILED=1; }
die() { say "FAIL setup: $*"; exit 1; }

cleanup() {
  local status=$?
  set +e
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill "${PIDS[i]}" 2>/dev/null
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  if [ -n "$PG_CTL" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
    "${RUN_AS[@]}" "$PG_CTL" -D "$PG_DATA" -m fast -w -t 20 stop >/dev/null 2>&1
  fi
  if [ "${KEEP:-0}" = 1 ] || [ "$status" -ne 0 ]; then
    say "work directory kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_for() {
  local seconds=$1 what=$2; shift 2
  local tries=$((seconds * 10))
  for ((n = 0; n < tries; n++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  say "  gave up after ${seconds} s waiting for: $what"
  return 1
}

# ---------------------------------------------------------------- tools
for tool in java python3 curl psql; do
  command -v "$tool" >/dev/null || die "$tool is required (apt-get install -y ${tool/java/openjdk-17-jre-headless})"
done
if ! command -v haproxy >/dev/null; then
  [ "$(id -u)" = 0 ] || die "haproxy is missing (as root: apt-get install -y haproxy)"
  say "installing haproxy with apt-get..."
  apt-get install -y -q haproxy >"$WORK/apt.log" 2>&1 \
    || { apt-get update -q >>"$WORK/apt.log" 2>&1 && apt-get install -y -q haproxy >>"$WORK/apt.log" 2>&1; } \
    || die "apt-get install haproxy failed (see $WORK/apt.log)"
fi
PG_BIN=""
for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
  [ -x "$dir/initdb" ] && { PG_BIN="$dir"; break; }
done
[ -z "$PG_BIN" ] && command -v initdb >/dev/null && PG_BIN="$(dirname "$(command -v initdb)")"
[ -n "$PG_BIN" ] || die "initdb/pg_ctl not found (apt-get install -y postgresql-15)"
PG_CTL="$PG_BIN/pg_ctl"
say "haproxy: $(haproxy -v | head -1 | cut -d' ' -f1-3); PostgreSQL: $("$PG_BIN/postgres" --version)"

# ---------------------------------------------------------------- ports and addresses
# shellcheck disable=SC2207
PORTS=($(python3 - <<'EOF'
import socket
held = []
for _ in range(14):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
EOF
))
PG_PORT=${PORTS[0]}; LB_SOCKS=${PORTS[1]}; LB_HTTP=${PORTS[2]}; TARGET_PORT=${PORTS[3]}
SOCKS=("${PORTS[4]}" "${PORTS[5]}" "${PORTS[6]}")
HTTP=("${PORTS[7]}" "${PORTS[8]}" "${PORTS[9]}")
METRICS=("${PORTS[10]}" "${PORTS[11]}" "${PORTS[12]}")
TARGET="127.0.0.1:$TARGET_PORT"
METRICS_URLS="http://127.0.0.1:${METRICS[0]},http://127.0.0.1:${METRICS[1]},http://127.0.0.1:${METRICS[2]}"
CLIENTS=(127.0.0.21 127.0.0.22 127.0.0.23 127.0.0.24 127.0.0.25 127.0.0.26)

# ---------------------------------------------------------------- PostgreSQL
say "starting PostgreSQL on 127.0.0.1:$PG_PORT..."
mkdir -p "$WORK/pg/sock"
DB_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
printf '%s\n' "$DB_PASSWORD" >"$WORK/pg/pwfile"
if [ "$(id -u)" = 0 ]; then
  # initdb refuses to run as root: the cluster belongs to an unprivileged user.
  PG_USER=postgres; id postgres >/dev/null 2>&1 || PG_USER=nobody
  chmod 711 "$WORK"
  chown -R "$PG_USER" "$WORK/pg"
  RUN_AS=(runuser -u "$PG_USER" --)
fi
"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U sallyport --pwfile="$WORK/pg/pwfile" --auth-local=trust \
  --auth-host=scram-sha-256 -E UTF8 >"$WORK/pg/initdb.log" 2>&1 || die "initdb failed (see $WORK/pg/initdb.log)"
rm -f "$WORK/pg/pwfile"
"${RUN_AS[@]}" "$PG_CTL" -D "$PG_DATA" -l "$WORK/pg/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$WORK/pg/sock" start >/dev/null \
  || die "PostgreSQL did not start (see $WORK/pg/server.log)"
export PGPASSWORD="$DB_PASSWORD"
psql_q() { psql -h 127.0.0.1 -p "$PG_PORT" -U sallyport -d "${DB:-sallyport}" -v ON_ERROR_STOP=1 -Atq -c "$1"; }
DB=postgres psql_q "CREATE DATABASE sallyport" || die "CREATE DATABASE failed"
JDBC_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/sallyport"
# The server and the CLI read the database password from the environment, never the command line.
export SALLYPORT_JDBC_PASSWORD="$DB_PASSWORD"
JDBC=(--jdbc-url "$JDBC_URL" --jdbc-user sallyport)

# ---------------------------------------------------------------- build
if [ ! -f "$ROOT/sallyport-server/target/sallyport.jar" ]; then
  say "building the server (mvn package)..."
  (cd "$ROOT" && { mvn -B -q -o -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip -pl sallyport-server -am package \
      || mvn -B -q -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip -pl sallyport-server -am package; }) \
    >"$WORK/build.log" 2>&1 || die "build failed (see $WORK/build.log)"
fi
# bin/sallyport rebuilds when sources are newer than the jar; do it once here, not in three processes.
"$SALLYPORT" version >/dev/null || die "bin/sallyport version failed"

# ---------------------------------------------------------------- users
add_user() { # NAME [limits...]: prints the generated password
  "$SALLYPORT" users add "$@" "${JDBC[@]}" 2>>"$WORK/cli.log" | awk '$1 == "password" {print $2}'
}
ALICE_PW="$(add_user alice)" || die "users add alice failed"
LIMITED_PW="$(add_user limited --max-sessions 3)" || die "users add limited failed"
VICTIM_PW="$(add_user victim)" || die "users add victim failed"
[ -n "$ALICE_PW" ] && [ -n "$LIMITED_PW" ] && [ -n "$VICTIM_PW" ] || die "users add failed"

# ---------------------------------------------------------------- target
mkdir -p "$WORK/www"; printf 'hello from the target\n' >"$WORK/www/hello.txt"
(cd "$WORK/www" && exec python3 -m http.server --bind 127.0.0.1 "$TARGET_PORT") >"$WORK/target.log" 2>&1 &
PIDS+=($!)
wait_for 10 "the target on $TARGET" curl -sf "http://$TARGET/hello.txt" || die "target did not start"

# ---------------------------------------------------------------- three instances
PROXY_PROTOCOL=(--proxy-protocol 127.0.0.1/32)
if ! "$SALLYPORT" serve --help 2>/dev/null | grep -q -- '--proxy-protocol'; then
  fail "proxy-protocol: this build's serve has no --proxy-protocol; instances start without it and HAProxy without send-proxy-v2"
  PROXY_PROTOCOL=()
fi
INSTANCE_PIDS=()
for i in 0 1 2; do
  name="fleet-$((i + 1))"
  # Clients named by PROXY headers are remote, so the host's own addresses are denied as targets by
  # default; this fleet's target runs on loopback and is allowed on purpose.
  "$SALLYPORT" serve --instance "$name" --bind 127.0.0.1 --socks5 "${SOCKS[i]}" --http "${HTTP[i]}" --allow 127.0.0.1/32 \
    --metrics "${METRICS[i]}" "${JDBC[@]}" "${PROXY_PROTOCOL[@]}" >"$WORK/$name.out" 2>"$WORK/$name.log" &
  PIDS+=($!); INSTANCE_PIDS+=($!)
  disown $!  # check 4 kills one on purpose: no "Killed" notice from the shell
done
for i in 0 1 2; do
  name="fleet-$((i + 1))"
  if ! wait_for 90 "$name ready" grep -qx ready "$WORK/$name.out"; then
    tail -5 "$WORK/$name.log" | sed 's/^/  /'
    die "$name did not start"
  fi
done
say "instances: fleet-1..3 on SOCKS5 ${SOCKS[*]}, HTTP ${HTTP[*]}, metrics ${METRICS[*]}"

# ---------------------------------------------------------------- HAProxy
SEND_PROXY=""; [ ${#PROXY_PROTOCOL[@]} -gt 0 ] && SEND_PROXY="send-proxy-v2"
backend() { # NAME PORTS...
  local name=$1; shift
  printf 'backend %s\n  balance roundrobin\n  option httpchk\n  http-check send meth GET uri /health/ready\n' "$name"
  printf '  http-check expect status 200\n  default-server inter 500ms fall 2 rise 2 %s\n' "$SEND_PROXY"
  for i in 0 1 2; do
    printf '  server fleet-%d 127.0.0.1:%s check port %s\n' $((i + 1)) "$1" "${METRICS[i]}"; shift
  done
}
{
  printf 'global\n  maxconn 2000\n  stats socket %s/haproxy.sock mode 600 level admin\n' "$WORK"
  printf 'defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 1h\n  timeout server 1h\n  timeout check 1s\n'
  printf '  retries 2\n  option redispatch\n'
  printf 'frontend socks5\n  bind 127.0.0.1:%s\n  default_backend sallyport_socks5\n' "$LB_SOCKS"
  printf 'frontend http\n  bind 127.0.0.1:%s\n  default_backend sallyport_http\n' "$LB_HTTP"
  backend sallyport_socks5 "${SOCKS[@]}"
  backend sallyport_http "${HTTP[@]}"
} >"$WORK/haproxy.cfg"
haproxy -c -q -f "$WORK/haproxy.cfg" || die "haproxy rejects $WORK/haproxy.cfg"
haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
PIDS+=($!)

# server_states: "backend/server STATUS" lines from HAProxy's stats socket.
server_states() { python3 "$CHECK" states --socket "$WORK/haproxy.sock"; }
all_up() { [ "$(server_states | grep -c ' UP$')" = 6 ]; }
wait_for 20 "HAProxy marking all six servers UP" all_up || { server_states | sed 's/^/  /'; die "servers not UP"; }
say "HAProxy: SOCKS5 127.0.0.1:$LB_SOCKS, HTTP 127.0.0.1:$LB_HTTP; all servers UP"

# ---------------------------------------------------------------- check 1: the client's own address
say "check 1: clients ${CLIENTS[*]} through HAProxy; their addresses in the access log of every instance"
curl_socks() { # SOURCE USER PASSWORD URL
  printf 'proxy-user = "%s:%s"\n' "$2" "$3" | curl -sf -K - --interface "$1" --max-time 5 \
    --socks5 "127.0.0.1:$LB_SOCKS" "$4"
}
curl_http() {
  printf 'proxy-user = "%s:%s"\n' "$2" "$3" | curl -sf -K - --interface "$1" --max-time 5 \
    --proxy "http://127.0.0.1:$LB_HTTP" "$4"
}
ok=0
for i in 0 1 2 3 4 5; do
  curl_socks "${CLIENTS[i]}" alice "$ALICE_PW" "http://$TARGET/hello.txt" >/dev/null && ok=$((ok + 1))
done
for i in 0 1 2; do
  curl_http "${CLIENTS[i]}" alice "$ALICE_PW" "http://$TARGET/hello.txt" >/dev/null && ok=$((ok + 1))
done
[ "$ok" = 9 ] || fail "client-address: only $ok of 9 requests through HAProxy succeeded"
alice_rows() { psql_q "SELECT count(*) FROM sallyport_access_log WHERE user_name = 'alice'"; }
all_rows() { [ "$(alice_rows)" -ge "$ok" ]; }
# Rows are written in batches every second: wait for one row per request before judging.
wait_for 15 "one access log row per request ($ok)" all_rows || true
ROWS="$(psql_q "SELECT coalesce(host(client_address), '-') AS client, count(*) FROM sallyport_access_log
                WHERE user_name = 'alice' GROUP BY 1 ORDER BY 1" | tr '\n' ' ')"
say "  access log (client|rows): $ROWS"
say "  per instance: $(psql_q "SELECT string_agg(DISTINCT host(client_address), ',') FROM sallyport_access_log
                           WHERE user_name = 'alice' GROUP BY instance_id" | tr '\n' ' ')"
DISTINCT_CLIENTS="$(psql_q "SELECT count(DISTINCT client_address) FROM sallyport_access_log
                            WHERE user_name = 'alice' AND host(client_address) LIKE '127.0.0.2_'")"
INSTANCES="$(psql_q "SELECT count(DISTINCT instance_id) FROM sallyport_access_log
                     WHERE user_name = 'alice' AND host(client_address) LIKE '127.0.0.2_'")"
OTHERS="$(psql_q "SELECT count(*) FROM sallyport_access_log
                  WHERE user_name = 'alice' AND host(client_address) NOT LIKE '127.0.0.2_'")"
if [ "$(alice_rows)" = 9 ] && [ "$DISTINCT_CLIENTS" = 6 ] && [ "$INSTANCES" = 3 ] && [ "$OTHERS" = 0 ]; then
  pass "client-address: 9 rows, the 6 clients' own addresses (127.0.0.2x) on all 3 instances, none with HAProxy's"
else
  fail "client-address: expected 9 rows from 6 clients (127.0.0.2x) on 3 instances and none with another address;" \
       "got $(alice_rows) rows, $DISTINCT_CLIENTS clients, $INSTANCES instances, $OTHERS other"
fi

# ---------------------------------------------------------------- check 2: fleet-wide session limit
say "check 2: user 'limited' (3 concurrent sessions) holds 3 tunnels; 6 more attempts spread over the instances"
if FLEET_PASSWORD="$LIMITED_PW" python3 "$CHECK" limit --proxy "127.0.0.1:$LB_SOCKS" --target "$TARGET" \
    --sources "$(IFS=,; echo "${CLIENTS[*]}")" --user limited --allowed 3 --extra 6 --metrics "$METRICS_URLS"; then
  pass "fleet-limit: the 4th and later sessions were refused on every instance"
else
  fail "fleet-limit: a session beyond the user's limit of 3 was let through (or an allowed one refused)"
fi

# ---------------------------------------------------------------- check 3: users disable reaches every instance
say "check 3: user 'victim' holds 6 tunnels (2 per instance); 'users disable victim' from the CLI"
if FLEET_PASSWORD="$VICTIM_PW" python3 "$CHECK" revoke --proxy "127.0.0.1:$LB_SOCKS" --target "$TARGET" \
    --sources "$(IFS=,; echo "${CLIENTS[*]}")" --user victim --count 6 --within 1 --wait 10 \
    --metrics "$METRICS_URLS" -- "$SALLYPORT" users disable victim "${JDBC[@]}"; then
  pass "revocation: every tunnel of the disabled user closed within 1 s, on all three instances"
else
  fail "revocation: the disabled user's tunnels were not all closed within 1 s"
fi

# ---------------------------------------------------------------- check 4: kill -9 one instance
say "check 4: kill -9 fleet-2; HAProxy routes new sessions to fleet-1 and fleet-3"
killed_at=$(date +%s.%N)
kill -9 "${INSTANCE_PIDS[1]}"
fleet2_down() { [ "$(server_states | grep -c 'fleet-2 DOWN$')" = 2 ]; }
if wait_for 15 "HAProxy marking fleet-2 DOWN" fleet2_down; then
  say "  HAProxy marked fleet-2 DOWN after $(python3 -c "import time; print('%.1f' % (time.time() - $killed_at))") s"
  if FLEET_PASSWORD="$ALICE_PW" python3 "$CHECK" tunnels --proxy "127.0.0.1:$LB_SOCKS" --target "$TARGET" \
      --sources "$(IFS=,; echo "${CLIENTS[*]}")" --user alice --count 12 --path /hello.txt; then
    pass "failover: all 12 new sessions succeeded on the two remaining instances"
  else
    fail "failover: some new sessions failed after fleet-2 was marked down"
  fi
else
  fail "failover: HAProxy did not mark the killed instance down within 15 s"
fi

# ---------------------------------------------------------------- check 5: stats sums every instance
say "check 5: 'sallyport stats' against the access log"
stats_sessions() {
  "$SALLYPORT" stats "${JDBC[@]}" --format json --since 2h \
    | python3 -c 'import json, sys; print(sum(u["sessions"] for u in json.load(sys.stdin)["users"]))'
}
logged_sessions() {
  psql_q "SELECT count(*) FROM sallyport_access_log WHERE user_name IS NOT NULL"
}
# Settled: the surviving instances have no session open and no accounting record waiting for PostgreSQL.
settled() {
  local i text
  for i in 0 2; do
    text="$(curl -sf --max-time 2 "http://127.0.0.1:${METRICS[i]}/metrics")" || return 1
    printf '%s\n' "$text" | awk '/^proxy_(connections_active|accounting_buffered)[{ ]/ && $NF + 0 != 0 {busy = 1}
                                  END {exit busy}' || return 1
  done
}
wait_for 30 "sessions closed and accounting flushed on fleet-1 and fleet-3" settled || true
S="$(stats_sessions)"; L="$(logged_sessions)"
PER="$(psql_q "SELECT count(*) FROM sallyport_access_log WHERE user_name IS NOT NULL GROUP BY instance_id ORDER BY 1" \
  | tr '\n' '+' | sed 's/+$//')"
say "  stats: $S sessions; access log: $L rows ($PER by instance)"
if [ -n "$S" ] && [ "$S" = "$L" ] && [ "$(printf '%s\n' "$PER" | tr '+' '\n' | grep -c .)" = 3 ]; then
  pass "stats: sums the sessions of all three instances ($S = $PER)"
else
  fail "stats: $S sessions reported, $L rows logged by $PER"
fi

if [ "$FAILED" = 0 ]; then say "ALL PASS"; else say "SOME CHECKS FAILED (logs: $WORK)"; fi
exit "$FAILED"
