package dev.sallyport.bench.jmh;

import dev.sallyport.api.SessionListener;
import dev.sallyport.bench.load.BenchHarness;
import dev.sallyport.core.ProxyManager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Session setup rate through an in-process {@link ProxyManager} on loopback, 50 sessions in
 * flight: connect, SOCKS5 greeting, RFC 1929 login when {@code path=socks5-auth} (the same user
 * every time, so every login after the first is an auth-cache hit), CONNECT, one byte echoed,
 * close. This is handshake decode plus admission (auth cache, rules, dial) plus relay setup and
 * teardown. {@code path=socks5-events} is {@code socks5} with a no-op
 * {@link dev.sallyport.api.SessionListener}: what delivering two events per session costs.
 * {@code path=direct} runs the same connect-echo-close without a proxy as the baseline.
 * One invocation runs a batch of {@code batch} sessions; read the secondary score
 * {@code batch:sessions} (sessions per second); the primary one counts batches.
 *
 * <pre>
 * java -cp "proxy-bench/target/proxy-bench-0.1.0-SNAPSHOT.jar:proxy-bench/target/lib/*" \
 *     org.openjdk.jmh.Main SessionSetupBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SessionSetupBenchmark {

    static final int CONCURRENCY = 50;

    @Param({"socks5", "socks5-auth", "socks5-events", "direct"})
    public String path;

    @Param("1000")
    public int batch;

    private ProxyManager proxy;
    private BenchHarness harness;
    private String target;

    @Setup
    public void start() {
        harness = BenchHarness.start();
        target = startProxy(path);
    }

    /** Starts the proxy {@code path} names (none for direct) and returns the load generator's target. */
    private String startProxy(String path) {
        switch (path) {
            case "direct" -> {
                return "direct";
            }
            case "socks5" -> {
                proxy = ProxyManager.builder().socks5(0).start();
                return "socks5://127.0.0.1:" + proxy.address("socks5").getPort();
            }
            case "socks5-events" -> {
                proxy = ProxyManager.builder().socks5(0).events(new SessionListener() { }).start();
                return "socks5://127.0.0.1:" + proxy.address("socks5").getPort();
            }
            case "socks5-auth" -> {
                proxy = ProxyManager.builder().socks5(0).user("bench", "bench-secret").start();
                return "socks5://bench:bench-secret@127.0.0.1:" + proxy.address("socks5").getPort();
            }
            default -> throw new IllegalArgumentException("path: " + path
                    + " (expected: socks5, socks5-auth, socks5-events, direct)");
        }
    }

    @TearDown
    public void stop() {
        harness.close();
        if (proxy != null) {
            proxy.close(Duration.ZERO);
        }
    }

    @Benchmark
    public double batch(SessionCounter counters) throws InterruptedException {
        double rate = harness.sessions(target, CONCURRENCY, batch);
        counters.sessions += batch;
        return rate;
    }
}
