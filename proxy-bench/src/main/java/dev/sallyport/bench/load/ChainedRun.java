package dev.sallyport.bench.load;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Routing;
import dev.sallyport.core.Upstream;
import dev.sallyport.core.UpstreamGroup;

import java.util.Arrays;
import java.util.Locale;

/**
 * The chained figure: one tunnel's download throughput and the fresh-tunnel session rate (SOCKS5
 * handshake, CONNECT, a one-byte echo, close; one at a time, so its inverse is the time to the
 * first echoed byte) through Sallyport alone and through Sallyport routing to a second Sallyport
 * as its SOCKS5 upstream, in one JVM, rounds interleaved, medians reported with their ratio.
 *
 * <pre>
 * mvn -B -q -pl proxy-bench -am package -DskipTests
 * java -cp "proxy-bench/target/classes:proxy-bench/target/lib/*" dev.sallyport.bench.load.ChainedRun [ROUNDS] [MIB] [SESSIONS]
 * </pre>
 */
public final class ChainedRun {

    private ChainedRun() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        long bytes = (args.length > 1 ? Long.parseLong(args[1]) : 256) << 20;
        int sessions = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
        try (BenchHarness harness = BenchHarness.start();
             ProxyManager single = ProxyManager.builder().socks5(0).ioThreads(1).start();
             ProxyManager far = ProxyManager.builder().socks5(0).ioThreads(1).start();
             ProxyManager near = ProxyManager.builder().socks5(0).ioThreads(1)
                     .routing(Routing.builder().group(UpstreamGroup.of("far",
                             Upstream.parse("socks5://127.0.0.1:" + far.address("socks5").getPort()))).route("*", "far").build())
                     .start()) {
            String one = "socks5://127.0.0.1:" + single.address("socks5").getPort();
            String chained = "socks5://127.0.0.1:" + near.address("socks5").getPort();
            // Warm-up, unrecorded: the JIT sees both paths first.
            harness.transfer(one, true, 1, bytes / 4);
            harness.transfer(chained, true, 1, bytes / 4);
            harness.sessions(one, 1, sessions / 4);
            harness.sessions(chained, 1, sessions / 4);
            double[][] figures = new double[4][rounds];
            for (int r = 0; r < rounds; r++) {
                figures[0][r] = harness.transfer(one, true, 1, bytes);
                figures[1][r] = harness.transfer(chained, true, 1, bytes);
                figures[2][r] = harness.sessions(one, 1, sessions);
                figures[3][r] = harness.sessions(chained, 1, sessions);
            }
            double oneMbps = median(figures[0]);
            double chainedMbps = median(figures[1]);
            double oneRate = median(figures[2]);
            double chainedRate = median(figures[3]);
            System.out.printf(Locale.ROOT, "throughput MB/s: single %.1f, chained %.1f, ratio %.2f%n", oneMbps, chainedMbps,
                    chainedMbps / oneMbps);
            System.out.printf(Locale.ROOT, "fresh tunnel (ms per session): single %.3f, chained %.3f, ratio %.2f%n",
                    1000 / oneRate, 1000 / chainedRate, oneRate / chainedRate);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
