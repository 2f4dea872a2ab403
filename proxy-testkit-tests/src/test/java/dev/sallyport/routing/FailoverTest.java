package dev.sallyport.routing;

import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Routing;
import dev.sallyport.core.Upstream;
import dev.sallyport.core.UpstreamGroup;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;

import static dev.sallyport.routing.Hops.NAMES;
import static dev.sallyport.routing.Hops.WAIT;
import static dev.sallyport.routing.Hops.echoes;
import static dev.sallyport.routing.Hops.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Selection, passive health, retry before the first byte and recovery over real sessions: two
 * upstream Sallyports behind gates the test kills and revives; time moves on the core ticker.
 */
@Timeout(30)
class FailoverTest {

    private static final Duration FAIL_TIMEOUT = Duration.ofSeconds(30);

    private static void connectAndEcho(ProxyManager proxy, TcpServer echo) throws Exception {
        try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.noAuth().connect("target.test", echo.port()).rep()).isZero();
            echoes(client.socket());
        }
    }

    private static Map<String, Long> byUpstream(List<SessionSummary> sessions) {
        return sessions.stream().collect(Collectors.groupingBy(SessionSummary::upstream, Collectors.counting()));
    }

    @Test
    void aKilledUpstream_getsNoSessionsWithinTheFailTimeout_clientsSeeNoError_andItRecovers() throws Exception {
        Hops.ManualTicker ticker = new Hops.ManualTicker();
        SessionRecorder near = new SessionRecorder();
        Queue<String> states = new ConcurrentLinkedQueue<>();
        Queue<String> failedTries = new ConcurrentLinkedQueue<>();
        MetricsSink upstreamEvents = new MetricsSink() {
            @Override
            public void upstreamState(String upstream, boolean up) {
                states.add(upstream + (up ? " up" : " down"));
            }

            @Override
            public void upstreamConnect(String upstream, Outcome outcome, Duration duration) {
                if (outcome != Outcome.OK) {
                    failedTries.add(upstream);
                }
            }
        };
        try (TcpServer echo = TcpServer.echo();
             ProxyManager a = upstream(new SessionRecorder(), null, null);
             ProxyManager b = upstream(new SessionRecorder(), null, null);
             Gate gateA = new Gate(a.address("socks5"));
             Gate gateB = new Gate(b.address("socks5"));
             ProxyManager proxy = ProxyManager.builder().socks5(0).resolver(NAMES).metrics(near).metrics(upstreamEvents)
                     .ticker(ticker)
                     .routing(Routing.builder().group(UpstreamGroup.of("pair",
                                     Upstream.parse("socks5://127.0.0.1:" + gateA.port()),
                                     Upstream.parse("socks5://127.0.0.1:" + gateB.port()))
                             .maxFails(1).failTimeout(FAIL_TIMEOUT)).route("*", "pair").build()).start()) {
            String upA = "pair/127.0.0.1:" + gateA.port();
            String upB = "pair/127.0.0.1:" + gateB.port();
            for (int i = 0; i < 20; i++) {
                connectAndEcho(proxy, echo);
            }
            assertThat(byUpstream(near.awaitSessions(20, WAIT))).isEqualTo(Map.of(upA, 10L, upB, 10L));
            near.clear();

            gateB.kill();
            int acceptedBefore = gateB.accepted();
            for (int i = 0; i < 20; i++) {
                connectAndEcho(proxy, echo);
            }
            // One session found B dead and was retried on A; none tried B after that.
            assertThat(gateB.accepted() - acceptedBefore).isEqualTo(1);
            List<SessionSummary> meanwhile = near.awaitSessions(20, WAIT);
            assertThat(meanwhile).allSatisfy(s -> assertThat(s.outcome()).isEqualTo(Outcome.OK));
            assertThat(byUpstream(meanwhile)).isEqualTo(Map.of(upA, 20L));
            assertThat(states).containsExactly(upB + " down");
            assertThat(failedTries).containsExactly(upB);
            near.clear();

            gateB.revive();
            ticker.advance(FAIL_TIMEOUT);
            for (int i = 0; i < 20; i++) {
                connectAndEcho(proxy, echo);
            }
            assertThat(byUpstream(near.awaitSessions(20, WAIT))).isEqualTo(Map.of(upA, 10L, upB, 10L));
            assertThat(states).containsExactly(upB + " down", upB + " up");
        }
    }

    @Test
    void failover_usesThePrimaryWhileUp_andTheBackupWhenItIsDown() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager a = upstream(new SessionRecorder(), null, null);
             ProxyManager b = upstream(new SessionRecorder(), null, null);
             Gate primary = new Gate(a.address("socks5"));
             ProxyManager proxy = ProxyManager.builder().socks5(0).resolver(NAMES).metrics(near)
                     .routing(Routing.builder().group(UpstreamGroup.of("ha",
                                     Upstream.parse("socks5://127.0.0.1:" + primary.port()),
                                     Upstream.parse("socks5://127.0.0.1:" + b.address("socks5").getPort()))
                             .strategy(UpstreamGroup.Strategy.FAILOVER)).route("*", "ha").build()).start()) {
            for (int i = 0; i < 5; i++) {
                connectAndEcho(proxy, echo);
            }
            primary.kill();
            for (int i = 0; i < 5; i++) {
                connectAndEcho(proxy, echo);
            }
            Map<String, Long> counts = byUpstream(near.awaitSessions(10, WAIT));
            assertThat(counts).isEqualTo(Map.of("ha/127.0.0.1:" + primary.port(), 5L,
                    "ha/127.0.0.1:" + b.address("socks5").getPort(), 5L));
        }
    }

    @Test
    void hashByDestination_keepsATargetOnOneUpstream_overRealSessions() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager a = upstream(new SessionRecorder(), null, null);
             ProxyManager b = upstream(new SessionRecorder(), null, null);
             ProxyManager proxy = ProxyManager.builder().socks5(0).resolver(NAMES).metrics(near)
                     .routing(Routing.builder().group(UpstreamGroup.of("sticky",
                                     Upstream.parse("socks5://127.0.0.1:" + a.address("socks5").getPort()),
                                     Upstream.parse("socks5://127.0.0.1:" + b.address("socks5").getPort()))
                             .strategy(UpstreamGroup.Strategy.HASH_DESTINATION)).route("*", "sticky").build()).start()) {
            for (int i = 0; i < 10; i++) {
                connectAndEcho(proxy, echo);
            }
            assertThat(near.awaitSessions(10, WAIT)).extracting(SessionSummary::upstream)
                    .containsOnly(near.sessions().get(0).upstream());
        }
    }
}
