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

import static dev.sallyport.routing.Hops.LOOPBACK_2;
import static dev.sallyport.routing.Hops.NAMES;
import static dev.sallyport.routing.Hops.WAIT;
import static dev.sallyport.routing.Hops.connectAndEcho;
import static dev.sallyport.routing.Hops.frontOf;
import static dev.sallyport.routing.Hops.only;
import static dev.sallyport.routing.Hops.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Multi-hop members over real sockets: a SOCKS5 Sallyport, then an HTTP Sallyport that dials
 * from 127.0.0.2, then the target; a chain whose second hop is dead is its member's failure.
 */
@Timeout(30)
class ChainTest {

    private static int closedPort() throws Exception {
        try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return gone.getLocalPort();
        }
    }



    @Test
    void aChain_reachesTheTargetThroughEachHopInOrder_andTheTargetSeesTheLastHop() throws Exception {
        SessionRecorder firstHop = new SessionRecorder();
        SessionRecorder lastHop = new SessionRecorder();
        SessionRecorder near = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager a = upstream(firstHop, "alice", "hunter2");
             ProxyManager b = ProxyManager.builder().http(0).resolver(NAMES).metrics(lastHop)
                     .routing(Routing.builder().egress("127.0.0.2").build()).start();
             ProxyManager proxy = frontOf(UpstreamGroup.of("chain", Upstream.parse(
                     "socks5://alice:hunter2@127.0.0.1:" + a.address("socks5").getPort()
                             + ">http://127.0.0.1:" + b.address("http").getPort())), near, MetricsSink.NONE)) {
            connectAndEcho(proxy, echo);

            SessionSummary front = only(near);
            assertThat(front.upstream()).isEqualTo("chain/127.0.0.1:" + a.address("socks5").getPort()
                    + ">127.0.0.1:" + b.address("http").getPort());
            SessionSummary first = only(firstHop);
            assertThat(first.user()).isEqualTo("alice");
            assertThat(first.targetPort()).isEqualTo(b.address("http").getPort());
            SessionSummary last = only(lastHop);
            assertThat(last.targetHost()).isEqualTo("target.test");
            assertThat(echo.connections()).extracting(c -> c.remote().getAddress()).containsExactly(LOOPBACK_2);
        }
    }

    @Test
    void aDeadSecondHop_isItsMembersFailure_retriedOnTheNextMemberBeforeTheFirstByte() throws Exception {
        SessionRecorder near = new SessionRecorder();
        Hops.UpstreamEvents events = new Hops.UpstreamEvents();
        int dead = closedPort();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager a = upstream(new SessionRecorder(), null, null);
             ProxyManager proxy = frontOf(UpstreamGroup.of("ha",
                             Upstream.parse("socks5://127.0.0.1:" + a.address("socks5").getPort()
                                     + ">socks5://127.0.0.1:" + dead),
                             Upstream.parse("socks5://127.0.0.1:" + a.address("socks5").getPort()))
                     .strategy(UpstreamGroup.Strategy.FAILOVER), near, events)) {
            connectAndEcho(proxy, echo);

            String chain = "ha/127.0.0.1:" + a.address("socks5").getPort() + ">127.0.0.1:" + dead;
            String single = "ha/127.0.0.1:" + a.address("socks5").getPort();
            SessionSummary session = only(near);
            assertThat(session.outcome()).isEqualTo(Outcome.OK);
            assertThat(session.upstream()).isEqualTo(single);
            assertThat(events.connects).satisfiesExactly(
                    failed -> assertThat(failed).startsWith(chain + " ").doesNotEndWith(" OK"),
                    ok -> assertThat(ok).isEqualTo(single + " OK"));
            assertThat(events.next()).isEqualTo(chain + " down");
        }
    }

    @Test
    void connectCheckOfAChain_reachesItsLastHopThroughTheFirst_andMarksADeadLastHopDown() throws Exception {
        Hops.UpstreamEvents events = new Hops.UpstreamEvents();
        SessionRecorder firstHop = new SessionRecorder();
        int dead = closedPort();
        try (ProxyManager a = upstream(firstHop, null, null);
             ProxyManager b = upstream(new SessionRecorder(), null, null);
             ProxyManager proxy = frontOf(UpstreamGroup.of("chains",
                             Upstream.parse("socks5://127.0.0.1:" + a.address("socks5").getPort()
                                     + ">socks5://127.0.0.1:" + dead),
                             Upstream.parse("socks5://127.0.0.1:" + a.address("socks5").getPort()
                                     + ">socks5://127.0.0.1:" + b.address("socks5").getPort()))
                     .healthCheck("connect").healthInterval(Duration.ofMillis(50)), new SessionRecorder(), events)) {
            assertThat(events.next()).isEqualTo("chains/127.0.0.1:" + a.address("socks5").getPort() + ">127.0.0.1:" + dead + " down");
            // The live chain's checks went through the first hop to the second one.
            int second = b.address("socks5").getPort();
            await().atMost(WAIT).until(() -> firstHop.sessions().stream().anyMatch(s -> s.targetPort() == second));
        }
    }
}
