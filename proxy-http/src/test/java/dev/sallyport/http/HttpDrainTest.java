package dev.sallyport.http;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code ProxyManager.close()} with HTTP clients connected: idle keep-alive connections close at
 * once (SessionEvent.DRAINING), requests in flight and tunnels finish first. The drain timeout is
 * 60 s throughout, so a close that waited for an idle client would exceed the waits below.
 */
@Timeout(60)
class HttpDrainTest {

    private static final Duration DRAIN = Duration.ofSeconds(60);

    private static String get(int port, String path) {
        return "GET http://127.0.0.1:" + port + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    private static boolean refuses(InetSocketAddress address) {
        try (Socket socket = new Socket()) {
            socket.connect(address, 1000);
            return false;
        } catch (ConnectException refused) {
            return true;
        } catch (IOException other) {
            return false;
        }
    }

    @Test
    void close_withAnIdleKeepAliveClient_closesItAndReturns() throws Exception {
        try (ScriptedOrigin origin = new ScriptedOrigin()) {
            ProxyManager proxy = ProxyManager.builder().http(0).drainTimeout(DRAIN).start();
            try (RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
                client.send(get(origin.port(), "/one"));
                assertThat(client.response().status()).isEqualTo(200);

                CompletableFuture<Void> closing = CompletableFuture.runAsync(proxy::close);
                assertThat(client.closedByPeer()).isTrue();
                closing.get(30, TimeUnit.SECONDS);
            } finally {
                proxy.close(Duration.ZERO);
            }
        }
    }

    @Test
    void close_withARequestInFlight_letsItFinish_thenClosesTheConnection() throws Exception {
        try (ScriptedOrigin origin = new ScriptedOrigin()) {
            CountDownLatch gate = new CountDownLatch(1);
            origin.gate = gate;
            ProxyManager proxy = ProxyManager.builder().http(0).drainTimeout(DRAIN).start();
            InetSocketAddress address = proxy.address("http");
            try (RawHttpClient client = RawHttpClient.open(address)) {
                client.send(get(origin.port(), "/slow"));
                await().untilAsserted(() -> assertThat(origin.requests).hasValue(1));

                CompletableFuture<Void> closing = CompletableFuture.runAsync(proxy::close);
                await().until(() -> refuses(address));
                assertThat(closing).isNotDone();
                gate.countDown();
                RawHttpClient.Response response = client.response();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.text()).isEqualTo("conn 1 req 1");
                assertThat(client.closedByPeer()).isTrue();
                closing.get(30, TimeUnit.SECONDS);
            } finally {
                proxy.close(Duration.ZERO);
            }
        }
    }

    @Test
    void close_withAnOpenTunnel_waitsForItToEnd() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            ProxyManager proxy = ProxyManager.builder().http(0).drainTimeout(DRAIN).start();
            InetSocketAddress address = proxy.address("http");
            try (RawHttpClient client = RawHttpClient.open(address)) {
                client.send("CONNECT 127.0.0.1:" + echo.port() + " HTTP/1.1\r\n\r\n");
                assertThat(client.head().status()).isEqualTo(200);

                CompletableFuture<Void> closing = CompletableFuture.runAsync(proxy::close);
                await().until(() -> refuses(address));
                // The tunnel keeps working while the proxy drains.
                client.send("still here");
                assertThat(new String(client.read(10), StandardCharsets.US_ASCII)).isEqualTo("still here");
                assertThat(closing).isNotDone();
                client.socket().shutdownOutput();
                assertThat(client.closedByPeer()).isTrue();
                closing.get(30, TimeUnit.SECONDS);
            } finally {
                proxy.close(Duration.ZERO);
            }
        }
    }
}
