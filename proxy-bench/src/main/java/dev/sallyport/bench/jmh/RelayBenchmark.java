package dev.sallyport.bench.jmh;

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

import java.util.concurrent.TimeUnit;

/**
 * Relay throughput through an in-process {@link ProxyManager} (SOCKS5, loopback, default settings)
 * with 1 and 8 tunnels, against the same transfer without a proxy ({@code via=direct}) as the
 * baseline to quote ratios against. One invocation opens the tunnels and moves {@code mib} MiB in
 * total (split evenly between them) from the load generator's destination server to its client,
 * every byte checked by CRC32C. Read the secondary score {@code download:mebibytes} (MiB/s); the
 * primary one counts batches. The proxy, the client and the server share this JVM and the
 * machine's cores, as they would on one host.
 *
 * <pre>
 * java -cp "proxy-bench/target/proxy-bench-0.1.0-SNAPSHOT.jar:proxy-bench/target/lib/*" \
 *     org.openjdk.jmh.Main RelayBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class RelayBenchmark {

    @Param({"sallyport", "direct"})
    public String via;

    @Param({"1", "8"})
    public int tunnels;

    @Param("64")
    public int mib;

    private ProxyManager proxy;
    private BenchHarness harness;
    private String target;

    @Setup
    public void start() {
        harness = BenchHarness.start();
        if (via.equals("direct")) {
            target = "direct";
        } else {
            proxy = ProxyManager.builder().socks5(0).start();
            target = "socks5://127.0.0.1:" + proxy.address("socks5").getPort();
        }
    }

    @TearDown
    public void stop() {
        harness.close();
        if (proxy != null) {
            proxy.close(java.time.Duration.ZERO);
        }
    }

    @Benchmark
    public double download(ByteCounter counters) throws InterruptedException {
        double mbps = harness.transfer(target, true, tunnels, ((long) mib << 20) / tunnels);
        counters.mebibytes += mib;
        return mbps;
    }
}
