package dev.sallyport.socks5;

import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What {@code close(Duration)} leaves in the metrics: a tunnel the drain timeout cuts ends
 * {@link Outcome#SHUTDOWN}, as does a connection still in its handshake; a tunnel its client ends
 * while the proxy drains ends {@link Outcome#OK}.
 */
@Timeout(60)
class ShutdownSummaryTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final SessionRecorder metrics = new SessionRecorder();

    @Test
    void tunnelCutAtTheDrainTimeout_endsShutdown() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            ProxyManager proxy = ProxyManager.builder().socks5(0).metrics(metrics).start();
            try (Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, proxy.address("socks5")))) {
                socket.connect(echo.address(), 5000);
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                assertThat(socket.getInputStream().readNBytes(4)).hasSize(4);

                proxy.close(Duration.ofMillis(50));
                assertThat(socket.getInputStream().read()).isEqualTo(-1);
                SessionSummary summary = metrics.takeSession(WAIT);
                assertThat(summary.outcome()).isEqualTo(Outcome.SHUTDOWN);
                assertThat(summary.bytesUp()).isEqualTo(4);
                assertThat(summary.bytesDown()).isEqualTo(4);
            } finally {
                proxy.close(Duration.ZERO);
            }
        }
    }

    @Test
    void closeWithoutDrain_cutsTunnelsAndHandshakes_bothEndShutdown() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            ProxyManager proxy = ProxyManager.builder().socks5(0).metrics(metrics).start();
            try (Socket tunnel = new Socket(new Proxy(Proxy.Type.SOCKS, proxy.address("socks5")));
                 Socks5Client handshaking = Socks5Client.open(proxy.address("socks5"))) {
                tunnel.connect(echo.address(), 5000);
                // Greeted, no request yet: the handshake is under way.
                assertThat(handshaking.greet(Socks5Client.NO_AUTHENTICATION)).isEqualTo(Socks5Client.NO_AUTHENTICATION);
                await().atMost(WAIT).until(() -> proxy.openConnections() == 2);

                proxy.close(Duration.ZERO);
                assertThat(metrics.awaitSessions(2, WAIT)).extracting(SessionSummary::outcome)
                        .containsOnly(Outcome.SHUTDOWN);
            } finally {
                proxy.close(Duration.ZERO);
            }
        }
    }

    @Test
    void tunnelItsClientEndsWhileDraining_endsOk() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            ProxyManager proxy = ProxyManager.builder().socks5(0).metrics(metrics).drainTimeout(Duration.ofSeconds(30))
                    .start();
            try (Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, proxy.address("socks5")))) {
                socket.connect(echo.address(), 5000);
                socket.setSoTimeout(10_000);
                CompletableFuture<Void> closing = CompletableFuture.runAsync(proxy::close);
                socket.shutdownOutput();
                assertThat(socket.getInputStream().read()).isEqualTo(-1);
                closing.get(20, TimeUnit.SECONDS);
                assertThat(metrics.takeSession(WAIT).outcome()).isEqualTo(Outcome.OK);
            } finally {
                proxy.close(Duration.ZERO);
            }
        }
    }
}
