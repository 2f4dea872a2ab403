package dev.sallyport.routing;

import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Routing;
import dev.sallyport.core.Upstream;
import dev.sallyport.core.UpstreamGroup;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;

import static dev.sallyport.routing.Hops.NAMES;
import static dev.sallyport.routing.Hops.WAIT;
import static dev.sallyport.routing.Hops.frontOf;
import static dev.sallyport.routing.Hops.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Active health checks over real sockets: an upstream Sallyport behind a gate the test kills and
 * revives while no client sends anything; checks every 50 ms, waited for on conditions.
 */
@Timeout(30)
class HealthCheckTest {

    private static final Duration INTERVAL = Duration.ofMillis(50);


    private static SessionSummary connectAndEcho(ProxyManager proxy, TcpServer echo, SessionRecorder near)
            throws Exception {
        Hops.connectAndEcho(proxy, echo);
        return near.takeSession(WAIT);
    }

    @Test
    void aKilledUpstream_isMarkedDownByChecksWithoutTraffic_andUpByChecksBeforeAnySessionUsesIt() throws Exception {
        SessionRecorder near = new SessionRecorder();
        Hops.UpstreamEvents events = new Hops.UpstreamEvents();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager far = upstream(new SessionRecorder(), null, null);
             Gate gate = new Gate(far.address("socks5"));
             ProxyManager proxy = frontOf(UpstreamGroup.of("watched", Upstream.parse("socks5://127.0.0.1:" + gate.port()))
                     .maxFails(2).failTimeout(Duration.ofHours(1))
                     .healthCheck("connect:127.0.0.1:" + echo.port()).healthInterval(INTERVAL), near, events)) {
            String label = "watched/127.0.0.1:" + gate.port();
            await().atMost(WAIT).until(() -> gate.accepted() >= 2);
            assertThat(events.states).isEmpty();

            gate.kill();
            assertThat(events.next()).isEqualTo(label + " down");
            gate.revive();
            assertThat(events.next()).isEqualTo(label + " up");
            assertThat(near.sessions()).isEmpty();

            SessionSummary session = connectAndEcho(proxy, echo, near);
            assertThat(session.outcome()).isEqualTo(Outcome.OK);
            assertThat(session.upstream()).isEqualTo(label);
            // Checks are not connects of sessions: the one connect counted is the session's.
            assertThat(events.connects).containsExactly(label + " OK");
        }
    }

    @Test
    void connectCheck_takesARefusingUpstreamOutOfSelection_beforeAnySessionTriesIt() throws Exception {
        SessionRecorder near = new SessionRecorder();
        Hops.UpstreamEvents events = new Hops.UpstreamEvents();
        int closedPort;
        try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = gone.getLocalPort();
        }
        try (TcpServer echo = TcpServer.echo();
             ProxyManager live = upstream(new SessionRecorder(), null, null);
             ProxyManager proxy = frontOf(UpstreamGroup.of("pair", Upstream.parse("socks5://127.0.0.1:" + closedPort),
                             Upstream.parse("socks5://127.0.0.1:" + live.address("socks5").getPort()))
                     .healthCheck("connect").healthInterval(INTERVAL), near, events)) {
            assertThat(events.next()).isEqualTo("pair/127.0.0.1:" + closedPort + " down");
            for (int i = 0; i < 4; i++) {
                assertThat(connectAndEcho(proxy, echo, near).upstream())
                        .isEqualTo("pair/127.0.0.1:" + live.address("socks5").getPort());
            }
            assertThat(events.connects).allSatisfy(c -> assertThat(c).endsWith(" OK")).hasSize(4);
        }
    }

    @Test
    void checksStop_whenAReloadReplacesTheTable_andTheNewTablesChecksRun_andAllStopAtClose() throws Exception {
        Hops.UpstreamEvents events = new Hops.UpstreamEvents();
        try (ProxyManager far = upstream(new SessionRecorder(), null, null);
             Gate first = new Gate(far.address("socks5"));
             Gate second = new Gate(far.address("socks5"))) {
            ProxyManager proxy = frontOf(UpstreamGroup.of("g", Upstream.parse("socks5://127.0.0.1:" + first.port()))
                    .healthCheck("connect").healthInterval(Duration.ofMillis(20)), new SessionRecorder(), events);
            try {
                await().atMost(WAIT).until(() -> first.accepted() >= 3);
                List<String> restart = proxy.reload(ProxyManager.builder().socks5(0).resolver(NAMES)
                        .routing(Routing.builder().group(UpstreamGroup.of("g",
                                        Upstream.parse("socks5://127.0.0.1:" + second.port()))
                                .healthCheck("connect").healthInterval(Duration.ofMillis(20))).route("*", "g").build()));
                assertThat(restart).isEmpty();
                await().atMost(WAIT).until(() -> second.accepted() >= 3);
                int replaced = first.accepted();
                // A check in flight at the swap may still land; none is started after it.
                await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> first.accepted() <= replaced + 1);
            } finally {
                proxy.close(Duration.ZERO);
            }
            int closed = second.accepted();
            await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> second.accepted() <= closed + 1);
        }
    }
}
