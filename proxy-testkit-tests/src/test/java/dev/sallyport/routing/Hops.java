package dev.sallyport.routing;

import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.core.Routing;
import dev.sallyport.core.Ticker;
import dev.sallyport.core.UpstreamGroup;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import io.netty.util.NetUtil;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Helpers of the routing tests: front proxies that route, upstream proxies, a round trip through a tunnel. */
final class Hops {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    static final InetAddress LOOPBACK_2 = NetUtil.createInetAddressFromIpAddressString("127.0.0.2");
    /** Names both hops resolve the same way; only the upstream dials them. */
    static final Resolver NAMES = Resolver.fixed(Map.of("target.test", List.of(LOOPBACK),
            "private.test", List.of(LOOPBACK_2)));

    private Hops() {
    }

    /** A time source the tests move by hand. */
    static final class ManualTicker implements Ticker {
        private final AtomicLong now = new AtomicLong();

        @Override
        public long read() {
            return now.get();
        }

        void advance(Duration amount) {
            now.addAndGet(amount.toNanos());
        }
    }

    /** Hears the upstream events: state changes in a queue to wait on, connects as counted. */
    static final class UpstreamEvents implements MetricsSink {
        final BlockingQueue<String> states = new LinkedBlockingQueue<>();
        final Queue<String> connects = new ConcurrentLinkedQueue<>();

        @Override
        public void upstreamState(String upstream, boolean up) {
            states.add(upstream + (up ? " up" : " down"));
        }

        @Override
        public void upstreamConnect(String upstream, Outcome outcome, Duration duration) {
            connects.add(upstream + " " + outcome);
        }

        String next() throws InterruptedException {
            return states.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** An upstream Sallyport with SOCKS5 and HTTP listeners; a login when {@code user} is given. */
    static ProxyManager upstream(SessionRecorder recorder, String user, String password) {
        ProxyManager.Builder builder = ProxyManager.builder().socks5(0).http(0).resolver(NAMES).metrics(recorder);
        if (user != null) {
            builder.user(user, password);
        }
        return builder.start();
    }

    /** A front Sallyport with SOCKS5 and HTTP listeners, routing by {@code routing}. */
    static ProxyManager front(Routing routing, SessionRecorder recorder) {
        return ProxyManager.builder().socks5(0).http(0).resolver(NAMES).metrics(recorder).routing(routing)
                .connectTimeout(Duration.ofSeconds(4)).start();
    }

    /** A front Sallyport with a SOCKS5 listener that sends every request through {@code group}. */
    static ProxyManager frontOf(UpstreamGroup group, SessionRecorder near, MetricsSink events) {
        return ProxyManager.builder().socks5(0).resolver(NAMES).metrics(near).metrics(events)
                .connectTimeout(Duration.ofSeconds(4))
                .routing(Routing.builder().group(group).route("*", group.name()).build()).start();
    }

    /** A SOCKS5 CONNECT to {@code target.test} through {@code proxy}, and a line echoed back. */
    static void connectAndEcho(ProxyManager proxy, TcpServer echo) throws IOException {
        try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.noAuth().connect("target.test", echo.port()).rep()).isZero();
            echoes(client.socket());
        }
    }

    /** Writes a line through a connected tunnel and checks that it comes back from the echo server. */
    static void echoes(Socket tunnel) throws IOException {
        byte[] line = "ping through the route\n".getBytes(StandardCharsets.US_ASCII);
        OutputStream out = tunnel.getOutputStream();
        out.write(line);
        out.flush();
        InputStream in = tunnel.getInputStream();
        assertThat(in.readNBytes(line.length)).isEqualTo(line);
    }

    /** The one session of {@code recorder}, once reported. */
    static SessionSummary only(SessionRecorder recorder) {
        List<SessionSummary> sessions = recorder.awaitSessions(1, WAIT);
        assertThat(sessions).hasSize(1);
        return sessions.get(0);
    }
}
