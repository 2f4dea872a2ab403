package dev.sallyport.socks5;

import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.testing.EchoServer;
import dev.sallyport.core.testing.RecordingMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-user limits, caps, lockout and live user changes, on real SOCKS5 sessions. */
@Timeout(120)
class LimitsTest {

    /** Serves {@code size} bytes to every connection as fast as the socket takes them, then closes. */
    private static final class Source implements AutoCloseable {
        final ServerSocket server;
        final long size;

        Source(long size) throws IOException {
            this.size = size;
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        Thread writer = new Thread(() -> {
                            try (socket; OutputStream out = socket.getOutputStream()) {
                                byte[] chunk = new byte[16384];
                                long left = size;
                                while (left > 0) {
                                    int n = (int) Math.min(chunk.length, left);
                                    out.write(chunk, 0, n);
                                    left -= n;
                                }
                            } catch (IOException ignored) {
                                // The client went away.
                            }
                        });
                        writer.setDaemon(true);
                        writer.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private static RawClient tunnel(ProxyManager proxy, String user, String password, int port) throws IOException {
        RawClient client = new RawClient(proxy.address("socks5"));
        client.login(user, password).connectIpv4(port);
        int rep = client.replyCode();
        if (rep != 0) {
            client.close();
            throw new IOException("REP " + rep);
        }
        return client;
    }

    @Test
    void concurrentSessions_theNPlusFirstIsRefused_andAcceptedAgainAfterOneCloses() throws Exception {
        RecordingMetrics metrics = new RecordingMetrics();
        try (EchoServer echo = EchoServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).requireAuthentication(true).metrics(metrics).start()) {
            NewCredentials carol = proxy.users().create("carol", Limits.NONE.withMaxSessions(2)).toCompletableFuture().get();
            RawClient one = tunnel(proxy, "carol", carol.password(), echo.port());
            RawClient two = tunnel(proxy, "carol", carol.password(), echo.port());
            try (RawClient three = new RawClient(proxy.address("socks5"))) {
                three.login("carol", carol.password()).connectIpv4(echo.port());
                assertThat(three.replyCode()).isEqualTo(2);
            }
            assertThat(metrics.nextSummary()).satisfies(s -> {
                assertThat(s.outcome()).isEqualTo(Outcome.LIMITED);
                assertThat(s.rule()).isEqualTo("max-sessions");
            });
            one.close();
            assertThat(metrics.nextSummary().outcome()).isEqualTo(Outcome.OK);
            try (RawClient again = tunnel(proxy, "carol", carol.password(), echo.port())) {
                again.send(1);
                assertThat(again.read(1)[0]).isEqualTo((byte) 1);
            }
            two.close();
        }
    }

    @Test
    void perClientCap_refusesTheExtraConnectionWithNotAllowed() throws Exception {
        try (EchoServer echo = EchoServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).maxConnectionsPerClient(1).start();
             RawClient first = new RawClient(proxy.address("socks5"))) {
            first.noAuth().connectIpv4(echo.port());
            assertThat(first.replyCode()).isZero();
            try (RawClient second = new RawClient(proxy.address("socks5"))) {
                second.noAuth().connectIpv4(echo.port());
                assertThat(second.replyCode()).isEqualTo(2);
            }
        }
    }

    @Test
    void lockout_afterNFailures_evenTheRightPasswordFails_untilTheLockoutPasses() throws Exception {
        AtomicLong now = new AtomicLong();
        RecordingMetrics metrics = new RecordingMetrics();
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).user("dave", "right").metrics(metrics)
                     .ticker(now::get).maxLoginFailures(3).loginFailureWindow(Duration.ofMinutes(1))
                     .lockoutDuration(Duration.ofMinutes(5)).loginBackoff(Duration.ZERO).start()) {
            for (int i = 0; i < 3; i++) {
                assertThat(loginStatus(proxy, "dave", "wrong")).isEqualTo(1);
            }
            assertThat(loginStatus(proxy, "dave", "right")).as("locked out: same failure reply").isEqualTo(1);
            assertThat(metrics.authFailures()).contains("socks5:locked_out");
            now.addAndGet(Duration.ofMinutes(5).toNanos());
            assertThat(loginStatus(proxy, "dave", "right")).isZero();
        }
    }

    @Test
    void failuresOutsideTheWindow_doNotLockOut() throws Exception {
        AtomicLong now = new AtomicLong();
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).user("erin", "right").ticker(now::get)
                .maxLoginFailures(2).loginFailureWindow(Duration.ofSeconds(10)).loginBackoff(Duration.ZERO).start()) {
            assertThat(loginStatus(proxy, "erin", "wrong")).isEqualTo(1);
            now.addAndGet(Duration.ofSeconds(11).toNanos());
            assertThat(loginStatus(proxy, "erin", "wrong")).isEqualTo(1);
            assertThat(loginStatus(proxy, "erin", "right")).isZero();
        }
    }

    private static int loginStatus(ProxyManager proxy, String user, String password) throws IOException {
        try (RawClient client = new RawClient(proxy.address("socks5"))) {
            client.send(5, 1, 2);
            client.read(2);
            byte[] u = user.getBytes();
            byte[] p = password.getBytes();
            java.io.ByteArrayOutputStream msg = new java.io.ByteArrayOutputStream();
            msg.write(1);
            msg.write(u.length);
            msg.writeBytes(u);
            msg.write(p.length);
            msg.writeBytes(p);
            client.send(msg.toByteArray());
            return client.read(2)[1];
        }
    }

    @Test
    void disablingAUser_closesTheirOpenTunnels_andRefusesNewLogins() throws Exception {
        RecordingMetrics metrics = new RecordingMetrics();
        try (EchoServer echo = EchoServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).requireAuthentication(true).metrics(metrics).start()) {
            NewCredentials frank = proxy.users().create("frank", Limits.NONE).toCompletableFuture().get();
            try (RawClient a = tunnel(proxy, "frank", frank.password(), echo.port());
                 RawClient b = tunnel(proxy, "frank", frank.password(), echo.port())) {
                proxy.users().enable("frank", false).toCompletableFuture().get();
                assertThat(a.closedByPeer()).isTrue();
                assertThat(b.closedByPeer()).isTrue();
            }
            assertThat(List.of(metrics.nextSummary().outcome(), metrics.nextSummary().outcome()))
                    .containsOnly(Outcome.REVOKED);
            assertThat(loginStatus(proxy, "frank", frank.password())).isEqualTo(1);
        }
    }

    @Test
    void deletingAUser_closesTheirTunnels() throws Exception {
        try (EchoServer echo = EchoServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).requireAuthentication(true).start()) {
            NewCredentials gina = proxy.users().create("gina", Limits.NONE).toCompletableFuture().get();
            try (RawClient a = tunnel(proxy, "gina", gina.password(), echo.port())) {
                proxy.users().delete("gina").toCompletableFuture().get();
                assertThat(a.closedByPeer()).isTrue();
            }
        }
    }

    /**
     * The one end-to-end shaping test of the relay, with a wide margin: the live change must reach
     * the open tunnel (Engine's user listener, UserLimits.update, the relay's shaper). The rates
     * themselves are pinned on a fake ticker in proxy-core (TokenBucketTest, BucketShaperTest,
     * RelayTest).
     */
    @Test
    void changingAUsersLimits_reshapesTheirOpenSession() throws Exception {
        long size = 8L * 1024 * 1024;
        try (Source source = new Source(size);
             ProxyManager proxy = ProxyManager.builder().socks5(0).requireAuthentication(true).start()) {
            NewCredentials hal = proxy.users().create("hal", Limits.NONE.withBandwidth(256 * 1024)).toCompletableFuture().get();
            try (RawClient client = tunnel(proxy, "hal", hal.password(), source.port())) {
                InputStream in = client.socket.getInputStream();
                in.readNBytes(128 * 1024); // shaped at 256 KiB/s
                proxy.users().update("hal", Limits.NONE.withBandwidth(64L * 1024 * 1024)).toCompletableFuture().get();
                long start = System.nanoTime();
                long rest = in.transferTo(OutputStream.nullOutputStream());
                double seconds = (System.nanoTime() - start) / 1e9;
                assertThat(rest).isEqualTo(size - 128 * 1024);
                // At the old limit the rest would take about 31 s.
                assertThat(seconds).isLessThan(15);
            }
        }
    }

    @Test
    void maxSessionDuration_closesTheTunnel() throws Exception {
        RecordingMetrics metrics = new RecordingMetrics();
        try (EchoServer echo = EchoServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).maxSessionDuration(Duration.ofMillis(300))
                     .metrics(metrics).start();
             RawClient client = new RawClient(proxy.address("socks5"))) {
            client.noAuth().connectIpv4(echo.port());
            assertThat(client.replyCode()).isZero();
            assertThat(client.closedByPeer()).isTrue();
            assertThat(metrics.nextSummary().outcome()).isEqualTo(Outcome.MAX_DURATION);
        }
    }
}
