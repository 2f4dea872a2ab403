package dev.sallyport.socks5;

import dev.sallyport.api.Outcome;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Half-close propagation, idle timeout and graceful shutdown with open tunnels. */
@Timeout(60)
class TunnelLifecycleTest {

    @Test
    void halfClose_clientShutsDownOutput_stillReceivesTheWholeReply() throws Exception {
        byte[] reply = "the rest of the reply, sent after the client's EOF".repeat(2000).getBytes(StandardCharsets.US_ASCII);
        SessionRecorder metrics = new SessionRecorder();
        try (TcpServer server = TcpServer.replyAfterEof(reply);
             ProxyManager proxy = ProxyManager.builder().socks5(0).metrics(metrics).start();
             Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, proxy.address("socks5")))) {
            socket.connect(server.address(), 5000);
            socket.getOutputStream().write("request body".getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            assertThat(socket.getInputStream().readAllBytes()).isEqualTo(reply);
            assertThat(metrics.takeSession(Duration.ofSeconds(10))).satisfies(s -> {
                assertThat(s.outcome()).isEqualTo(Outcome.OK);
                assertThat(s.bytesUp()).isEqualTo(12);
                assertThat(s.bytesDown()).isEqualTo(reply.length);
            });
        }
    }

    @Test
    void halfClose_targetShutsDownOutput_clientCanStillSend() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).start();
             Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, proxy.address("socks5")))) {
            socket.connect(echo.address(), 5000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("one".getBytes(StandardCharsets.US_ASCII));
            assertThat(socket.getInputStream().readNBytes(3)).isEqualTo("one".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write("two".getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            // The echo server sees EOF, shuts down its output; both directions are done.
            assertThat(socket.getInputStream().readAllBytes()).isEqualTo("two".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void idleTunnel_isClosedAfterTheIdleTimeout() throws Exception {
        SessionRecorder metrics = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).idleTimeout(Duration.ofMillis(300))
                     .metrics(metrics).start();
             Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, proxy.address("socks5")))) {
            socket.connect(echo.address(), 5000);
            socket.setSoTimeout(10_000);
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            assertThat(metrics.takeSession(Duration.ofSeconds(10)).outcome()).isEqualTo(Outcome.IDLE_TIMEOUT);
        }
    }

    @Test
    void close_withOpenTunnels_drainsThemThenFreesThePort() throws Exception {
        TcpServer echo = TcpServer.echo();
        ProxyManager proxy = ProxyManager.builder().socks5(0).drainTimeout(Duration.ofSeconds(30)).start();
        InetSocketAddress address = proxy.address("socks5");
        List<Socket> tunnels = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, address));
                socket.connect(echo.address(), 5000);
                socket.setSoTimeout(10_000);
                tunnels.add(socket);
            }
            CompletableFuture<Void> closing = CompletableFuture.runAsync(proxy::close);

            // The listener stops accepting while the open tunnels keep working.
            waitUntilRefused(address);
            assertThat(closing).isNotDone();
            for (Socket socket : tunnels) {
                socket.getOutputStream().write("still here".getBytes(StandardCharsets.US_ASCII));
                assertThat(socket.getInputStream().readNBytes(10)).isEqualTo("still here".getBytes(StandardCharsets.US_ASCII));
            }
            // Probes accepted just before the listener closed may still be on their way out.
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.openConnections() == 4);

            // Clients finish; close() returns once the last tunnel is gone.
            for (Socket socket : tunnels) {
                socket.shutdownOutput();
                assertThat(socket.getInputStream().read()).isEqualTo(-1);
                socket.close();
            }
            closing.get(20, TimeUnit.SECONDS);
            try (ServerSocket rebound = new ServerSocket(address.getPort(), 1, address.getAddress())) {
                assertThat(rebound.getLocalPort()).isEqualTo(address.getPort());
            }
            proxy.close(); // idempotent
        } finally {
            for (Socket socket : tunnels) {
                socket.close();
            }
            echo.close();
        }
    }

    @Test
    void close_drainDeadlinePasses_closesRemainingTunnels() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            ProxyManager proxy = ProxyManager.builder().socks5(0).start();
            try (Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, proxy.address("socks5")))) {
                socket.connect(echo.address(), 5000);
                socket.setSoTimeout(10_000);
                proxy.close(Duration.ofMillis(100));
                assertThat(socket.getInputStream().read()).isEqualTo(-1);
                assertThat(proxy.openConnections()).isZero();
            }
        }
    }

    /** Polls with fresh connections until the closed listener refuses them (no sleeping). */
    private static void waitUntilRefused(InetSocketAddress address) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket probe = new Socket()) {
                probe.connect(address, 1000);
            } catch (ConnectException refused) {
                return;
            } catch (IOException other) {
                // Retry: the listener may be closing right now.
            }
            Thread.onSpinWait();
        }
        assertThatThrownBy(() -> new Socket().connect(address, 1000)).isInstanceOf(ConnectException.class);
    }
}
