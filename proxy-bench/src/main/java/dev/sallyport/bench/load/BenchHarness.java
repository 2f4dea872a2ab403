package dev.sallyport.bench.load;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The load generator's client and destination server as one object, for JMH benchmarks and
 * tests that drive a proxy without the command line. Not thread-safe: one caller at a time.
 *
 * <pre>{@code
 * try (BenchHarness harness = BenchHarness.start()) {
 *     harness.transfer("socks5://127.0.0.1:" + port, true, 8, 16L << 20);
 * }
 * }</pre>
 */
public final class BenchHarness implements AutoCloseable {

    private final TargetServer server;
    private final LoadClient client;

    private BenchHarness(int clientThreads, int serverThreads) {
        server = TargetServer.start(serverThreads);
        try {
            client = new LoadClient(clientThreads);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** A client and a server with one event-loop thread each. */
    public static BenchHarness start() {
        return new BenchHarness(1, 1);
    }

    /** The destination server's echo port. */
    public InetSocketAddress echoAddress() {
        return server.echoAddress();
    }

    /**
     * Opens {@code tunnels} tunnels through {@code target} (see {@link Options#USAGE} for the
     * form) and moves {@code bytesPerTunnel} bytes through each, verified; returns MB/s.
     *
     * @throws IllegalStateException when a tunnel fails, a checksum differs, or 60 s pass
     */
    public double transfer(String target, boolean download, int tunnels, long bytesPerTunnel) throws InterruptedException {
        Result result = ThroughputRun.run(client, Target.parse(target), server.dataAddress(),
                download ? ThroughputRun.Direction.DOWN : ThroughputRun.Direction.UP, tunnels, bytesPerTunnel,
                Duration.ofSeconds(60), null);
        check(result);
        return Double.parseDouble(result.get("mbps"));
    }

    /**
     * Runs exactly {@code sessions} sessions (handshake, CONNECT, one-byte echo, close) through
     * {@code target}, {@code concurrency} at a time; returns sessions per second.
     *
     * @throws IllegalStateException when any session fails or 60 s pass
     */
    public double sessions(String target, int concurrency, int sessions) throws InterruptedException {
        Result result = SessionRun.run(client, Target.parse(target), server.echoAddress(), concurrency, Duration.ZERO,
                Duration.ofSeconds(60), sessions, null);
        check(result);
        if (Long.parseLong(result.get("sessions")) != sessions) {
            throw new IllegalStateException("sessions: " + result.get("sessions") + " of " + sessions + " completed");
        }
        return Double.parseDouble(result.get("rate"));
    }

    private static void check(Result result) {
        String error = result.get("error");
        if (error != null || "no".equals(result.get("verified"))) {
            throw new IllegalStateException(result.get("mode") + ": " + (error != null ? error : "not verified"));
        }
    }

    @Override
    public void close() {
        client.close();
        server.close();
    }
}
