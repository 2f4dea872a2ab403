package dev.sallyport.http;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.Decision;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.SallyportExtension;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every status code the proxy answers with itself, provoked over a raw socket and read off the
 * wire, each followed by a good request on the same server to prove it keeps serving.
 */
@Timeout(60)
class HttpRepliesTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static TestOrigin origin = new TestOrigin();

    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    @RegisterExtension
    SallyportExtension proxy = TestProxies.http();

    private InetSocketAddress start(Consumer<ProxyManager.Builder> config) {
        return proxy.restart(config).address("http");
    }

    private InetSocketAddress start() {
        return proxy.httpAddress();
    }

    private SessionSummary nextSession() {
        return proxy.recorder().takeSession(WAIT);
    }

    private static String basic(String user, String password) {
        return RawHttpClient.proxyAuthorization(user, password) + "\r\n";
    }

    private String get(int port, String path) {
        return "GET http://origin.test:" + port + path + " HTTP/1.1\r\nHost: origin.test\r\n";
    }

    /** A good forwarded GET on a new connection. */
    private void assertStillServes(InetSocketAddress address, String authorization) throws Exception {
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send(get(origin.port(), "/after") + (authorization == null ? "" : authorization) + "\r\n");
            RawHttpClient.Response response = client.response();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.text()).isEqualTo("hello");
        }
        origin.take();
    }

    private void assertStillServes(InetSocketAddress address) throws Exception {
        assertStillServes(address, null);
    }

    private RawHttpClient.Response exchange(InetSocketAddress address, String request) throws IOException {
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send(request);
            return client.response();
        }
    }

    @Test
    void forward_withoutCredentials_407WithBasicChallenge_thenSameConnectionRetries() throws Exception {
        InetSocketAddress address = start(b -> b.user("alice", "secret"));
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send(get(origin.port(), "/x") + "\r\n");
            RawHttpClient.Response challenge = client.response();
            assertThat(challenge.status()).isEqualTo(407);
            assertThat(challenge.header("Proxy-Authenticate")).isEqualTo("Basic realm=\"sallyport\"");
            assertThat(challenge.header("Content-Type")).startsWith("text/plain");

            client.send(get(origin.port(), "/x") + basic("alice", "secret") + "\r\n");
            RawHttpClient.Response ok = client.response();
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.text()).isEqualTo("hello");
        }
        TestOrigin.Received received = origin.take();
        assertThat(received.headers().containsKey("Proxy-Authorization")).isFalse();
        SessionSummary challenged = nextSession();
        assertThat(challenged.outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(challenged.user()).isNull();
        SessionSummary summary = nextSession();
        assertThat(summary.user()).isEqualTo("alice");
        assertThat(summary.outcome()).isEqualTo(Outcome.OK);
    }

    @Test
    void forward_wrongPassword_407AndClose() throws Exception {
        InetSocketAddress address = start(b -> b.user("alice", "secret"));
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send(get(origin.port(), "/x") + basic("alice", "wrong") + "\r\n");
            RawHttpClient.Response response = client.response();
            assertThat(response.status()).isEqualTo(407);
            assertThat(response.header("Proxy-Authenticate")).isEqualTo("Basic realm=\"sallyport\"");
        }
        assertThat(nextSession().outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(proxy.recorder().authFailures()).isNotEmpty();
        assertStillServes(address, basic("alice", "secret"));
    }

    @Test
    void forward_bearerToken_isAccepted_andWrongTokenGets407() throws Exception {
        InetSocketAddress address = start(b -> b.requireAuthentication(true));
        String token = proxy.manager().users().create("bob", dev.sallyport.api.Limits.NONE).toCompletableFuture().get().token();
        assertThat(exchange(address, get(origin.port(), "/x") + "Proxy-Authorization: Bearer " + token + "\r\n\r\n")
                .status()).isEqualTo(200);
        assertThat(origin.take().headers().containsKey("Proxy-Authorization")).isFalse();
        assertThat(exchange(address, get(origin.port(), "/x") + "Proxy-Authorization: Bearer nope\r\n\r\n")
                .status()).isEqualTo(407);
    }

    @Test
    void forward_malformedProxyAuthorization_407() throws Exception {
        InetSocketAddress address = start(b -> b.user("alice", "secret"));
        assertThat(exchange(address, get(origin.port(), "/x") + "Proxy-Authorization: Basic !!!\r\n\r\n").status())
                .isEqualTo(407);
        assertStillServes(address, basic("alice", "secret"));
    }

    @Test
    void connect_withoutCredentials_407_wrongCredentials_407() throws Exception {
        InetSocketAddress address = start(b -> b.user("alice", "secret"));
        RawHttpClient.Response none = exchange(address, "CONNECT 127.0.0.1:" + echo.port() + " HTTP/1.1\r\n\r\n");
        assertThat(none.status()).isEqualTo(407);
        assertThat(none.header("Proxy-Authenticate")).isEqualTo("Basic realm=\"sallyport\"");
        RawHttpClient.Response wrong = exchange(address, "CONNECT 127.0.0.1:" + echo.port() + " HTTP/1.1\r\n"
                + basic("alice", "nope") + "\r\n");
        assertThat(wrong.status()).isEqualTo(407);
        assertThat(wrong.header("Proxy-Authenticate")).isEqualTo("Basic realm=\"sallyport\"");
        assertStillServes(address, basic("alice", "secret"));
    }

    @Test
    void forward_deniedByRule_403() throws Exception {
        InetSocketAddress address = start(b -> b.accessRule(AccessRule.named("no-secret",
                r -> r.request().targetHost().equals("127.0.0.2") ? Decision.deny("secret") : Decision.abstain())));
        RawHttpClient.Response response = exchange(address,
                "GET http://127.0.0.2:" + origin.port() + "/ HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(response.status()).isEqualTo(403);
        assertThat(response.text()).contains("denied");
        SessionSummary summary = nextSession();
        assertThat(summary.outcome()).isEqualTo(Outcome.DENIED);
        assertThat(summary.rule()).isEqualTo("no-secret");
        assertStillServes(address);
    }

    @Test
    void connect_deniedByRule_403() throws Exception {
        InetSocketAddress address = start();
        // The default rules refuse tunnels into the proxy itself.
        RawHttpClient.Response response = exchange(address, "CONNECT 127.0.0.1:" + address.getPort() + " HTTP/1.1\r\n\r\n");
        assertThat(response.status()).isEqualTo(403);
        assertThat(nextSession().rule()).isEqualTo("deny-self");
        assertStillServes(address);
    }

    @Test
    void limitedOutcome_mapsTo429() {
        // End to end in HttpPolicyTest (max sessions, connections per client).
        assertThat(Replies.status(Outcome.LIMITED).code()).isEqualTo(429);
    }

    @Test
    void forward_unknownName_502() throws Exception {
        InetSocketAddress address = start();
        RawHttpClient.Response response = exchange(address, "GET http://nowhere.test/ HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(response.status()).isEqualTo(502);
        assertThat(response.text()).contains("cannot resolve nowhere.test");
        assertThat(nextSession().outcome()).isEqualTo(Outcome.DNS_FAILED);
        assertStillServes(address);
    }

    @Test
    void connect_unknownName_502() throws Exception {
        InetSocketAddress address = start();
        RawHttpClient.Response response = exchange(address, "CONNECT nowhere.test:443 HTTP/1.1\r\n\r\n");
        assertThat(response.status()).isEqualTo(502);
        assertStillServes(address);
    }

    @Test
    void forwardAndConnect_closedPort_502Refused() throws Exception {
        InetSocketAddress address = start();
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        RawHttpClient.Response forward = exchange(address, get(closedPort, "/") + "\r\n");
        assertThat(forward.status()).isEqualTo(502);
        assertThat(forward.text()).contains("refused");
        assertThat(nextSession().outcome()).isEqualTo(Outcome.CONNECTION_REFUSED);
        RawHttpClient.Response connect = exchange(address, "CONNECT 127.0.0.1:" + closedPort + " HTTP/1.1\r\n\r\n");
        assertThat(connect.status()).isEqualTo(502);
        assertStillServes(address);
    }

    @Test
    void forwardAndConnect_connectTimeout_504() throws Exception {
        InetSocketAddress address = start(b -> b.connectTimeout(Duration.ofMillis(200))
                .connectionPool((target, loop, dialer) -> target.getPort() == 9 ? loop.newPromise()
                        : dialer.dial(target, loop)));
        assertThat(exchange(address, get(9, "/") + "\r\n").status()).isEqualTo(504);
        assertThat(nextSession().outcome()).isEqualTo(Outcome.CONNECT_TIMEOUT);
        assertThat(exchange(address, "CONNECT 127.0.0.1:9 HTTP/1.1\r\n\r\n").status()).isEqualTo(504);
        assertStillServes(address);
    }

    @Test
    void headersOver16KiB_431() throws Exception {
        InetSocketAddress address = start();
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send(get(origin.port(), "/") + "X-Big: " + "a".repeat(17 * 1024) + "\r\n\r\n");
            assertThat(client.response().status()).isEqualTo(431);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(nextSession().outcome()).isEqualTo(Outcome.PROTOCOL_ERROR);
        assertStillServes(address);
    }

    @Test
    void headersOverTheConfiguredSize_431_andJustUnderIsServed() throws Exception {
        InetSocketAddress address = start(b -> b.options(HttpOptions.defaults().maxHeaderSize(2048)));
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send(get(origin.port(), "/") + "X-Big: " + "a".repeat(3000) + "\r\n\r\n");
            RawHttpClient.Response response = client.response();
            assertThat(response.status()).isEqualTo(431);
            assertThat(response.text()).contains("2048 bytes");
            assertThat(client.closedByPeer()).isTrue();
        }
        // Under the configured size: served.
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send(get(origin.port(), "/") + "X-Big: " + "a".repeat(1500) + "\r\n\r\n");
            assertThat(client.response().status()).isEqualTo(200);
        }
        origin.take();
    }

    @Test
    void requestLineOverTheConfiguredLength_414() throws Exception {
        InetSocketAddress address = start(b -> b.options(HttpOptions.defaults().maxRequestLine(512)));
        RawHttpClient.Response response = exchange(address, get(origin.port(), "/" + "a".repeat(600)) + "\r\n");
        assertThat(response.status()).isEqualTo(414);
        assertThat(response.text()).contains("512 bytes");
        assertThat(nextSession().outcome()).isEqualTo(Outcome.PROTOCOL_ERROR);
        RawHttpClient.Response fits = exchange(address, get(origin.port(), "/" + "a".repeat(400)) + "\r\n");
        assertThat(fits.status()).isEqualTo(200);
        origin.take();
    }

    @Test
    void requestLineTooLong_414() throws Exception {
        InetSocketAddress address = start();
        RawHttpClient.Response response = exchange(address, get(origin.port(), "/" + "a".repeat(9000)) + "\r\n");
        assertThat(response.status()).isEqualTo(414);
        assertStillServes(address);
    }

    @Test
    void garbage_400AndClose() throws Exception {
        InetSocketAddress address = start();
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send("THIS IS NOT HTTP\r\n\r\n");
            assertThat(client.response().status()).isEqualTo(400);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertStillServes(address);
    }

    @Test
    void connectWithoutPort_400() throws Exception {
        InetSocketAddress address = start();
        assertThat(exchange(address, "CONNECT origin.test HTTP/1.1\r\n\r\n").status()).isEqualTo(400);
        assertStillServes(address);
    }

    @Test
    void unsupportedScheme_501() throws Exception {
        InetSocketAddress address = start();
        RawHttpClient.Response response = exchange(address, "GET ftp://origin.test/file HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(response.status()).isEqualTo(501);
        assertThat(response.text()).contains("ftp");
        assertStillServes(address);
    }

    @Test
    void originFormRequest_400WithHint_connectionStaysUsable() throws Exception {
        InetSocketAddress address = start();
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send("GET /index.html HTTP/1.1\r\nHost: origin.test\r\n\r\n");
            RawHttpClient.Response response = client.response();
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.text()).contains("proxy").contains("http://");
            client.send(get(origin.port(), "/again") + "\r\n");
            assertThat(client.response().text()).isEqualTo("hello");
        }
        origin.take();
    }

    @Test
    void silence_pastHandshakeTimeout_408ThenClose() throws Exception {
        InetSocketAddress address = start(b -> b.handshakeTimeout(Duration.ofMillis(200)));
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send("GET http://origin.test/ HTTP/1.1\r\n");
            assertThat(client.response().status()).isEqualTo(408);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(nextSession().outcome()).isEqualTo(Outcome.HANDSHAKE_TIMEOUT);
        assertStillServes(address);
    }

    @Test
    void maxForwardsZero_optionsAndTraceAnsweredByTheProxy() throws Exception {
        InetSocketAddress address = start();
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send("OPTIONS http://origin.test:" + origin.port() + "/ HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\n\r\n");
            RawHttpClient.Response options = client.response();
            assertThat(options.status()).isEqualTo(200);
            assertThat(options.header("Allow")).contains("GET");
            client.send("TRACE http://origin.test:" + origin.port() + "/t HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\n"
                    + "Proxy-Authorization: Basic c2VjcmV0\r\n\r\n");
            RawHttpClient.Response trace = client.response();
            assertThat(trace.status()).isEqualTo(200);
            assertThat(trace.header("Content-Type")).isEqualTo("message/http");
            assertThat(trace.text()).startsWith("TRACE ").doesNotContain("c2VjcmV0");
        }
        assertStillServes(address);
        assertThat(origin.connections()).isPositive();
    }

    @Test
    void maxForwards_isDecrementedOnOptions() throws Exception {
        InetSocketAddress address = start();
        RawHttpClient.Response response = exchange(address,
                "OPTIONS http://origin.test:" + origin.port() + "/o HTTP/1.1\r\nHost: x\r\nMax-Forwards: 3\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(origin.take().headers().getFirst("Max-Forwards")).isEqualTo("2");
    }

    @Test
    void forward_originHeadersWithoutHopByHop_andWithViaAndHostFromUri() throws Exception {
        InetSocketAddress address = start(b -> b.user("alice", "secret"));
        RawHttpClient.Response response;
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send("GET http://origin.test:" + origin.port() + "/h?q=1 HTTP/1.1\r\n"
                    + "Host: wrong.example\r\n"
                    + "Connection: keep-alive, X-Private\r\n"
                    + "X-Private: drop-me\r\n"
                    + "X-Public: keep-me\r\n"
                    + "Keep-Alive: timeout=5\r\n"
                    + "Proxy-Connection: keep-alive\r\n"
                    + "TE: trailers\r\n"
                    + "Trailer: X-T\r\n"
                    + "Upgrade: h2c\r\n"
                    + basic("alice", "secret") + "\r\n");
            response = client.response();
        }
        assertThat(response.status()).isEqualTo(200);
        TestOrigin.Received received = origin.take();
        assertThat(received.uri()).isEqualTo("/h?q=1");
        assertThat(received.headers().getFirst("Host")).isEqualTo("origin.test:" + origin.port());
        assertThat(received.headers().getFirst("X-Public")).isEqualTo("keep-me");
        assertThat(received.headers().getFirst("Via")).isEqualTo("1.1 sallyport");
        for (String hop : List.of("Connection", "X-Private", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
                "Upgrade", "Proxy-Authorization", "Proxy-Authenticate")) {
            assertThat(received.headers().containsKey(hop)).as(hop).isFalse();
        }
        // And the way back: the origin's own hop-by-hop fields stop at the proxy.
        assertThat(response.header("X-Origin-Private")).isNull();
        assertThat(response.header("Keep-Alive")).isNull();
        assertThat(response.header("Via")).contains("sallyport");
    }
}
