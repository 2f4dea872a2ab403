package dev.sallyport.examples.embedding;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Each embedding example, compiled and exercised through a real tunnel. */
@Timeout(60)
class EmbeddingExamplesTest {

    private static void echoOnce(InetSocketAddress proxy, InetSocketAddress target) throws IOException {
        try (Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, proxy))) {
            socket.connect(target, 5000);
            socket.getOutputStream().write("hi".getBytes(StandardCharsets.US_ASCII));
            assertThat(socket.getInputStream().readNBytes(2)).isEqualTo("hi".getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** A SOCKS5 login (RFC 1929) and CONNECT; returns the reply's REP code or 0x100 | the auth status. */
    private static int loginAndConnect(InetSocketAddress proxy, String user, String password, int port) throws IOException {
        try (Socks5Client client = Socks5Client.open(proxy)) {
            int status = client.login(user, password);
            if (status != 0) {
                return 0x100 | status;
            }
            return client.connect("127.0.0.1", port).rep();
        }
    }

    @Test
    void minimalSocks5_tunnels() throws Exception {
        try (TcpServer echo = TcpServer.echo(); ProxyManager proxy = MinimalSocks5.start(0)) {
            echoOnce(proxy.address("socks5"), echo.address());
        }
    }

    @Test
    void tokenServiceAuth_asksTheServiceOffTheEventLoop_andTheCacheAnswersRepeats() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        Map<String, TokenServiceAuth.TokenInfo> tokens = Map.of("tok-1", new TokenServiceAuth.TokenInfo("dora", 0));
        ExecutorService executor = Executors.newFixedThreadPool(2);
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).auth(new TokenServiceAuth(token -> {
                 lookups.incrementAndGet();
                 assertThat(Thread.currentThread().getName()).doesNotMatch("sallyport-\\d+-io-\\d+");
                 return Optional.ofNullable(tokens.get(token));
             }, executor)).start()) {
            assertThat(loginAndConnect(proxy.address("socks5"), "any", "tok-1", echo.port())).isZero();
            assertThat(loginAndConnect(proxy.address("socks5"), "any", "tok-1", echo.port())).isZero();
            assertThat(lookups).hasValue(1);
            assertThat(loginAndConnect(proxy.address("socks5"), "any", "wrong", echo.port())).isEqualTo(0x101);
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void micrometerWiring_countsTheSession() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TcpServer echo = TcpServer.echo(); ProxyManager proxy = MicrometerWiring.start(registry, 0)) {
            echoOnce(proxy.address("socks5"), echo.address());
            await().until(() -> registry.find("proxy.sessions").tag("outcome", "ok").counter() != null
                    && registry.get("proxy.sessions").tag("outcome", "ok").counter().count() == 1);
            assertThat(registry.get("proxy.bytes").tags("protocol", "socks5", "direction", "up").counter().count()).isEqualTo(2);
        }
    }
}
