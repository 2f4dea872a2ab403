package dev.sallyport.bench.jmh;

import dev.sallyport.bench.load.BenchHarness;
import dev.sallyport.core.ProxyManager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
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
 * Auth-cache hits, measured end to end because the cache has no public entry point (it lives in
 * core's package-private {@code AuthChain}; reaching it directly would widen the API): one SOCKS5
 * session at a time through an in-process {@link ProxyManager}, with ({@code auth=password}) and
 * without ({@code auth=none}) an RFC 1929 login of the same user. After the first login every one
 * is a cache hit, so the difference between the two average times is the cost of a cached login:
 * the extra RFC 1929 round trip on loopback, the HMAC of the presented secret and the cache
 * lookup; the slow password hash must not appear (compare with {@code authCacheTtl(ZERO)} in a
 * profile if it seems to). One operation is one session.
 *
 * <pre>
 * java -cp "proxy-bench/target/proxy-bench-0.1.0-SNAPSHOT.jar:proxy-bench/target/lib/*" \
 *     org.openjdk.jmh.Main AuthCacheBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class AuthCacheBenchmark {

    static final int SESSIONS_PER_INVOCATION = 20;

    @Param({"none", "password"})
    public String auth;

    private ProxyManager proxy;
    private BenchHarness harness;
    private String target;

    @Setup
    public void start() {
        harness = BenchHarness.start();
        if (auth.equals("password")) {
            proxy = ProxyManager.builder().socks5(0).user("bench", "bench-secret").start();
            target = "socks5://bench:bench-secret@127.0.0.1:" + proxy.address("socks5").getPort();
        } else {
            proxy = ProxyManager.builder().socks5(0).start();
            target = "socks5://127.0.0.1:" + proxy.address("socks5").getPort();
        }
    }

    @TearDown
    public void stop() {
        harness.close();
        proxy.close(Duration.ZERO);
    }

    @Benchmark
    @OperationsPerInvocation(SESSIONS_PER_INVOCATION)
    public double session() throws InterruptedException {
        return harness.sessions(target, 1, SESSIONS_PER_INVOCATION);
    }
}
