package dev.sallyport.http;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Command;
import dev.sallyport.api.Decision;
import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.AccessRules;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Access rules and per-user limits (issue 5) on real HTTP sessions, CONNECT and forwarding alike:
 * 403 naming the rule, 429 for limits, live user changes, bandwidth shaping.
 */
@Timeout(120)
class HttpPolicyTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Resolver NAMES = Resolver.fixed(Map.of(
            "ok.test", List.of(InetAddress.getLoopbackAddress()),
            "www.blocked.test", List.of(InetAddress.getLoopbackAddress())));
    private static final AccessRule DENY_ALL = AccessRule.named("deny-all", r -> Decision.deny("nothing else"));

    @RegisterExtension
    static TestOrigin origin = new TestOrigin();

    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    private static String basic(String user, String password) {
        return RawHttpClient.proxyAuthorization(user, password) + "\r\n";
    }

    /** The status of a CONNECT; the tunnel, if any, is closed right after. */
    private static int connect(InetSocketAddress proxy, String host, int port, String auth) throws IOException {
        try (RawHttpClient client = RawHttpClient.open(proxy)) {
            client.send("CONNECT " + host + ":" + port + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n" + auth + "\r\n");
            return client.head().status();
        }
    }

    /** The status of a forwarded GET on a connection of its own. */
    private static int forward(InetSocketAddress proxy, String host, int port, String auth) throws IOException {
        try (RawHttpClient client = RawHttpClient.open(proxy)) {
            client.send("GET http://" + host + ":" + port + "/policy HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n");
            return client.response().status();
        }
    }

    /** Rules in order; {@code denyingRule} null means the request must pass. */
    private record Case(List<AccessRule> rules, String host, String denyingRule) {
        static Case allowed(String host, AccessRule... rules) {
            return new Case(List.of(rules), host, null);
        }

        static Case denied(String host, String rule, AccessRule... rules) {
            return new Case(List.of(rules), host, rule);
        }
    }

    @Test
    void eachRuleKind_allowAndDeny_viaConnectAndForwarding_403NamesTheRule() throws Exception {
        int port = origin.port();
        List<Case> cases = List.of(
                Case.allowed("127.0.0.1", AccessRules.allowClients("127.0.0.1/32"), DENY_ALL),
                Case.denied("127.0.0.1", "deny-all", AccessRules.allowClients("10.0.0.0/8"), DENY_ALL),
                Case.denied("127.0.0.1", "deny-clients 127.0.0.0/8", AccessRules.denyClients("127.0.0.0/8")),
                Case.denied("127.0.0.1", "only-clients 10.0.0.0/8", AccessRules.onlyClients("10.0.0.0/8")),
                Case.allowed("127.0.0.1", AccessRules.onlyClients("127.0.0.0/8")),
                Case.allowed("ok.test", AccessRules.allowDestinations("127.0.0.1/32"), DENY_ALL),
                Case.denied("ok.test", "deny-destinations 127.0.0.0/8", AccessRules.denyDestinations("127.0.0.0/8")),
                Case.denied("127.0.0.1", "only-destinations 10.0.0.0/8", AccessRules.onlyDestinations("10.0.0.0/8")),
                Case.allowed("127.0.0.1", AccessRules.onlyDestinations("127.0.0.1/32")),
                Case.allowed("ok.test", AccessRules.allowDomains("ok.test"), DENY_ALL),
                Case.denied("www.blocked.test", "deny-all", AccessRules.allowDomains("ok.test"), DENY_ALL),
                Case.denied("www.blocked.test", "deny-domains *.blocked.test", AccessRules.denyDomains("*.blocked.test")),
                Case.allowed("ok.test", AccessRules.denyDomains("*.blocked.test")),
                Case.denied("www.blocked.test", "only-domains ok.test", AccessRules.onlyDomains("ok.test")),
                Case.allowed("ok.test", AccessRules.onlyDomains("ok.test")),
                Case.allowed("127.0.0.1", AccessRules.allowPorts(String.valueOf(port)), DENY_ALL),
                Case.denied("127.0.0.1", "deny-ports " + port, AccessRules.denyPorts(String.valueOf(port))),
                Case.denied("127.0.0.1", "only-ports 1-1023", AccessRules.onlyPorts("1-1023")),
                // The preset sees the resolved address: a name pointing into a private range is denied too.
                Case.denied("127.0.0.1", "deny-private", AccessRules.denyPrivateDestinations()),
                Case.denied("ok.test", "deny-private", AccessRules.denyPrivateDestinations()),
                Case.allowed("ok.test", AccessRules.allowDestinations("127.0.0.1/32"), AccessRules.denyPrivateDestinations()));
        for (Case c : cases) {
            SessionRecorder metrics = new SessionRecorder();
            ProxyManager.Builder builder = ProxyManager.builder().http(0).resolver(NAMES).metrics(metrics);
            c.rules().forEach(builder::accessRule);
            try (ProxyManager proxy = builder.start()) {
                InetSocketAddress address = proxy.address("http");
                String what = c.rules() + " for " + c.host();
                int connect = connect(address, c.host(), port, "");
                int forward = forward(address, c.host(), port, "");
                if (c.denyingRule() == null) {
                    assertThat(connect).as("CONNECT, " + what).isEqualTo(200);
                    assertThat(forward).as("GET, " + what).isEqualTo(200);
                } else {
                    assertThat(connect).as("CONNECT, " + what).isEqualTo(403);
                    assertThat(forward).as("GET, " + what).isEqualTo(403);
                    List<SessionSummary> summaries = List.of(metrics.takeSession(WAIT), metrics.takeSession(WAIT));
                    assertThat(summaries).extracting(SessionSummary::command).as(what)
                            .containsExactlyInAnyOrder(Command.CONNECT, Command.HTTP_FORWARD);
                    assertThat(summaries).as(what).allSatisfy(s -> {
                        assertThat(s.outcome()).isEqualTo(Outcome.DENIED);
                        assertThat(s.rule()).isEqualTo(c.denyingRule());
                    });
                }
            }
        }
    }

    @Test
    void userAttributes_limitThatUsersPortsAndDomains() throws Exception {
        SessionRecorder metrics = new SessionRecorder();
        Map<String, Map<String, String>> attributes = Map.of(
                "web", Map.of(AccessRules.ATTRIBUTE_PORTS, "80,443"),
                "docs", Map.of(AccessRules.ATTRIBUTE_DOMAINS, "ok.test"),
                "admin", Map.of());
        try (ProxyManager proxy = ProxyManager.builder().http(0).resolver(NAMES).metrics(metrics)
                .auth((credentials, context) -> CompletableFuture.completedFuture(AuthResult.success(
                        new Principal(credentials.username(), Limits.NONE, attributes.get(credentials.username())))))
                .accessRule(AccessRules.userAttributes()).start()) {
            InetSocketAddress address = proxy.address("http");
            int port = origin.port();
            assertThat(connect(address, "127.0.0.1", port, basic("web", "x"))).isEqualTo(403);
            assertThat(forward(address, "127.0.0.1", port, basic("web", "x"))).isEqualTo(403);
            assertThat(connect(address, "ok.test", port, basic("docs", "x"))).isEqualTo(200);
            assertThat(forward(address, "ok.test", port, basic("docs", "x"))).isEqualTo(200);
            assertThat(forward(address, "www.blocked.test", port, basic("docs", "x"))).isEqualTo(403);
            assertThat(connect(address, "www.blocked.test", port, basic("docs", "x"))).isEqualTo(403);
            assertThat(connect(address, "127.0.0.1", port, basic("admin", "x"))).isEqualTo(200);
            assertThat(forward(address, "127.0.0.1", port, basic("admin", "x"))).isEqualTo(200);
            List<SessionSummary> denied = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                SessionSummary summary = metrics.takeSession(WAIT);
                if (summary.outcome() == Outcome.DENIED) {
                    denied.add(summary);
                }
            }
            assertThat(denied).hasSize(4).allSatisfy(s -> assertThat(s.rule()).isEqualTo("user-attributes"));
            assertThat(denied).extracting(SessionSummary::user).containsExactlyInAnyOrder("web", "web", "docs", "docs");
        }
    }

    @Test
    void maxSessions_theSecondConnectionOfTheUserGets429_untilTheFirstCloses() throws Exception {
        SessionRecorder metrics = new SessionRecorder();
        try (ProxyManager proxy = ProxyManager.builder().http(0).requireAuthentication(true).metrics(metrics).start()) {
            NewCredentials carol = proxy.users().create("carol", Limits.NONE.withMaxSessions(1)).toCompletableFuture().get();
            String auth = basic("carol", carol.password());
            InetSocketAddress address = proxy.address("http");
            RawHttpClient tunnel = RawHttpClient.open(address);
            tunnel.send("CONNECT 127.0.0.1:" + echo.port() + " HTTP/1.1\r\n" + auth + "\r\n");
            assertThat(tunnel.head().status()).isEqualTo(200);

            assertThat(connect(address, "127.0.0.1", echo.port(), auth)).isEqualTo(429);
            try (RawHttpClient client = RawHttpClient.open(address)) {
                client.send("GET http://127.0.0.1:" + origin.port() + "/limited HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n");
                RawHttpClient.Response response = client.response();
                assertThat(response.status()).isEqualTo(429);
                assertThat(response.text()).contains("limit");
            }
            List<SessionSummary> limited = List.of(metrics.takeSession(WAIT), metrics.takeSession(WAIT));
            assertThat(limited).extracting(SessionSummary::command)
                    .containsExactlyInAnyOrder(Command.CONNECT, Command.HTTP_FORWARD);
            assertThat(limited).allSatisfy(s -> {
                assertThat(s.outcome()).isEqualTo(Outcome.LIMITED);
                assertThat(s.rule()).isEqualTo("max-sessions");
            });

            tunnel.close();
            assertThat(metrics.takeSession(WAIT).outcome()).isEqualTo(Outcome.OK);
            assertThat(forward(address, "127.0.0.1", origin.port(), auth)).isEqualTo(200);
        }
    }

    @Test
    void maxConnectionsPerClient_theExtraConnectionGets429() throws Exception {
        SessionRecorder metrics = new SessionRecorder();
        try (ProxyManager proxy = ProxyManager.builder().http(0).maxConnectionsPerClient(1).metrics(metrics).start();
             RawHttpClient first = RawHttpClient.open(proxy.address("http"))) {
            InetSocketAddress address = proxy.address("http");
            first.send("GET http://127.0.0.1:" + origin.port() + "/first HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(first.response().status()).isEqualTo(200);
            assertThat(metrics.takeSession(WAIT).outcome()).isEqualTo(Outcome.OK);

            assertThat(forward(address, "127.0.0.1", origin.port(), "")).isEqualTo(429);
            assertThat(connect(address, "127.0.0.1", echo.port(), "")).isEqualTo(429);
            for (int i = 0; i < 2; i++) {
                SessionSummary summary = metrics.takeSession(WAIT);
                assertThat(summary.outcome()).isEqualTo(Outcome.LIMITED);
                assertThat(summary.rule()).isEqualTo("max-connections-per-client");
            }
            // The connection within the cap keeps working.
            first.send("GET http://127.0.0.1:" + origin.port() + "/again HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(first.response().status()).isEqualTo(200);
        }
    }

    @Test
    void disablingAUser_closesTheirTunnelAndKeepAliveConnection_andRefusesThemAfterwards() throws Exception {
        SessionRecorder metrics = new SessionRecorder();
        try (ProxyManager proxy = ProxyManager.builder().http(0).requireAuthentication(true).metrics(metrics).start()) {
            NewCredentials frank = proxy.users().create("frank", Limits.NONE).toCompletableFuture().get();
            String auth = basic("frank", frank.password());
            InetSocketAddress address = proxy.address("http");
            try (RawHttpClient tunnel = RawHttpClient.open(address); RawHttpClient keepAlive = RawHttpClient.open(address)) {
                tunnel.send("CONNECT 127.0.0.1:" + echo.port() + " HTTP/1.1\r\n" + auth + "\r\n");
                assertThat(tunnel.head().status()).isEqualTo(200);
                tunnel.send("ping");
                assertThat(new String(tunnel.read(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
                keepAlive.send("GET http://127.0.0.1:" + origin.port() + "/ka HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n");
                assertThat(keepAlive.response().status()).isEqualTo(200);
                assertThat(metrics.takeSession(WAIT).outcome()).isEqualTo(Outcome.OK);

                proxy.users().enable("frank", false).toCompletableFuture().get();
                assertThat(tunnel.closedByPeer()).isTrue();
                assertThat(keepAlive.closedByPeer()).isTrue();
            }
            List<Outcome> outcomes = List.of(metrics.takeSession(WAIT).outcome(), metrics.takeSession(WAIT).outcome());
            assertThat(outcomes).containsOnly(Outcome.REVOKED);
            assertThat(connect(address, "127.0.0.1", echo.port(), auth)).isEqualTo(407);
        }
    }
}
