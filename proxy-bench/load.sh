#!/usr/bin/env bash
# The end-to-end load generator (dev.sallyport.bench.load.LoadGenerator); --help lists the options.
#   proxy-bench/load.sh --target socks5://127.0.0.1:1080 --proxy-pid "$(pgrep -n danted)" --quick
# Builds proxy-bench (and the modules it needs) when its jar is missing. JAVA_OPTS is passed on.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAR="$DIR/target/proxy-bench-0.1.0-SNAPSHOT.jar"

if [ ! -f "$JAR" ] || [ ! -d "$DIR/target/lib" ]; then
  echo "load: building proxy-bench..." >&2
  (cd "$DIR/.." && mvn -B -q -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip -pl proxy-bench -am package) >&2
fi

# Leak detection off: the generator must not be the bottleneck. A fixed heap keeps GC out of the way.
# C1 only: each run is a fresh JVM of a few seconds, and C2 compiling inside the measured window
# took 35-45% of the generator's CPU from the proxy it shares the cores with (perf, 2 cores); with
# C1 alone the direct floor falls from ~1.0 to ~0.55 CPU s/GB and direct MB/s rises 2.5x.
exec java -XX:TieredStopAtLevel=1 -Xms512m -Xmx512m -XX:+UseParallelGC -Dio.netty.leakDetection.level=disabled \
  ${JAVA_OPTS:-} -cp "$JAR:$DIR/target/lib/*" dev.sallyport.bench.load.LoadGenerator "$@"
