package dev.sallyport.testkit;

import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.Resolver;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the extension's recorder keeps of each session, on one proxy for the whole class. */
@Timeout(60)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SessionRecordingTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static SallyportExtension proxy = SallyportExtension.socks5().http()
            .user("alice", "alice-pw").user("bob", "bob-pw")
            .customize(b -> b.resolver(Resolver.fixed(Map.of("echo.test", List.of(InetAddress.getLoopbackAddress())))))
            .build();

    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    /** A tunnel the first test leaves open and the last closes. */
    private static Socks5Client leftOpen;

    @Test
    @Order(1)
    void socks5Session_recordsUserTargetBytesOutcomeCommandAndProtocol() throws Exception {
        assertThat(proxy.users()).containsExactly(Map.entry("alice", "alice-pw"), Map.entry("bob", "bob-pw"));
        try (Socks5Client client = Socks5Client.open(proxy.socks5Address())) {
            assertThat(client.login("alice", "alice-pw")).isZero();
            assertThat(client.connect("echo.test", echo.port()).succeeded()).isTrue();
            client.send("hello".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.read(5)).isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));
            client.send("!!".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.read(2)).isEqualTo("!!".getBytes(StandardCharsets.US_ASCII));
        }
        SessionSummary session = proxy.awaitSessions(1, WAIT).get(0);
        assertThat(session.user()).isEqualTo("alice");
        assertThat(session.targetHost()).isEqualTo("echo.test");
        assertThat(session.targetPort()).isEqualTo(echo.port());
        assertThat(session.bytesUp()).isEqualTo(7);
        assertThat(session.bytesDown()).isEqualTo(7);
        assertThat(session.outcome()).isEqualTo(Outcome.OK);
        assertThat(session.command()).isEqualTo(Command.CONNECT);
        assertThat(session.protocol()).isEqualTo(Protocol.SOCKS5);

        leftOpen = Socks5Client.open(proxy.socks5Address());
        assertThat(leftOpen.login("bob", "bob-pw")).isZero();
        assertThat(leftOpen.connect("127.0.0.1", echo.port()).succeeded()).isTrue();
    }

    @Test
    @Order(2)
    void httpSessions_andLoginFailures_areRecorded_eachTakenOnce() throws Exception {
        try (RawHttpClient client = RawHttpClient.open(proxy.httpAddress())) {
            assertThat(client.connect("127.0.0.1:" + echo.port(), RawHttpClient.proxyAuthorization("bob", "bob-pw"))
                    .status()).isEqualTo(200);
            client.send("ping");
            assertThat(new String(client.read(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
        }
        try (Socks5Client client = Socks5Client.open(proxy.socks5Address())) {
            assertThat(client.login("alice", "wrong")).isNotZero();
        }
        // Each session is taken once; which of the two ends first is up to the proxy's threads.
        List<SessionSummary> taken = List.of(proxy.recorder().takeSession(WAIT), proxy.recorder().takeSession(WAIT));
        assertThat(taken).extracting(SessionSummary::protocol).containsExactlyInAnyOrder(Protocol.HTTP, Protocol.SOCKS5);
        SessionSummary http = taken.stream().filter(s -> s.protocol() == Protocol.HTTP).findFirst().orElseThrow();
        assertThat(http.user()).isEqualTo("bob");
        assertThat(http.bytesUp()).isEqualTo(4);
        assertThat(http.outcome()).isEqualTo(Outcome.OK);
        SessionSummary socks = taken.stream().filter(s -> s.protocol() == Protocol.SOCKS5).findFirst().orElseThrow();
        assertThat(socks.outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(proxy.recorder().authFailures()).hasSize(1).allMatch(f -> f.startsWith("socks5:"));
    }

    @Test
    @Order(3)
    void aSessionStartedInAnEarlierTest_isNotCountedWhenItEndsInThisOne() throws Exception {
        leftOpen.close();
        try (Socks5Client client = Socks5Client.open(proxy.socks5Address())) {
            assertThat(client.login("alice", "alice-pw")).isZero();
            assertThat(client.connect("127.0.0.1", echo.port()).succeeded()).isTrue();
        }
        // Both ended in this test; only the one it started counts.
        assertThat(proxy.awaitSessions(1, WAIT)).singleElement()
                .satisfies(s -> assertThat(s.user()).isEqualTo("alice"));
        assertThat(echo.awaitEnded(4, WAIT)).as("every tunnel of this class ended").hasSize(4);
        assertThat(proxy.sessions()).hasSize(1);
    }

    @Test
    @Order(4)
    void awaitSessions_timesOutWithWhatItSaw() {
        assertThatThrownBy(() -> proxy.awaitSessions(1, Duration.ZERO))
                .isInstanceOf(AssertionError.class)
                .hasMessage("expected 1 session(s) within PT0S, but saw []");
    }
}
