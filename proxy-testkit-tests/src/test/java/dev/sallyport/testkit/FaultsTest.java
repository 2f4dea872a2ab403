package dev.sallyport.testkit;

import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProxySelector;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each fault seen from real clients: the JDK's SOCKS client ({@code java.net.Socket} through a
 * SOCKS {@code Proxy}), the JDK's HttpClient through the HTTP proxy, and the kit's raw clients.
 */
@Timeout(60)
class FaultsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(1500);

    @RegisterExtension
    SallyportExtension proxy = SallyportExtension.socks5().http()
            .customize(b -> b.connectTimeout(CONNECT_TIMEOUT))
            .build();

    @RegisterExtension
    static TestOrigin origin = new TestOrigin();

    private HttpClient httpClient() {
        return HttpClient.newBuilder().proxy(ProxySelector.of(proxy.httpAddress()))
                .connectTimeout(WAIT).version(HttpClient.Version.HTTP_1_1).build();
    }

    private HttpResponse<byte[]> get(String pathAndQuery) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(origin.uri(pathAndQuery)).timeout(WAIT).build();
        return httpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private Socket socksSocket() {
        return new Socket(proxy.socksProxy());
    }

    @Test
    void latency_delaysEachConnect_thenTheTunnelWorks() throws Exception {
        Duration latency = Duration.ofMillis(300);
        proxy.faults().latency(latency);
        try (TcpServer echo = TcpServer.echo(); Socket socket = socksSocket()) {
            long start = System.nanoTime();
            socket.connect(echo.address(), 5000);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(latency);
            socket.getOutputStream().write(7);
            assertThat(socket.getInputStream().read()).isEqualTo(7);
        }

        long start = System.nanoTime();
        HttpResponse<byte[]> response = get("/hello");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(latency);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(new String(response.body())).isEqualTo("hello");
    }

    @Test
    void latency_longerThanTheConnectTimeout_refusedAsTimedOut() throws Exception {
        proxy.faults().latency(CONNECT_TIMEOUT.multipliedBy(4));
        try (Socks5Client client = Socks5Client.open(proxy.socks5Address())) {
            assertThat(client.noAuth().connect("127.0.0.1", 9).rep()).isEqualTo(0x06);
        }
        assertThat(proxy.awaitSessions(1, WAIT).get(0).outcome()).isEqualTo(Outcome.CONNECT_TIMEOUT);
    }

    @ParameterizedTest
    @EnumSource(Refusal.class)
    void refuse_socks5_repliesTheChosenCode_andReportsTheOutcome(Refusal refusal) throws Exception {
        proxy.faults().refuse(refusal);
        try (TcpServer echo = TcpServer.echo()) {
            try (Socks5Client client = Socks5Client.open(proxy.socks5Address())) {
                assertThat(client.noAuth().connect(echo.address()).rep()).isEqualTo(refusal.socksReply());
            }
            try (Socket socket = socksSocket()) {
                assertThatThrownBy(() -> socket.connect(echo.address(), 5000)).isInstanceOf(IOException.class);
            }
            assertThat(echo.connections()).as("the target was never dialled").isEmpty();
        }
        List<SessionSummary> sessions = proxy.awaitSessions(2, WAIT);
        assertThat(sessions).allSatisfy(s -> {
            assertThat(s.outcome()).isEqualTo(refusal.outcome());
            assertThat(s.protocol()).isEqualTo(Protocol.SOCKS5);
            assertThat(s.command()).isEqualTo(Command.CONNECT);
        });
    }

    @ParameterizedTest
    @EnumSource(Refusal.class)
    void refuse_http_answersTheChosenStatus_forForwardingAndConnect(Refusal refusal) throws Exception {
        proxy.faults().refuse(refusal);
        assertThat(get("/hello").statusCode()).isEqualTo(refusal.httpStatus());
        try (RawHttpClient client = RawHttpClient.open(proxy.httpAddress())) {
            assertThat(client.connect("127.0.0.1:" + origin.port()).status()).isEqualTo(refusal.httpStatus());
        }
        assertThat(proxy.awaitSessions(2, WAIT)).allSatisfy(s -> {
            assertThat(s.outcome()).isEqualTo(refusal.outcome());
            assertThat(s.protocol()).isEqualTo(Protocol.HTTP);
        });
    }

    @Test
    void refuseSocksAndRefuseHttp_pickTheRefusalWithThatReply() throws Exception {
        proxy.faults().refuseSocks(0x03);
        try (Socks5Client client = Socks5Client.open(proxy.socks5Address())) {
            assertThat(client.noAuth().connect("127.0.0.1", 9).rep()).isEqualTo(0x03);
        }
        proxy.faults().refuseHttp(403);
        assertThat(get("/hello").statusCode()).isEqualTo(403);
        assertThat(proxy.recorder().rejections()).contains("http:rule");
    }

    @Test
    void refusalTable_mapsCodesBothWays_andNamesWhatItCannotGive() {
        assertThat(Refusal.ofSocksReply(0x05)).isEqualTo(Refusal.CONNECTION_REFUSED);
        assertThat(Refusal.ofSocksReply(0x04)).isEqualTo(Refusal.HOST_UNREACHABLE);
        assertThat(Refusal.ofHttpStatus(502)).isEqualTo(Refusal.GENERAL_FAILURE);
        assertThat(Refusal.ofHttpStatus(504)).isEqualTo(Refusal.TIMED_OUT);
        assertThatThrownBy(() -> Refusal.ofSocksReply(0x07)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rep: 0x7 (expected one of: 0x01-0x06)");
        assertThatThrownBy(() -> Refusal.ofHttpStatus(429)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("status: 429 (expected one of: 403, 502, 504)");
        assertThatThrownBy(() -> proxy.faults().resetAfter(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bytes: -1 (expected: >= 0)");
        assertThatThrownBy(() -> proxy.faults().latency(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("delay: PT-0.001S (expected: >= 0)");
    }

    @Test
    void resetAfter_down_clientGetsExactlyThoseBytes_theTargetSeesAReset() throws Exception {
        proxy.faults().resetAfter(10_000, Faults.Direction.DOWN);
        try (TcpServer source = TcpServer.source(4 << 20); Socket socket = socksSocket()) {
            socket.connect(source.address(), 5000);
            socket.setSoTimeout(10_000);
            byte[] received = socket.getInputStream().readAllBytes();
            assertThat(received).hasSize(10_000);
            assertThat(TestBytes.firstMismatch(received, 0)).isEqualTo(-1);
            assertThat(source.awaitEnded(1, WAIT).get(0).reset()).as("the target's end").isTrue();
        }
        assertThat(proxy.awaitSessions(1, WAIT).get(0).bytesDown()).isEqualTo(10_000);
    }

    @Test
    void resetAfter_up_targetGetsExactlyThoseBytes_thenAReset() throws Exception {
        proxy.faults().resetAfter(10_000, Faults.Direction.UP);
        try (TcpServer sink = TcpServer.sink(); Socket socket = socksSocket()) {
            socket.connect(sink.address(), 5000);
            OutputStream out = socket.getOutputStream();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 64; i++) {
                        out.write(TestBytes.pattern((long) i << 16, 1 << 16));
                    }
                } catch (IOException expected) {
                    // The tunnel ends under the writer.
                }
            });
            TcpServer.Ended ended = sink.awaitEnded(1, WAIT).get(0);
            assertThat(ended.bytesReceived()).isEqualTo(10_000);
            assertThat(ended.reset()).isTrue();
            // The proxy closed the client's side too: the writer fails and ends.
            writer.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void resetAfter_eitherDirection_httpForward_clientSeesTheResponseCutShort() {
        proxy.faults().resetAfter(2_000);
        assertThatThrownBy(() -> get("/bytes?n=200000")).isInstanceOf(IOException.class);
    }

    @Test
    void hang_noAnswerUntilTheConnectTimeout_thenTimedOut() throws Exception {
        proxy.faults().hang();
        try (TcpServer echo = TcpServer.echo(); Socks5Client client = Socks5Client.open(proxy.socks5Address())) {
            client.noAuth();
            long start = System.nanoTime();
            assertThat(client.connect(echo.address()).rep()).isEqualTo(0x06);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(CONNECT_TIMEOUT);
            assertThat(echo.connections()).isEmpty();
        }
        assertThat(get("/hello").statusCode()).isEqualTo(504);
        assertThat(proxy.awaitSessions(2, WAIT)).extracting(SessionSummary::outcome)
                .containsOnly(Outcome.CONNECT_TIMEOUT);
    }

    @Test
    void clear_removesEveryFault() throws Exception {
        proxy.faults().latency(Duration.ofSeconds(30)).resetAfter(1).hang().clear();
        try (TcpServer echo = TcpServer.echo(); Socket socket = socksSocket()) {
            socket.connect(echo.address(), 5000);
            socket.getOutputStream().write(new byte[] {1, 2, 3});
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            assertThat(in.readAllBytes()).containsExactly(1, 2, 3);
        }
        assertThat(get("/hello").statusCode()).isEqualTo(200);
    }
}
