package dev.sallyport.socks5;

import dev.sallyport.api.Command;
import dev.sallyport.api.LiveSession;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionListener;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.AllowLoggedExceptions;
import dev.sallyport.testkit.EventRecorder;
import dev.sallyport.testkit.Refusal;
import dev.sallyport.testkit.SallyportExtension;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.internal.LoggedEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The host's view of SOCKS sessions: {@code opened} once admission decided the target and
 * {@code closed} exactly once after it with the same id; refusals close only; the live list and
 * {@code closeSession}; listeners that throw or stall never touch the traffic.
 */
@Timeout(60)
class Socks5SessionEventsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final byte[] PING = "ping".getBytes(StandardCharsets.US_ASCII);

    private final EventRecorder events = new EventRecorder();

    @RegisterExtension
    SallyportExtension proxy = SallyportExtension.socks5().user("alice", "pw")
            .customize(b -> b.events(events))
            .build();

    @RegisterExtension
    TcpServer echo = TcpServer.echo();

    private Socks5Client tunnel() throws Exception {
        Socks5Client client = Socks5Client.open(proxy.socks5Address());
        assertThat(client.login("alice", "pw")).isZero();
        assertThat(client.connect(echo.address()).succeeded()).isTrue();
        client.send(PING);
        assertThat(client.read(PING.length)).isEqualTo(PING);
        return client;
    }

    @Test
    void connect_opensWithClientUserTargetAndRoute_thenClosesOnceWithTheSameId() throws Exception {
        InetSocketAddress client;
        try (Socks5Client socks = tunnel()) {
            client = (InetSocketAddress) socks.socket().getLocalSocketAddress();
        }
        LiveSession opened = events.awaitOpened(1, WAIT).get(0);
        assertThat(opened.protocol()).isEqualTo(Protocol.SOCKS5);
        assertThat(opened.command()).isEqualTo(Command.CONNECT);
        assertThat(opened.client()).isEqualTo(client);
        assertThat(opened.listener()).isEqualTo(proxy.socks5Address());
        assertThat(opened.user()).isEqualTo("alice");
        assertThat(opened.targetHost()).isEqualTo("127.0.0.1");
        assertThat(opened.targetPort()).isEqualTo(echo.port());
        assertThat(opened.targetAddress()).isEqualTo(InetAddress.getLoopbackAddress());
        assertThat(opened.route()).isEqualTo("direct");
        assertThat(opened.bytesUp()).isZero();

        SessionSummary closed = events.awaitClosed(1, WAIT).get(0);
        assertThat(closed.id()).isEqualTo(opened.id());
        assertThat(closed.outcome()).isEqualTo(Outcome.OK);
        assertThat(closed.bytesUp()).isEqualTo(PING.length);
        assertThat(closed).isEqualTo(proxy.awaitSessions(1, WAIT).get(0));
        assertThat(events.timeline()).containsExactly("opened " + opened.id(), "closed " + opened.id());
    }

    @Test
    void refusedByARule_closesOnly_withTheRefusal() throws Exception {
        proxy.faults().refuse(Refusal.NOT_ALLOWED);
        try (Socks5Client socks = Socks5Client.open(proxy.socks5Address())) {
            assertThat(socks.login("alice", "pw")).isZero();
            assertThat(socks.connect(echo.address()).rep()).isEqualTo(0x02);
        }
        SessionSummary closed = events.awaitClosed(1, WAIT).get(0);
        assertThat(closed.outcome()).isEqualTo(Outcome.DENIED);
        assertThat(events.timeline()).containsExactly("closed " + closed.id());
    }

    @Test
    void wrongPassword_closesOnly() throws Exception {
        try (Socks5Client socks = Socks5Client.open(proxy.socks5Address())) {
            assertThat(socks.login("alice", "wrong")).isNotZero();
        }
        assertThat(events.awaitClosed(1, WAIT).get(0).outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(events.opened()).isEmpty();
    }

    @Test
    void admittedButTheTargetRefuses_opensThenClosesWithTheFailure() throws Exception {
        proxy.faults().refuse(Refusal.CONNECTION_REFUSED);
        try (Socks5Client socks = Socks5Client.open(proxy.socks5Address())) {
            assertThat(socks.login("alice", "pw")).isZero();
            assertThat(socks.connect(echo.address()).rep()).isEqualTo(0x05);
        }
        SessionSummary closed = events.awaitClosed(1, WAIT).get(0);
        assertThat(closed.outcome()).isEqualTo(Outcome.CONNECTION_REFUSED);
        assertThat(events.timeline()).containsExactly("opened " + closed.id(), "closed " + closed.id());
    }

    @Test
    void udpAssociate_opensWithoutATargetAddress_andClosesWithItsControlConnection() throws Exception {
        try (Socks5Client socks = Socks5Client.open(proxy.socks5Address())) {
            assertThat(socks.login("alice", "pw")).isZero();
            assertThat(socks.udpAssociate(new InetSocketAddress("0.0.0.0", 0)).succeeded()).isTrue();
            LiveSession opened = events.awaitOpened(1, WAIT).get(0);
            assertThat(opened.command()).isEqualTo(Command.UDP_ASSOCIATE);
            assertThat(opened.targetAddress()).isNull();
            assertThat(proxy.manager().sessions()).extracting(LiveSession::id).containsExactly(opened.id());
        }
        SessionSummary closed = events.awaitClosed(1, WAIT).get(0);
        assertThat(events.timeline()).containsExactly("opened " + closed.id(), "closed " + closed.id());
    }

    @Test
    void sessions_listsTheOpenTunnel_andCloseSessionEndsItForTheClient() throws Exception {
        try (Socks5Client socks = tunnel()) {
            LiveSession opened = events.awaitOpened(1, WAIT).get(0);
            await().atMost(WAIT).untilAsserted(() -> assertThat(proxy.manager().sessions()).singleElement()
                    .satisfies(live -> {
                        assertThat(live.id()).isEqualTo(opened.id());
                        assertThat(live.user()).isEqualTo("alice");
                        assertThat(live.targetPort()).isEqualTo(echo.port());
                        assertThat(live.bytesUp()).isEqualTo(PING.length);
                        assertThat(live.bytesDown()).isEqualTo(PING.length);
                    }));

            assertThat(proxy.manager().closeSession(opened.id())).isTrue();
            assertThat(socks.in().read()).as("the client sees the end").isEqualTo(-1);
            SessionSummary closed = events.awaitClosed(1, WAIT).get(0);
            assertThat(closed.id()).isEqualTo(opened.id());
            assertThat(closed.outcome()).isEqualTo(Outcome.CLOSED_BY_HOST);
            assertThat(proxy.manager().sessions()).isEmpty();
            assertThat(proxy.manager().closeSession(opened.id())).as("gone").isFalse();
            assertThat(echo.awaitEnded(1, WAIT)).hasSize(1);
        }
        assertThat(proxy.manager().closeSession(Long.MAX_VALUE)).isFalse();
    }

    @Test
    @AllowLoggedExceptions(IllegalStateException.class)
    void listenerThatThrows_isLoggedOnce_andTrafficGoesOn() throws Exception {
        SessionListener broken = new SessionListener() {
            @Override
            public void opened(LiveSession session) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void closed(SessionSummary summary) {
                throw new IllegalStateException("listener bug");
            }
        };
        EventRecorder after = new EventRecorder();
        proxy.restart(b -> b.events(broken).events(after));
        for (int i = 0; i < 3; i++) {
            tunnel().close();
        }
        // The recorder comes after the broken listener: once it saw every event, so did the other.
        assertThat(after.awaitClosed(3, WAIT)).extracting(SessionSummary::outcome).containsOnly(Outcome.OK);
        assertThat(LoggedEvents.drain()).filteredOn(e -> e.message().contains("Session listener"))
                .singleElement().satisfies(e -> assertThat(e.throwable()).hasMessage("listener bug"));
    }

    @Test
    void stuckListener_doesNotHoldTheTraffic() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        SessionListener stuck = new SessionListener() {
            @Override
            public void opened(LiveSession session) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        EventRecorder after = new EventRecorder();
        proxy.restart(b -> b.events(stuck).events(after));
        try {
            for (int i = 0; i < 3; i++) {
                tunnel().close();
            }
            assertThat(proxy.awaitSessions(3, WAIT)).extracting(SessionSummary::outcome).containsOnly(Outcome.OK);
            assertThat(after.timeline()).isEmpty();
        } finally {
            release.countDown();
        }
        assertThat(after.awaitClosed(3, WAIT)).hasSize(3);
    }

    @Test
    void close_drainsOpenTunnels_andDeliversTheirCloseBeforeReturning() throws Exception {
        EventRecorder recorder = new EventRecorder();
        ProxyManager manager = ProxyManager.builder().socks5(0).events(recorder).start();
        try (Socks5Client socks = Socks5Client.open(manager.address("socks5"))) {
            socks.noAuth();
            assertThat(socks.connect(echo.address()).succeeded()).isTrue();
            LiveSession opened = recorder.awaitOpened(1, WAIT).get(0);

            manager.close(Duration.ofMillis(100));
            assertThat(recorder.timeline()).containsExactly("opened " + opened.id(), "closed " + opened.id());
            assertThat(manager.sessions()).isEmpty();
            assertThat(socks.in().read()).isEqualTo(-1);
        } finally {
            manager.close(Duration.ZERO);
        }
    }

    @Test
    void withoutListeners_sessionsStillListsAndCloses() throws Exception {
        try (ProxyManager manager = ProxyManager.builder().socks5(0).start();
             Socks5Client socks = Socks5Client.open(manager.address("socks5"))) {
            socks.noAuth();
            assertThat(socks.connect(echo.address()).succeeded()).isTrue();
            LiveSession live = manager.sessions().get(0);
            assertThat(live.user()).isNull();
            assertThat(manager.closeSession(live.id())).isTrue();
            assertThat(socks.in().read()).isEqualTo(-1);
            await().atMost(WAIT).until(() -> manager.sessions().isEmpty());
        }
    }
}
