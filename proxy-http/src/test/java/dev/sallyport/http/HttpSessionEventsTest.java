package dev.sallyport.http;

import dev.sallyport.api.Command;
import dev.sallyport.api.LiveSession;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.testkit.EventRecorder;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.Refusal;
import dev.sallyport.testkit.SallyportExtension;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The host's view of HTTP sessions: a CONNECT tunnel is one session, every forwarded request
 * another; refusals close only; {@code closeSession} ends a tunnel or a request in flight.
 */
@Timeout(60)
class HttpSessionEventsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final EventRecorder events = new EventRecorder();

    @RegisterExtension
    SallyportExtension proxy = SallyportExtension.http().user("alice", "pw")
            .customize(b -> b.events(events))
            .build();

    @RegisterExtension
    TcpServer echo = TcpServer.echo();

    private static String get(int port, String path) {
        return "GET http://127.0.0.1:" + port + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + RawHttpClient.proxyAuthorization("alice", "pw") + "\r\n\r\n";
    }

    private RawHttpClient tunnel() throws Exception {
        RawHttpClient client = RawHttpClient.open(proxy.httpAddress());
        assertThat(client.connect("127.0.0.1:" + echo.port(), RawHttpClient.proxyAuthorization("alice", "pw")).status())
                .isEqualTo(200);
        return client;
    }

    @Test
    void connectTunnel_opensWithUserAndTarget_thenClosesOnceWithTheSameId() throws Exception {
        try (RawHttpClient client = tunnel()) {
            client.send("hi");
            assertThat(client.read(2)).isEqualTo("hi".getBytes(StandardCharsets.US_ASCII));
        }
        LiveSession opened = events.awaitOpened(1, WAIT).get(0);
        assertThat(opened.protocol()).isEqualTo(Protocol.HTTP);
        assertThat(opened.command()).isEqualTo(Command.CONNECT);
        assertThat(opened.user()).isEqualTo("alice");
        assertThat(opened.targetPort()).isEqualTo(echo.port());
        assertThat(opened.route()).isEqualTo("direct");
        SessionSummary closed = events.awaitClosed(1, WAIT).get(0);
        assertThat(closed.id()).isEqualTo(opened.id());
        assertThat(closed.outcome()).isEqualTo(Outcome.OK);
        assertThat(events.timeline()).containsExactly("opened " + opened.id(), "closed " + opened.id());
    }

    @Test
    void forwardedRequests_onOneConnection_areSessionsOfTheirOwn() throws Exception {
        try (ScriptedOrigin origin = new ScriptedOrigin();
             RawHttpClient client = RawHttpClient.open(proxy.httpAddress())) {
            client.send(get(origin.port(), "/one"));
            assertThat(client.response().status()).isEqualTo(200);
            client.send(get(origin.port(), "/two"));
            assertThat(client.response().status()).isEqualTo(200);

            assertThat(events.awaitClosed(2, WAIT)).extracting(SessionSummary::outcome).containsOnly(Outcome.OK);
            LiveSession first = events.opened().get(0);
            LiveSession second = events.opened().get(1);
            assertThat(first.command()).isEqualTo(Command.HTTP_FORWARD);
            assertThat(first.user()).isEqualTo("alice");
            assertThat(first.targetPort()).isEqualTo(origin.port());
            assertThat(second.id()).isNotEqualTo(first.id());
            assertThat(events.timeline()).containsExactly("opened " + first.id(), "closed " + first.id(),
                    "opened " + second.id(), "closed " + second.id());
        }
    }

    @Test
    void refusedRequest_closesOnly_withTheRefusal() throws Exception {
        proxy.faults().refuse(Refusal.NOT_ALLOWED);
        try (RawHttpClient client = RawHttpClient.open(proxy.httpAddress())) {
            client.send(get(echo.port(), "/"));
            assertThat(client.response().status()).isEqualTo(403);
        }
        SessionSummary closed = events.awaitClosed(1, WAIT).get(0);
        assertThat(closed.outcome()).isEqualTo(Outcome.DENIED);
        assertThat(events.timeline()).containsExactly("closed " + closed.id());
    }

    @Test
    void closeSession_endsAConnectTunnel() throws Exception {
        try (RawHttpClient client = tunnel()) {
            LiveSession live = proxy.manager().sessions().get(0);
            assertThat(live.command()).isEqualTo(Command.CONNECT);
            assertThat(proxy.manager().closeSession(live.id())).isTrue();
            assertThat(client.in().read()).as("the client sees the end").isEqualTo(-1);
            SessionSummary closed = events.awaitClosed(1, WAIT).get(0);
            assertThat(closed.id()).isEqualTo(live.id());
            assertThat(closed.outcome()).isEqualTo(Outcome.CLOSED_BY_HOST);
        }
    }

    @Test
    void closeSession_endsARequestInFlight() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        try (ScriptedOrigin origin = new ScriptedOrigin();
             RawHttpClient client = RawHttpClient.open(proxy.httpAddress())) {
            origin.gate = gate;
            client.send(get(origin.port(), "/slow"));
            await().atMost(WAIT).untilAsserted(() -> assertThat(origin.requests).hasValue(1));
            LiveSession live = proxy.manager().sessions().get(0);
            assertThat(live.command()).isEqualTo(Command.HTTP_FORWARD);

            assertThat(proxy.manager().closeSession(live.id())).isTrue();
            assertThat(client.in().read()).as("the client sees the end").isEqualTo(-1);
            SessionSummary closed = events.awaitClosed(1, WAIT).get(0);
            assertThat(closed.id()).isEqualTo(live.id());
            assertThat(closed.outcome()).isEqualTo(Outcome.CLOSED_BY_HOST);
            assertThat(proxy.manager().sessions()).isEmpty();
        } finally {
            gate.countDown();
        }
    }
}
