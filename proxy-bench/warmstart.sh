#!/usr/bin/env bash
# Warm start: sessions/s of a freshly started standalone server over its first minute, against the
# same server once warm, with and without `serve --warm-up`. Each variant is a fresh process per
# round; rounds alternate the variants (A B A B ...). All traffic stays on 127.0.0.1.
#
#   proxy-bench/warmstart.sh [--seconds 60] [--rounds 2] [--warm-up 10s] [--transport NAME]
#
# For every fresh process: the time from launch to "ready", then 2-second windows of SOCKS5
# sessions alternating 50 concurrent and one at a time for --seconds, then two more pairs of
# windows as the warm reference. Prints one line per variant: time to ready, the mean rate over the
# first 10 s and over the first --seconds, each as a ratio to the warm rate, at 50 and at 1.
# The load generator is itself a fresh JVM (C1 only, warm within its first window: see the
# "direct" control line, the same windows with no proxy).
set -euo pipefail
DIR="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(dirname "$DIR")"
SECS=60; ROUNDS=2; WARM_UP=10s; TRANSPORT=auto
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --warm-up) WARM_UP="$2"; shift 2 ;;
    --transport) TRANSPORT="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "warmstart: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$SECS$ROUNDS" in *[!0-9]*) echo "warmstart: --seconds and --rounds take whole numbers" >&2; exit 2 ;; esac
JAR="${SALLYPORT_JAR:-$ROOT/sallyport-server/target/sallyport.jar}"
[ -f "$JAR" ] || (cd "$ROOT" && mvn -B -q -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip -pl sallyport-server -am package)
WORK="$(mktemp -d /tmp/sallyport-warmstart.XXXXXX)"
SERVER=""; READY_MS=0
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PAIRS=$(( (SECS + 3) / 4 ))
series() { # pairs: "50,1,50,1,..."
  local list="" i
  for i in $(seq 1 "$1"); do list="$list,50,1"; done
  echo "${list#,}"
}
load() { # target pairs pid label -> RESULT lines with the label
  timeout $(( $2 * 8 + 60 )) "$DIR/load.sh" --target "$1" --modes sessions --concurrency "$(series "$2")" \
    --warmup 1ms --duration 2s ${3:+--proxy-pid "$3"} --name "$4" 2>/dev/null | grep '^RESULT' || true
}
start_server() { # variant args -> sets SERVER and READY_MS (launch to "ready")
  local t0
  t0=$(date +%s%N)
  # shellcheck disable=SC2086
  java -jar "$JAR" serve --socks5 0 --no-access-log --transport "$TRANSPORT" $1 >"$WORK/out" 2>"$WORK/err" &
  SERVER=$!
  for _ in $(seq 1 1500); do grep -q '^ready' "$WORK/out" 2>/dev/null && break; kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
  grep -q '^ready' "$WORK/out" || { cat "$WORK/err" >&2; exit 1; }
  READY_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

: >"$WORK/results"
load direct 3 "" direct >>"$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
  for variant in "plain" "warm-up"; do
    args=""; [ "$variant" = warm-up ] && args="--warm-up $WARM_UP"
    start_server "$args"
    port=$(sed -n 's/^listening socks5 127.0.0.1:\([0-9]*\)$/\1/p' "$WORK/out")
    echo "READY variant=$variant round=$round ms=$READY_MS" >>"$WORK/results"
    load "socks5://127.0.0.1:$port" "$PAIRS" "$SERVER" "$variant" | sed 's/^RESULT/FRESH/' >>"$WORK/results"
    load "socks5://127.0.0.1:$port" 2 "$SERVER" "$variant" | sed 's/^RESULT/WARM/' >>"$WORK/results"
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
    echo "warmstart: round $round $variant done" >&2
  done
done
cp "$WORK/results" "$DIR/target/warmstart-results.txt" 2>/dev/null || true

# Windows are 2 s each, alternating 50 and 1: window k of a concurrency starts at about 4k s.
awk -v secs="$SECS" '
  function field(name,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } return "" }
  /^READY/ { v = field("variant"); ready[v] += field("ms"); readyN[v]++; k50[v] = 0; k1[v] = 0; next }
  /^(FRESH|WARM|RESULT)/ {
    v = field("target"); c = field("concurrency"); r = field("rate"); kind = $1
    if (kind == "FRESH") {
      k = (c == 50) ? k50[v]++ : k1[v]++
      if (k * 4 < 10) { f10[v, c] += r; f10n[v, c]++ }
      if (k * 4 < secs) { f60[v, c] += r; f60n[v, c]++ }
    } else { w[v, c] += r; wn[v, c]++ }
    seen[v] = 1
  }
  END {
    printf "%-10s %9s %26s %26s %22s\n", "variant", "ready ms", "first 10 s (50 / 1)", "first " secs " s (50 / 1)", "warm (50 / 1)"
    for (v in seen) {
      if (v == "direct") continue
      w50 = w[v, 50] / wn[v, 50]; w1 = w[v, 1] / wn[v, 1]
      printf "%-10s %9d %12.0f / %5.0f (%.2f/%.2f) %12.0f / %5.0f (%.2f/%.2f) %10.0f / %5.0f\n", v, ready[v] / readyN[v],
        f10[v, 50] / f10n[v, 50], f10[v, 1] / f10n[v, 1], f10[v, 50] / f10n[v, 50] / w50, f10[v, 1] / f10n[v, 1] / w1,
        f60[v, 50] / f60n[v, 50], f60[v, 1] / f60n[v, 1], f60[v, 50] / f60n[v, 50] / w50, f60[v, 1] / f60n[v, 1] / w1, w50, w1
    }
  }' "$WORK/results"
grep '^RESULT' "$WORK/results" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(concurrency|rate)=/) printf "%s ", $i; print "" }' \
  | sed 's/^/direct control (client alone, windows in order): /'
