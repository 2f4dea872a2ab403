package dev.sallyport.routing;

import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Routing;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.SessionRecorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;

import static dev.sallyport.routing.Hops.WAIT;
import static dev.sallyport.routing.Hops.upstream;
import static dev.sallyport.routing.RouteKindsTest.via;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP forwarding to an HTTP upstream proxy (an in-process Sallyport): the request goes in
 * absolute-form with the upstream's login, never the client's, over kept-alive connections that
 * stay with one route and one user.
 */
@Timeout(30)
class HttpUpstreamForwardTest {

    /** One I/O thread: every client shares one event loop, so all could share its idle connections. */
    private static ProxyManager front(Routing routing, SessionRecorder recorder) {
        return ProxyManager.builder().http(0).ioThreads(1).resolver(Hops.NAMES).metrics(recorder).routing(routing)
                .user("dave", "d4ve-pass").user("erin", "er1n-pass").connectTimeout(Duration.ofSeconds(4)).start();
    }

    private static String viaBob(ProxyManager upstream) {
        return "http://bob:pa%3Ass@127.0.0.1:" + upstream.address("http").getPort();
    }

    private static RawHttpClient.Response get(RawHttpClient client, Origin origin, String path, String user,
                                              String password) throws Exception {
        client.send("GET " + origin.url(path) + " HTTP/1.1\r\nHost: 127.0.0.1:" + origin.port() + "\r\n"
                + RawHttpClient.proxyAuthorization(user, password) + "\r\n\r\n");
        return client.response();
    }

    @Test
    void httpForward_toAnHttpUpstream_goesInAbsoluteFormWithTheUpstreamsLogin() throws Exception {
        SessionRecorder far = new SessionRecorder();
        SessionRecorder near = new SessionRecorder();
        try (Origin origin = new Origin();
             ProxyManager upstream = upstream(far, "bob", "pa:ss");
             ProxyManager proxy = front(via(viaBob(upstream)), near);
             RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
            for (String path : List.of("/one", "/two")) {
                RawHttpClient.Response response = get(client, origin, path, "dave", "d4ve-pass");
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.text()).isEqualTo("hello " + path);
            }
            // The upstream took both as forwarded requests (a tunnel would be one CONNECT) of its own
            // user bob (dave's login would have failed there), over one kept-alive connection.
            List<SessionSummary> there = far.awaitSessions(2, WAIT);
            assertThat(there).allSatisfy(s -> {
                assertThat(s.command()).isEqualTo(Command.HTTP_FORWARD);
                assertThat(s.user()).isEqualTo("bob");
                assertThat(s.targetHost()).isEqualTo("127.0.0.1");
                assertThat(s.outcome()).isEqualTo(Outcome.OK);
            });
            assertThat(there.get(0).client()).isEqualTo(there.get(1).client());
            assertThat(origin.requests()).allSatisfy(headers ->
                    assertThat(headers.containsKey("Proxy-Authorization")).isFalse());
            assertThat(near.awaitSessions(2, WAIT)).allSatisfy(s -> {
                assertThat(s.user()).isEqualTo("dave");
                assertThat(s.upstream()).isEqualTo("up/127.0.0.1:" + upstream.address("http").getPort());
            });
        }
    }

    @Test
    void keptAliveUpstreamConnections_neverCarryAnotherUsersRequests() throws Exception {
        SessionRecorder far = new SessionRecorder();
        try (Origin origin = new Origin();
             ProxyManager upstream = upstream(far, null, null);
             ProxyManager proxy = front(via("http://127.0.0.1:" + upstream.address("http").getPort()),
                     new SessionRecorder());
             RawHttpClient dave = RawHttpClient.open(proxy.address("http"));
             RawHttpClient erin = RawHttpClient.open(proxy.address("http"))) {
            assertThat(get(dave, origin, "/a", "dave", "d4ve-pass").status()).isEqualTo(200);
            assertThat(get(erin, origin, "/b", "erin", "er1n-pass").status()).isEqualTo(200);
            assertThat(get(dave, origin, "/c", "dave", "d4ve-pass").status()).isEqualTo(200);
            List<SessionSummary> there = far.awaitSessions(3, WAIT);
            // dave's two requests share his connection to the upstream; erin's went over her own.
            assertThat(there.get(0).client()).isEqualTo(there.get(2).client());
            assertThat(there.get(1).client()).isNotEqualTo(there.get(0).client());
        }
    }

    @Test
    void connect_afterAForwardToTheSameOrigin_neverTakesTheIdleConnectionToTheUpstream() throws Exception {
        SessionRecorder far = new SessionRecorder();
        try (Origin origin = new Origin();
             ProxyManager upstream = upstream(far, null, null);
             ProxyManager proxy = ProxyManager.builder().http(0).ioThreads(1).resolver(Hops.NAMES)
                     .routing(via("http://127.0.0.1:" + upstream.address("http").getPort())).start();
             RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
            client.send("GET " + origin.url("/forward") + " HTTP/1.1\r\nHost: 127.0.0.1:" + origin.port() + "\r\n\r\n");
            assertThat(client.response().status()).isEqualTo(200);
            far.awaitSessions(1, WAIT);
            // The kept-alive connection to the upstream is idle now; a tunnel to the same origin must not get it.
            assertThat(client.connect("127.0.0.1:" + origin.port()).status()).isEqualTo(200);
            client.send("GET /tunnel HTTP/1.1\r\nHost: 127.0.0.1:" + origin.port() + "\r\n\r\n");
            assertThat(client.response().text()).isEqualTo("hello /tunnel");
        }
    }

    @Test
    void upstreamRefusingTheProxysLogin_isABadGateway_notAChallengeToTheClient() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (Origin origin = new Origin();
             ProxyManager upstream = upstream(new SessionRecorder(), "bob", "other");
             ProxyManager proxy = front(via(viaBob(upstream)), near);
             RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
            RawHttpClient.Response response = get(client, origin, "/x", "dave", "d4ve-pass");
            assertThat(response.status()).isEqualTo(502);
            assertThat(response.header("Proxy-Authenticate")).isNull();
            assertThat(origin.requests()).isEmpty();
        }
    }
}
