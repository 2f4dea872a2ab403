package dev.sallyport.routing;

import dev.sallyport.api.LiveSession;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.AccessRules;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Routing;
import dev.sallyport.core.Upstream;
import dev.sallyport.core.UpstreamGroup;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.sun.net.httpserver.HttpServer;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;

import static dev.sallyport.routing.Hops.LOOPBACK;
import static dev.sallyport.routing.Hops.LOOPBACK_2;
import static dev.sallyport.routing.Hops.WAIT;
import static dev.sallyport.routing.Hops.echoes;
import static dev.sallyport.routing.Hops.front;
import static dev.sallyport.routing.Hops.only;
import static dev.sallyport.routing.Hops.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** Each kind of route for each protocol, through real in-process upstream proxies. */
@Timeout(30)
class RouteKindsTest {

    static Routing via(String url) {
        return Routing.builder().group(UpstreamGroup.of("up", Upstream.parse(url))).route("*", "up").build();
    }

    private static String socks5Url(ProxyManager upstream, String userInfo) {
        return "socks5://" + userInfo + "127.0.0.1:" + upstream.address("socks5").getPort();
    }

    @Test
    void socks5Connect_throughASocks5UpstreamWithLogin_sendsTheNameUnresolved() throws Exception {
        SessionRecorder far = new SessionRecorder();
        SessionRecorder near = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager upstream = upstream(far, "alice", "s3cret");
             ProxyManager proxy = front(via(socks5Url(upstream, "alice:s3cret@")), near);
             Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.noAuth().connect("target.test", echo.port()).rep()).isZero();
            echoes(client.socket());
            client.socket().close();
            SessionSummary there = only(far);
            assertThat(there.targetHost()).isEqualTo("target.test");
            assertThat(there.user()).isEqualTo("alice");
            SessionSummary here = only(near);
            assertThat(here.route()).isEqualTo("up");
            assertThat(here.upstream()).isEqualTo("up/127.0.0.1:" + upstream.address("socks5").getPort());
            assertThat(here.outcome()).isEqualTo(Outcome.OK);
        }
    }

    @Test
    void httpConnect_throughAnHttpUpstreamWithBasic_reachesTheTarget() throws Exception {
        SessionRecorder far = new SessionRecorder();
        SessionRecorder near = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager upstream = upstream(far, "bob", "pa:ss");
             ProxyManager proxy = front(via("http://bob:pa%3Ass@127.0.0.1:" + upstream.address("http").getPort()), near);
             RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
            assertThat(client.connect("target.test:" + echo.port()).status()).isEqualTo(200);
            echoes(client.socket());
            client.socket().close();
            assertThat(only(far).user()).isEqualTo("bob");
            assertThat(only(far).targetHost()).isEqualTo("target.test");
            assertThat(only(near).route()).isEqualTo("up");
        }
    }

    @Test
    void httpForward_throughASocks5Upstream_tunnelsTheRequest() throws Exception {
        SessionRecorder far = new SessionRecorder();
        HttpServer origin = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
        origin.createContext("/", exchange -> {
            byte[] body = "hi".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        origin.start();
        try (ProxyManager upstream = upstream(far, null, null)) {
            try (ProxyManager proxy = front(via(socks5Url(upstream, "")), new SessionRecorder());
                 RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
                int port = origin.getAddress().getPort();
                for (int i = 0; i < 2; i++) {
                    client.send("GET http://target.test:" + port + "/ HTTP/1.1\r\nHost: target.test:" + port + "\r\n\r\n");
                    RawHttpClient.Response response = client.response();
                    assertThat(response.status()).isEqualTo(200);
                    assertThat(response.text()).isEqualTo("hi");
                }
                // Both requests went through one tunnel through the upstream, the name unresolved.
                assertThat(upstream.sessions()).extracting(LiveSession::targetHost).containsExactly("target.test");
                // The origin keeps its side open; its end ends the tunnel before the proxies drain.
                origin.stop(0);
            }
        } finally {
            origin.stop(0);
        }
    }

    @Test
    void denyRoute_refusesWithTheProtocolsDenial() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(Routing.builder().route("port:" + echo.port(), "deny").build(), near);
             Socks5Client socks = Socks5Client.open(proxy.address("socks5"));
             RawHttpClient http = RawHttpClient.open(proxy.address("http"))) {
            assertThat(socks.noAuth().connect("target.test", echo.port()).rep()).isEqualTo(2);
            assertThat(http.connect("target.test:" + echo.port()).status()).isEqualTo(403);
            assertThat(echo.connections()).isEmpty();
            assertThat(near.awaitSessions(2, WAIT)).allSatisfy(s -> {
                assertThat(s.outcome()).isEqualTo(Outcome.DENIED);
                assertThat(s.rule()).isEqualTo("route port:" + echo.port());
            });
        }
    }

    @Test
    void bind_routedToAnUpstream_isRefusedAsNotAllowed() throws Exception {
        SessionRecorder far = new SessionRecorder();
        try (ProxyManager upstream = upstream(far, null, null);
             ProxyManager proxy = front(via(socks5Url(upstream, "")), new SessionRecorder());
             Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.noAuth().bind(new InetSocketAddress(LOOPBACK, 1)).rep()).isEqualTo(2);
            assertThat(far.sessions()).isEmpty();
        }
    }

    @Test
    void directFromASourceAddress_isWhatTheTargetSees() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(Routing.builder().route("user:nobody", "deny")
                     .route("port:" + echo.port(), "direct:127.0.0.2").build(), new SessionRecorder());
             Socks5Client socks = Socks5Client.open(proxy.address("socks5"));
             RawHttpClient http = RawHttpClient.open(proxy.address("http"))) {
            assertThat(socks.noAuth().connect("target.test", echo.port()).rep()).isZero();
            assertThat(http.connect("target.test:" + echo.port()).status()).isEqualTo(200);
            assertThat(echo.awaitConnections(2, WAIT)).extracting(c -> c.remote().getAddress())
                    .containsExactly(LOOPBACK_2, LOOPBACK_2);
        }
    }

    @Test
    void defaultEgress_appliesToRequestsNoRuleMatches() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(Routing.builder().egress("127.0.0.2").build(), new SessionRecorder());
             Socks5Client socks = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(socks.noAuth().connect("target.test", echo.port()).rep()).isZero();
            assertThat(echo.awaitConnections(1, WAIT)).extracting(c -> c.remote().getAddress())
                    .containsExactly(LOOPBACK_2);
        }
    }

    @Test
    void denyPrivate_holdsThroughAnUpstream() throws Exception {
        SessionRecorder far = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo(LOOPBACK_2);
             ProxyManager upstream = upstream(far, null, null);
             ProxyManager proxy = ProxyManager.builder().socks5(0).resolver(Hops.NAMES)
                     .accessRule(AccessRules.denyDestinations("127.0.0.2/32"))
                     .routing(via(socks5Url(upstream, ""))).start()) {
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.noAuth().connect("private.test", echo.port()).rep()).isEqualTo(2);
            }
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.noAuth().connect("169.254.169.254", 80).rep()).isEqualTo(2);
            }
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                // The proxy's own listener, asked for by name through the upstream: a loop, refused.
                assertThat(client.noAuth().connect("127.0.0.1", proxy.address("socks5").getPort()).rep()).isEqualTo(2);
            }
            assertThat(echo.connections()).isEmpty();
            assertThat(far.sessions()).isEmpty();
        }
    }

    @Test
    void everyUpstreamDown_socksGeneralFailure_http502NamingTheGroup() throws Exception {
        int closed;
        try (ServerSocket free = new ServerSocket(0, 1, LOOPBACK)) {
            closed = free.getLocalPort();
        }
        Routing routing = Routing.builder().group(UpstreamGroup.of("dead", Upstream.parse("socks5://127.0.0.1:" + closed)))
                .route("*", "dead").build();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(routing, new SessionRecorder());
             Socks5Client socks = Socks5Client.open(proxy.address("socks5"));
             RawHttpClient http = RawHttpClient.open(proxy.address("http"))) {
            assertThat(socks.noAuth().connect("target.test", echo.port()).rep()).isEqualTo(1);
            http.send("CONNECT target.test:" + echo.port() + " HTTP/1.1\r\nHost: target.test\r\n\r\n");
            RawHttpClient.Response response = http.response();
            assertThat(response.status()).isEqualTo(502);
            assertThat(response.text()).contains("group dead");
        }
    }

    @Test
    void everyUpstreamDown_withFallbackDirect_goesDirect() throws Exception {
        int closed;
        try (ServerSocket free = new ServerSocket(0, 1, LOOPBACK)) {
            closed = free.getLocalPort();
        }
        Routing routing = Routing.builder().group(UpstreamGroup.of("dead", Upstream.parse("socks5://127.0.0.1:" + closed))
                        .fallbackDirect(true)).route("*", "dead").build();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(routing, new SessionRecorder())) {
            try (Socks5Client first = Socks5Client.open(proxy.address("socks5"))) {
                // The first try finds the upstream refusing; it is marked down, and the request fails.
                assertThat(first.noAuth().connect("target.test", echo.port()).rep()).isEqualTo(1);
            }
            try (Socks5Client second = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(second.noAuth().connect("target.test", echo.port()).rep()).isZero();
                echoes(second.socket());
            }
        }
    }
}
