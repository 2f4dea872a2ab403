package dev.sallyport.socks5;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Decision;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.AccessRules;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import io.netty.util.NetUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Access rules enforced on real SOCKS5 sessions, against the address actually dialled. */
@Timeout(60)
class Socks5PolicyTest {

    private static final InetAddress LOOPBACK_2 = NetUtil.createInetAddressFromIpAddressString("127.0.0.2");

    private static final Duration WAIT = Duration.ofSeconds(10);

    /** A CONNECT to {@code host} (an IPv4 literal as ATYP 1, a name as ATYP 3); returns REP. */
    private static int connect(ProxyManager proxy, String host, int port) throws IOException {
        try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            return client.noAuth().connect(host, port).rep();
        }
    }

    @Test
    void destinationRule_deniesANameThatResolvesIntoTheRange() throws Exception {
        try (TcpServer echo = TcpServer.echo(LOOPBACK_2);
             ProxyManager proxy = ProxyManager.builder().socks5(0)
                     .resolver(Resolver.fixed(Map.of("rebind.test", List.of(LOOPBACK_2),
                             "fine.test", List.of(InetAddress.getLoopbackAddress()))))
                     .accessRule(AccessRules.denyDestinations("127.0.0.2/32")).start()) {
            assertThat(connect(proxy, "rebind.test", echo.port())).isEqualTo(2);
            assertThat(connect(proxy, "127.0.0.2", echo.port())).isEqualTo(2);
            assertThat(echo.connections()).isEmpty();
        }
    }

    @Test
    void aNameWithOneDeniedAddressAmongSeveral_isDenied() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0)
                     .resolver(Resolver.fixed(Map.of("mixed.test", List.of(InetAddress.getLoopbackAddress(), LOOPBACK_2))))
                     .accessRule(AccessRules.denyDestinations("127.0.0.2/32")).start()) {
            assertThat(connect(proxy, "mixed.test", echo.port())).isEqualTo(2);
            assertThat(echo.connections()).isEmpty();
        }
    }

    @Test
    void theConnectedAddressIsTheCheckedAddress() throws Exception {
        Queue<InetAddress> checked = new ConcurrentLinkedQueue<>();
        try (TcpServer echo = TcpServer.echo(LOOPBACK_2);
             ProxyManager proxy = ProxyManager.builder().socks5(0)
                     .resolver(Resolver.fixed(Map.of("two.test", List.of(LOOPBACK_2))))
                     .accessRule(AccessRule.named("record", r -> {
                         checked.add(r.resolvedAddress());
                         return Decision.abstain();
                     })).start()) {
            assertThat(connect(proxy, "two.test", echo.port())).isZero();
            assertThat(checked).containsExactly(LOOPBACK_2);
            assertThat(echo.awaitConnections(1, WAIT)).extracting(c -> c.local().getAddress()).containsExactly(LOOPBACK_2);
        }
    }

    @Test
    void eachRuleKind_allowAndDeny() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            int port = echo.port();
            record Case(AccessRule rule, String host, int expected) {
            }
            List<Case> cases = List.of(
                    new Case(AccessRules.denyClients("127.0.0.0/8"), "127.0.0.1", 2),
                    new Case(AccessRules.onlyClients("10.0.0.0/8"), "127.0.0.1", 2),
                    new Case(AccessRules.allowClients("127.0.0.1/32"), "127.0.0.1", 0),
                    new Case(AccessRules.denyDestinations("127.0.0.0/8"), "127.0.0.1", 2),
                    new Case(AccessRules.onlyDestinations("127.0.0.1"), "127.0.0.1", 0),
                    new Case(AccessRules.denyDomains("*.blocked.test"), "www.blocked.test", 2),
                    new Case(AccessRules.onlyDomains("ok.test"), "ok.test", 0),
                    new Case(AccessRules.onlyDomains("ok.test"), "www.blocked.test", 2),
                    new Case(AccessRules.denyPorts(String.valueOf(port)), "127.0.0.1", 2),
                    new Case(AccessRules.onlyPorts("1-1023"), "127.0.0.1", 2),
                    new Case(AccessRules.allowPorts(String.valueOf(port)), "127.0.0.1", 0),
                    new Case(AccessRules.denyPrivateDestinations(), "127.0.0.1", 2));
            Resolver names = Resolver.fixed(Map.of("ok.test", List.of(InetAddress.getLoopbackAddress()),
                    "www.blocked.test", List.of(InetAddress.getLoopbackAddress())));
            for (Case c : cases) {
                try (ProxyManager proxy = ProxyManager.builder().socks5(0).resolver(names).accessRule(c.rule()).start()) {
                    assertThat(connect(proxy, c.host(), port)).as(c.rule().name() + " for " + c.host()).isEqualTo(c.expected());
                }
            }
        }
    }

    @Test
    void perUserAttributes_limitThatUsersPorts() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0)
                     .auth((credentials, context) -> java.util.concurrent.CompletableFuture.completedFuture(
                             dev.sallyport.api.AuthResult.success(new Principal(credentials.username(),
                                     dev.sallyport.api.Limits.NONE, credentials.username().equals("web")
                                     ? Map.of(AccessRules.ATTRIBUTE_PORTS, "80,443") : Map.of()))))
                     .accessRule(AccessRules.userAttributes()).start()) {
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.login("web", "x")).isZero();
                assertThat(client.connect("127.0.0.1", echo.port()).rep()).isEqualTo(2);
            }
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.login("admin", "x")).isZero();
                assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
            }
        }
    }

    @Test
    void rulesReplacedAtRunTime_applyToTheNextRequest() throws Exception {
        SessionRecorder metrics = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).metrics(metrics).start()) {
            assertThat(connect(proxy, "127.0.0.1", echo.port())).isZero();
            proxy.accessRules(List.of(AccessRules.denyPorts(String.valueOf(echo.port()))));
            assertThat(connect(proxy, "127.0.0.1", echo.port())).isEqualTo(2);
            proxy.accessRules(List.of());
            assertThat(connect(proxy, "127.0.0.1", echo.port())).isZero();
        }
    }

    @Test
    void explain_namesTheDecidingRule_withoutConnecting() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0)
                     .resolver(Resolver.fixed(Map.of("meta.test", List.of(NetUtil.createInetAddressFromIpAddressString("169.254.169.254")))))
                     .accessRule(AccessRules.denyPorts("25")).start()) {
            InetSocketAddress client = new InetSocketAddress("127.0.0.1", 50000);
            ProxyRequest smtp = new ProxyRequest(Protocol.SOCKS5, Command.CONNECT, client, proxy.address("socks5"),
                    Credentials.none(), "127.0.0.1", 25);
            ProxyManager.Explanation denied = proxy.explain(smtp, Principal.anonymous()).toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(denied.verdict()).isEqualTo(Decision.Verdict.DENY);
            assertThat(denied.rule()).isEqualTo("deny-ports 25");

            ProxyRequest metadata = new ProxyRequest(Protocol.SOCKS5, Command.CONNECT, client, proxy.address("socks5"),
                    Credentials.none(), "meta.test", 80);
            ProxyManager.Explanation link = proxy.explain(metadata, Principal.anonymous()).toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(link.rule()).isEqualTo("deny-link-local");
            assertThat(link.address().getHostAddress()).isEqualTo("169.254.169.254");

            ProxyRequest echoRequest = new ProxyRequest(Protocol.SOCKS5, Command.CONNECT, client, proxy.address("socks5"),
                    Credentials.none(), "127.0.0.1", echo.port());
            assertThat(proxy.explain(echoRequest, Principal.anonymous()).toCompletableFuture().get(5, TimeUnit.SECONDS).verdict())
                    .isEqualTo(Decision.Verdict.ALLOW);
            assertThat(echo.connections()).isEmpty();
        }
    }
}
