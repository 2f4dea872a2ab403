package dev.sallyport.examples.embedding;

import com.sun.net.httpserver.HttpServer;
import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.testkit.Faults;
import dev.sallyport.testkit.Refusal;
import dev.sallyport.testkit.SallyportExtension;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.TestBytes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Authenticator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A host application's own test of how it behaves behind a bad proxy, written as an application
 * team would write it with {@code proxy-testkit}: the application's client code, unchanged, is
 * pointed at an in-process Sallyport that the test slows down, cuts off, refuses or leaves
 * hanging; the test asserts what the application reports, and what the proxy saw.
 */
@Timeout(60)
class BehindABadProxyTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    /** The application's usual timeout: generous, as a loaded build machine needs. */
    private static final Duration APP_TIMEOUT = Duration.ofSeconds(10);
    /** A short one, for the tests of giving up; the proxy's own connect timeout is longer. */
    private static final Duration SHORT_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration PROXY_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    /**
     * Application code: fetches a named snapshot from a data server through a SOCKS5 proxy. The
     * protocol: the request line, an end of input, then the answer: a 4-byte length and the bytes.
     */
    static final class SnapshotClient {

        enum Status { OK, REFUSED, TIMED_OUT, TRUNCATED }

        /** What the application reports: the status, the bytes it got, and why. */
        record Result(Status status, byte[] data, String detail) {
        }

        private final Proxy proxy;
        private final int timeoutMillis;

        SnapshotClient(Proxy proxy, Duration timeout) {
            this.proxy = proxy;
            this.timeoutMillis = (int) timeout.toMillis();
        }

        Result fetch(InetSocketAddress server, String name) {
            try (Socket socket = new Socket(proxy)) {
                socket.connect(server, timeoutMillis);
                socket.setSoTimeout(timeoutMillis);
                socket.getOutputStream().write(("GET " + name + "\n").getBytes(StandardCharsets.US_ASCII));
                socket.shutdownOutput();
                DataInputStream in = new DataInputStream(socket.getInputStream());
                byte[] head = in.readNBytes(4);
                int length = head.length == 4 ? ByteBuffer.wrap(head).getInt() : -1;
                byte[] data = length < 0 ? new byte[0] : in.readNBytes(length);
                if (data.length != length) {
                    return new Result(Status.TRUNCATED, data, "got " + data.length + " of " + length + " bytes");
                }
                return new Result(Status.OK, data, "");
            } catch (SocketTimeoutException e) {
                return new Result(Status.TIMED_OUT, new byte[0], e.getMessage());
            } catch (IOException e) {
                // The JDK's SOCKS client names the proxy's reply: "SOCKS: Connection refused", ...
                return new Result(Status.REFUSED, new byte[0], e.getMessage());
            }
        }
    }

    /**
     * Application code: reads a status page through an authenticating HTTP proxy; a gateway error
     * (502, 503, 504) or an I/O failure is retried once, then reported as unavailable.
     */
    static final class StatusClient {

        private final HttpClient http;

        StatusClient(InetSocketAddress proxy, String user, String password) {
            http = HttpClient.newBuilder()
                    .proxy(ProxySelector.of(proxy))
                    .authenticator(new Authenticator() {
                        @Override
                        protected PasswordAuthentication getPasswordAuthentication() {
                            return getRequestorType() == RequestorType.PROXY
                                    ? new PasswordAuthentication(user, password.toCharArray()) : null;
                        }
                    })
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(APP_TIMEOUT)
                    .build();
        }

        String status(URI page) throws InterruptedException {
            String failure = "";
            for (int attempt = 1; attempt <= 2; attempt++) {
                try {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(page).timeout(APP_TIMEOUT).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 200) {
                        return response.body();
                    }
                    if (response.statusCode() < 502 || response.statusCode() > 504) {
                        return "refused (" + response.statusCode() + ")";
                    }
                    failure = " (" + response.statusCode() + ")";
                } catch (IOException e) {
                    failure = " (" + e.getClass().getSimpleName() + ")";
                }
            }
            return "unavailable" + failure;
        }
    }

    @RegisterExtension
    static SallyportExtension socks = SallyportExtension.socks5()
            .customize(b -> b.connectTimeout(PROXY_CONNECT_TIMEOUT))
            .build();

    @RegisterExtension
    static SallyportExtension http = SallyportExtension.http().user("app", "s3cret").build();

    private static final byte[] SNAPSHOT = TestBytes.pattern(0, 64 * 1024);

    /** The data server: answers every request with the snapshot, length first. */
    @RegisterExtension
    static TcpServer dataServer = TcpServer.replyAfterEof(ByteBuffer.allocate(4 + SNAPSHOT.length)
            .putInt(SNAPSHOT.length).put(SNAPSHOT).array());

    private static HttpServer web;

    @BeforeAll
    static void startWebServer() throws IOException {
        web = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        web.createContext("/status", exchange -> {
            byte[] body = "all systems go".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        web.start();
    }

    @AfterAll
    static void stopWebServer() {
        web.stop(0);
    }

    private static SnapshotClient snapshotClient(Duration timeout) {
        return new SnapshotClient(socks.socksProxy(), timeout);
    }

    /**
     * The JDK client asks without credentials first and logs in after the proxy's 407 challenge,
     * which the proxy reports as a refused login of its own: takes it, and checks it is that.
     */
    private static void takeTheChallenge() {
        SessionSummary challenge = http.recorder().takeSession(WAIT);
        assertThat(challenge.outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(challenge.rule()).isEqualTo("no_credentials");
        assertThat(challenge.user()).isNull();
    }

    private static StatusClient statusClient() {
        return new StatusClient(http.httpAddress(), "app", "s3cret");
    }

    private static URI statusPage() {
        return URI.create("http://127.0.0.1:" + web.getAddress().getPort() + "/status");
    }

    @Test
    void fetch_throughAHealthyProxy_returnsTheSnapshot_andTheProxySawOneTunnel() {
        SnapshotClient.Result result = snapshotClient(APP_TIMEOUT).fetch(dataServer.address(), "prices");

        assertThat(result.status()).isEqualTo(SnapshotClient.Status.OK);
        assertThat(result.data()).isEqualTo(SNAPSHOT);
        SessionSummary session = socks.recorder().takeSession(WAIT);
        assertThat(session.protocol()).isEqualTo(Protocol.SOCKS5);
        assertThat(session.command()).isEqualTo(Command.CONNECT);
        assertThat(session.targetPort()).isEqualTo(dataServer.port());
        assertThat(session.outcome()).isEqualTo(Outcome.OK);
        assertThat(session.bytesUp()).isEqualTo("GET prices\n".length());
        assertThat(session.bytesDown()).isEqualTo(4 + SNAPSHOT.length);
    }

    @Test
    void fetch_slowProxy_stillSucceeds_withinTheApplicationsTimeout() {
        Duration latency = Duration.ofMillis(300);
        socks.faults().latency(latency);

        long start = System.nanoTime();
        SnapshotClient.Result result = snapshotClient(APP_TIMEOUT).fetch(dataServer.address(), "prices");

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(latency);
        assertThat(result.status()).isEqualTo(SnapshotClient.Status.OK);
        assertThat(result.data()).isEqualTo(SNAPSHOT);
    }

    @Test
    void fetch_proxySlowerThanTheApplicationsTimeout_reportsTimedOut_andTheTargetIsNeverReached() {
        int dialled = dataServer.connections().size();
        socks.faults().latency(Duration.ofSeconds(30));

        SnapshotClient.Result result = snapshotClient(SHORT_TIMEOUT).fetch(dataServer.address(), "prices");

        assertThat(result.status()).isEqualTo(SnapshotClient.Status.TIMED_OUT);
        // The proxy gives up later, at its own connect timeout, having reached nothing.
        SessionSummary session = socks.recorder().takeSession(WAIT);
        assertThat(session.outcome()).isEqualTo(Outcome.CONNECT_TIMEOUT);
        assertThat(session.bytesDown()).isZero();
        assertThat(dataServer.connections()).hasSize(dialled);
    }

    @Test
    void fetch_connectionCutAfter1000Bytes_reportsTruncated_withWhatCame() {
        socks.faults().resetAfter(1000, Faults.Direction.DOWN);

        SnapshotClient.Result result = snapshotClient(APP_TIMEOUT).fetch(dataServer.address(), "prices");

        assertThat(result.status()).isEqualTo(SnapshotClient.Status.TRUNCATED);
        assertThat(result.detail()).isEqualTo("got 996 of 65536 bytes");
        assertThat(result.data()).isEqualTo(TestBytes.pattern(0, 996));
        assertThat(socks.recorder().takeSession(WAIT).bytesDown()).isEqualTo(1000);
    }

    @ParameterizedTest
    @EnumSource(value = Refusal.class, names = {"CONNECTION_REFUSED", "HOST_UNREACHABLE", "TIMED_OUT"})
    void fetch_proxyRefusesWithAChosenReply_reportsTheProxysReason(Refusal refusal) {
        int dialled = dataServer.connections().size();
        socks.faults().refuse(refusal);

        SnapshotClient.Result result = snapshotClient(APP_TIMEOUT).fetch(dataServer.address(), "prices");

        assertThat(result.status()).isEqualTo(SnapshotClient.Status.REFUSED);
        assertThat(result.detail()).isEqualTo(switch (refusal) {
            case CONNECTION_REFUSED -> "SOCKS: Connection refused";
            case HOST_UNREACHABLE -> "SOCKS: Host unreachable";
            default -> "SOCKS: TTL expired";
        });
        assertThat(socks.recorder().takeSession(WAIT).outcome()).isEqualTo(refusal.outcome());
        assertThat(dataServer.connections()).as("the target was never dialled").hasSize(dialled);
    }

    @Test
    void fetch_proxyAcceptsAndNeverAnswers_applicationGivesUpAtItsOwnTimeout() {
        socks.faults().hang();

        long start = System.nanoTime();
        SnapshotClient.Result result = snapshotClient(SHORT_TIMEOUT).fetch(dataServer.address(), "prices");

        assertThat(result.status()).isEqualTo(SnapshotClient.Status.TIMED_OUT);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(SHORT_TIMEOUT)
                .isLessThan(PROXY_CONNECT_TIMEOUT);
        SessionSummary session = socks.recorder().takeSession(WAIT);
        assertThat(session.outcome()).isEqualTo(Outcome.CONNECT_TIMEOUT);
        assertThat(session.bytesUp()).as("the request never left the proxy").isZero();
    }

    @Test
    void status_throughTheAuthenticatingHttpProxy_readsThePage_asItsUser() throws Exception {
        assertThat(statusClient().status(statusPage())).isEqualTo("all systems go");

        takeTheChallenge();
        SessionSummary session = http.recorder().takeSession(WAIT);
        assertThat(session.outcome()).isEqualTo(Outcome.OK);
        assertThat(session.user()).isEqualTo("app");
        assertThat(session.command()).isEqualTo(Command.HTTP_FORWARD);
        assertThat(session.targetPort()).isEqualTo(web.getAddress().getPort());
    }

    @Test
    void status_proxyAnswers504_applicationRetriesOnce_thenReportsUnavailable() throws Exception {
        http.faults().refuseHttp(504);

        assertThat(statusClient().status(statusPage())).isEqualTo("unavailable (504)");

        takeTheChallenge();
        List<SessionSummary> sessions = List.of(http.recorder().takeSession(WAIT), http.recorder().takeSession(WAIT));
        assertThat(http.sessions()).as("the challenge, one request and one retry").hasSize(3);
        assertThat(sessions).allSatisfy(s -> {
            assertThat(s.outcome()).isEqualTo(Outcome.CONNECT_TIMEOUT);
            assertThat(s.user()).isEqualTo("app");
        });
    }

    @Test
    void status_proxyForbidsTheSite_applicationReportsIt_withoutRetrying() throws Exception {
        http.faults().refuseHttp(403);

        assertThat(statusClient().status(statusPage())).isEqualTo("refused (403)");

        // Recorded before the proxy answered: a retry would have added a second one by now.
        assertThat(http.recorder().rejections()).containsExactly("http:rule");
        takeTheChallenge();
        SessionSummary session = http.recorder().takeSession(WAIT);
        assertThat(session.outcome()).isEqualTo(Outcome.DENIED);
        assertThat(session.rule()).isEqualTo("testkit-faults");
    }
}
