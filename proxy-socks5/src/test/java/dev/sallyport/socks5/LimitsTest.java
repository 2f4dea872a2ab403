package dev.sallyport.socks5;

import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-user limits, caps, lockout and live user changes, on real SOCKS5 sessions. */
@Timeout(120)
class LimitsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static Socks5Client tunnel(ProxyManager proxy, String user, String password, int port) throws IOException {
        Socks5Client client = Socks5Client.open(proxy.address("socks5"));
        assertThat(client.login(user, password)).isZero();
        int rep = client.connect("127.0.0.1", port).rep();
        if (rep != 0) {
            client.close();
            throw new IOException("REP " + rep);
        }
        return client;
    }

    /** A whole login on a connection of its own; returns the RFC 1929 status (0 for success). */
    private static int loginStatus(ProxyManager proxy, String user, String password) throws IOException {
        try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            return client.login(user, password);
        }
    }

    @Test
    void concurrentSessions_theNPlusFirstIsRefused_andAcceptedAgainAfterOneCloses() throws Exception {
        SessionRecorder metrics = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).requireAuthentication(true).metrics(metrics).start()) {
            NewCredentials carol = proxy.users().create("carol", Limits.NONE.withMaxSessions(2)).toCompletableFuture().get();
            Socks5Client one = tunnel(proxy, "carol", carol.password(), echo.port());
            Socks5Client two = tunnel(proxy, "carol", carol.password(), echo.port());
            try (Socks5Client three = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(three.login("carol", carol.password())).isZero();
                assertThat(three.connect("127.0.0.1", echo.port()).rep()).isEqualTo(2);
            }
            assertThat(metrics.takeSession(WAIT)).satisfies(s -> {
                assertThat(s.outcome()).isEqualTo(Outcome.LIMITED);
                assertThat(s.rule()).isEqualTo("max-sessions");
            });
            one.close();
            assertThat(metrics.takeSession(WAIT).outcome()).isEqualTo(Outcome.OK);
            try (Socks5Client again = tunnel(proxy, "carol", carol.password(), echo.port())) {
                again.send(1);
                assertThat(again.read(1)[0]).isEqualTo((byte) 1);
            }
            two.close();
        }
    }

    @Test
    void perClientCap_refusesTheExtraConnectionWithNotAllowed() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).maxConnectionsPerClient(1).start();
             Socks5Client first = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(first.noAuth().connect("127.0.0.1", echo.port()).rep()).isZero();
            try (Socks5Client second = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(second.noAuth().connect("127.0.0.1", echo.port()).rep()).isEqualTo(2);
            }
        }
    }

    @Test
    void lockout_afterNFailures_evenTheRightPasswordFails_untilTheLockoutPasses() throws Exception {
        AtomicLong now = new AtomicLong();
        SessionRecorder metrics = new SessionRecorder();
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

    @Test
    void disablingAUser_closesTheirOpenTunnels_andRefusesNewLogins() throws Exception {
        SessionRecorder metrics = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).requireAuthentication(true).metrics(metrics).start()) {
            NewCredentials frank = proxy.users().create("frank", Limits.NONE).toCompletableFuture().get();
            try (Socks5Client a = tunnel(proxy, "frank", frank.password(), echo.port());
                 Socks5Client b = tunnel(proxy, "frank", frank.password(), echo.port())) {
                proxy.users().enable("frank", false).toCompletableFuture().get();
                assertThat(a.closedByPeer()).isTrue();
                assertThat(b.closedByPeer()).isTrue();
            }
            assertThat(List.of(metrics.takeSession(WAIT).outcome(), metrics.takeSession(WAIT).outcome()))
                    .containsOnly(Outcome.REVOKED);
            assertThat(loginStatus(proxy, "frank", frank.password())).isEqualTo(1);
        }
    }

    @Test
    void deletingAUser_closesTheirTunnels() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).requireAuthentication(true).start()) {
            NewCredentials gina = proxy.users().create("gina", Limits.NONE).toCompletableFuture().get();
            try (Socks5Client a = tunnel(proxy, "gina", gina.password(), echo.port())) {
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
        try (TcpServer source = TcpServer.source(size);
             ProxyManager proxy = ProxyManager.builder().socks5(0).requireAuthentication(true).start()) {
            NewCredentials hal = proxy.users().create("hal", Limits.NONE.withBandwidth(256 * 1024)).toCompletableFuture().get();
            try (Socks5Client client = tunnel(proxy, "hal", hal.password(), source.port())) {
                InputStream in = client.in();
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
        SessionRecorder metrics = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).maxSessionDuration(Duration.ofMillis(300))
                     .metrics(metrics).start();
             Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.noAuth().connect("127.0.0.1", echo.port()).rep()).isZero();
            assertThat(client.closedByPeer()).isTrue();
            assertThat(metrics.takeSession(WAIT).outcome()).isEqualTo(Outcome.MAX_DURATION);
        }
    }
}
