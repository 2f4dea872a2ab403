package dev.sallyport.socks5;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.Decision;
import dev.sallyport.api.Limits;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.Resolver;
import dev.sallyport.testkit.SallyportExtension;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static dev.sallyport.testkit.Socks5Client.NO_ACCEPTABLE_METHODS;
import static dev.sallyport.testkit.Socks5Client.NO_AUTHENTICATION;
import static dev.sallyport.testkit.Socks5Client.USERNAME_PASSWORD;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every REP code of RFC 1928 section 6 provoked and read off the wire, and every malformed input
 * answered as its phase allows, each followed by a good session on the same server.
 */
@Timeout(60)
class Socks5RepliesTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    @RegisterExtension
    SallyportExtension proxy = SallyportExtension.socks5()
            .customize(b -> b.resolver(Resolver.fixed(Map.of("echo.test", List.of(InetAddress.getLoopbackAddress())))))
            .build();

    private SessionSummary nextSession() {
        return proxy.recorder().takeSession(WAIT);
    }

    /** A good CONNECT and one echoed line: proves the server still serves everyone else. */
    private void assertStillServes(InetSocketAddress address) throws IOException {
        try (Socks5Client client = Socks5Client.open(address)) {
            if (authOn) {
                assertThat(client.login("alice", "secret")).isZero();
            } else {
                client.noAuth();
            }
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
            client.send("ping".getBytes());
            assertThat(new String(client.read(4))).isEqualTo("ping");
        }
    }

    private boolean authOn;

    /** What a test does on one connection. */
    @FunctionalInterface
    private interface Exchange {
        void run(Socks5Client client) throws IOException;
    }

    /** Runs {@code exchange} on a connection of its own, then expects the proxy to close it. */
    private static void thenClosed(InetSocketAddress address, Exchange exchange) throws IOException {
        try (Socks5Client client = Socks5Client.open(address)) {
            exchange.run(client);
            assertThat(client.closedByPeer()).as("closed after the reply").isTrue();
        }
    }

    private int connectReply(InetSocketAddress address, int port) throws IOException {
        int[] rep = new int[1];
        thenClosed(address, client -> rep[0] = client.noAuth().connect("127.0.0.1", port).rep());
        return rep[0];
    }

    /** A proxy that knows alice (password "secret") and requires a login. */
    private InetSocketAddress startWithAlice() {
        authOn = true;
        return proxy.restart(b -> b.user("alice", "secret")).address("socks5");
    }

    /** Greets offering only username and password, and expects the proxy to choose it. */
    private static Socks5Client passwordChosen(Socks5Client client) throws IOException {
        assertThat(client.greet(USERNAME_PASSWORD)).isEqualTo(USERNAME_PASSWORD);
        return client;
    }

    @Test
    void connect_succeeded_rep00_withBoundAddress() throws IOException {
        InetSocketAddress address = proxy.socks5Address();
        try (Socks5Client client = Socks5Client.open(address)) {
            client.noAuth().sendRequest(Socks5Client.CONNECT, "127.0.0.1", echo.port());
            byte[] reply = client.read(10);
            assertThat(reply).startsWith(5, 0, 0, 1, 127, 0, 0, 1);
            int boundPort = ((reply[8] & 0xff) << 8) | (reply[9] & 0xff);
            // The echo server accepts on its own thread: wait until it has seen the proxy's socket.
            TcpServer.Connection outbound = Awaitility.await().atMost(WAIT)
                    .until(() -> echo.connections().stream().filter(c -> c.remote().getPort() == boundPort)
                            .findFirst().orElse(null), Objects::nonNull);
            assertThat(outbound.remote().getAddress()).isEqualTo(InetAddress.getLoopbackAddress());
        }
    }

    @Test
    void connect_poolFailsUnexpectedly_rep01GeneralFailure() throws IOException {
        InetSocketAddress address = proxy.restart(b -> b.connectionPool((target, loop, dialer) -> {
            if (target.getPort() == 1) {
                return loop.newFailedFuture(new IllegalStateException("pool broke"));
            }
            return dialer.dial(target, loop);
        })).address("socks5");
        assertThat(connectReply(address, 1)).isEqualTo(0x01);
        assertStillServes(address);
    }

    @Test
    void connect_deniedByRule_rep02NotAllowed() throws Exception {
        InetSocketAddress address = proxy.restart(b -> b.accessRule(AccessRule.named("no-port-9",
                r -> r.request().targetPort() == 9 ? Decision.deny("port 9") : Decision.abstain()))).address("socks5");
        assertThat(connectReply(address, 9)).isEqualTo(0x02);
        assertThat(nextSession().rule()).isEqualTo("no-port-9");
        assertStillServes(address);
    }

    @Test
    void connect_toLinkLocal_rep02ByDefaultRule() throws Exception {
        InetSocketAddress address = proxy.socks5Address();
        try (Socks5Client client = Socks5Client.open(address)) {
            assertThat(client.noAuth().connect("169.254.169.254", 80).rep()).isEqualTo(0x02);
        }
        assertThat(nextSession().rule()).isEqualTo("deny-link-local");
        assertStillServes(address);
    }

    @Test
    void connect_toTheProxyItself_rep02ByDefaultRule() throws Exception {
        InetSocketAddress address = proxy.socks5Address();
        assertThat(connectReply(address, address.getPort())).isEqualTo(0x02);
        assertThat(nextSession().rule()).isEqualTo("deny-self");
        assertStillServes(address);
    }

    @Test
    void connect_networkUnreachable_rep03() throws IOException {
        // No loopback address is ever network-unreachable, so a pool reports the errno the kernel
        // gives for a missing route (ENETUNREACH) exactly as NIO surfaces it.
        InetSocketAddress address = proxy.restart(b -> b.connectionPool((target, loop, dialer) -> target.getPort() == 3
                ? loop.newFailedFuture(new ConnectException("Network is unreachable"))
                : dialer.dial(target, loop))).address("socks5");
        assertThat(connectReply(address, 3)).isEqualTo(0x03);
        assertStillServes(address);
    }

    @Test
    void connect_unknownName_rep04HostUnreachable() throws Exception {
        InetSocketAddress address = proxy.socks5Address();
        thenClosed(address, client -> assertThat(client.noAuth().connect("nowhere.test", 80).rep()).isEqualTo(0x04));
        assertThat(nextSession().outcome()).isEqualTo(Outcome.DNS_FAILED);
        assertStillServes(address);
    }

    @Test
    void connect_nameWithIllegalCharacters_rep04() throws IOException {
        InetSocketAddress address = proxy.socks5Address();
        try (Socks5Client client = Socks5Client.open(address)) {
            assertThat(client.noAuth().connect("bad name;rm", 80).rep()).isEqualTo(0x04);
        }
        assertStillServes(address);
    }

    @Test
    void connect_oversizedName_rep04() throws IOException {
        InetSocketAddress address = proxy.socks5Address();
        try (Socks5Client client = Socks5Client.open(address)) {
            assertThat(client.noAuth().connect("a".repeat(255), 80).rep()).isEqualTo(0x04);
        }
        assertStillServes(address);
    }

    @Test
    void connect_closedPort_rep05ConnectionRefused() throws IOException {
        InetSocketAddress address = proxy.socks5Address();
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        assertThat(connectReply(address, closedPort)).isEqualTo(0x05);
        assertStillServes(address);
    }

    @Test
    void connect_targetNeverAnswers_rep06TtlExpired() throws Exception {
        // A listener whose accept queue is full drops further SYNs: the connect hangs until timeout.
        List<Socket> fillers = new ArrayList<>();
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress address = proxy.restart(b -> b.connectTimeout(Duration.ofMillis(300))).address("socks5");
            for (int i = 0; i < 8; i++) {
                Socket filler = new Socket();
                try {
                    filler.connect(full.getLocalSocketAddress(), 100);
                    fillers.add(filler);
                } catch (IOException queueFull) {
                    filler.close();
                    break;
                }
            }
            assertThat(connectReply(address, full.getLocalPort())).isEqualTo(0x06);
            assertThat(nextSession().outcome()).isEqualTo(Outcome.CONNECT_TIMEOUT);
            assertStillServes(address);
        } finally {
            for (Socket filler : fillers) {
                filler.close();
            }
        }
    }

    @Test
    void unknownCommand_rep07() throws IOException {
        InetSocketAddress address = proxy.socks5Address();
        try (Socks5Client client = Socks5Client.open(address)) {
            assertThat(client.noAuth().request(0x7f, "127.0.0.1", 80).rep()).isEqualTo(0x07);
        }
        assertStillServes(address);
    }

    @Test
    void unknownAddressType_rep08() throws Exception {
        InetSocketAddress address = proxy.socks5Address();
        thenClosed(address, client -> {
            client.noAuth().send(5, 1, 0, 9, 127, 0, 0, 1, 0, 80);
            assertThat(client.readReply().rep()).isEqualTo(0x08);
        });
        assertThat(nextSession().outcome()).isEqualTo(Outcome.UNSUPPORTED_ADDRESS);
        assertStillServes(address);
    }

    @Test
    void greeting_wrongVersion_noAcceptableMethodThenClose() throws IOException {
        InetSocketAddress address = proxy.socks5Address();
        thenClosed(address, client -> {
            client.send(6, 1, 0);
            assertThat(client.read(2)).containsExactly(5, 0xff);
        });
        assertStillServes(address);
    }

    @Test
    void greeting_zeroMethods_noAcceptableMethodThenClose() throws IOException {
        InetSocketAddress address = proxy.socks5Address();
        thenClosed(address, client -> assertThat(client.greet()).isEqualTo(NO_ACCEPTABLE_METHODS));
        assertStillServes(address);
    }

    @Test
    void greeting_onlyNoAuthWhenAuthRequired_noAcceptableMethodThenClose() throws Exception {
        InetSocketAddress address = startWithAlice();
        thenClosed(address, client -> assertThat(client.greet(NO_AUTHENTICATION)).isEqualTo(NO_ACCEPTABLE_METHODS));
        assertThat(nextSession().outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertStillServes(address);
    }

    @Test
    void greeting_onlyPasswordWhenAuthOff_noAcceptableMethodThenClose() throws IOException {
        InetSocketAddress address = proxy.socks5Address();
        thenClosed(address, client -> assertThat(client.greet(USERNAME_PASSWORD)).isEqualTo(NO_ACCEPTABLE_METHODS));
        assertStillServes(address);
    }

    @Test
    void login_wrongPassword_failureStatusThenClose() throws Exception {
        InetSocketAddress address = startWithAlice();
        thenClosed(address, client -> assertThat(passwordChosen(client).sendCredentials("alice", "wrong")).isEqualTo(1));
        assertThat(nextSession().outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(proxy.recorder().authFailures()).containsExactly("socks5:bad_password");
        assertStillServes(address);
    }

    @Test
    void login_unknownUser_sameFailureStatus() throws IOException {
        InetSocketAddress address = startWithAlice();
        thenClosed(address, client -> assertThat(passwordChosen(client).sendCredentials("eve", "secret")).isEqualTo(1));
        assertStillServes(address);
    }

    @Test
    void login_wrongSubnegotiationVersion_failureStatusThenClose() throws IOException {
        InetSocketAddress address = startWithAlice();
        thenClosed(address, client -> {
            passwordChosen(client);
            client.send(5, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', 'e', 'c', 'r', 'e', 't');
            assertThat(client.read(2)).containsExactly(1, 1);
        });
        assertStillServes(address);
    }

    @Test
    void login_emptyUserName_failureStatusThenClose() throws IOException {
        InetSocketAddress address = startWithAlice();
        thenClosed(address, client -> {
            passwordChosen(client);
            client.send(1, 0, 0);
            assertThat(client.read(2)).containsExactly(1, 1);
        });
        assertStillServes(address);
    }

    @Test
    void login_utf8NameAnd255BytePassword_succeeds_sameLengthOtherBytesFail() throws Exception {
        String password = "é".repeat(127) + "x"; // 255 bytes of UTF-8, the RFC 1929 maximum
        String impostor = "è".repeat(127) + "x"; // as long, other bytes
        InetSocketAddress address = proxy.restart(b -> b.user("jürgen", password)).address("socks5");
        try (Socks5Client client = Socks5Client.open(address)) {
            assertThat(client.login("jürgen", password)).isZero();
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
        }
        thenClosed(address, client -> assertThat(passwordChosen(client).sendCredentials("jürgen", impostor)).isEqualTo(1));
    }

    @Test
    void login_tokenAsPassword_succeeds() throws Exception {
        authOn = true;
        InetSocketAddress address = proxy.restart(b -> b.requireAuthentication(true)).address("socks5");
        var created = proxy.manager().users().create("carol", Limits.NONE).toCompletableFuture().get();
        try (Socks5Client client = Socks5Client.open(address)) {
            assertThat(client.login("carol", created.token())).isZero();
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
        }
    }

    @Test
    void request_wrongVersion_rep01ThenClose() throws IOException {
        InetSocketAddress address = proxy.socks5Address();
        thenClosed(address, client -> {
            client.noAuth().send(4, 1, 0, 1, 127, 0, 0, 1, 0, 80);
            assertThat(client.readReply().rep()).isEqualTo(0x01);
        });
        assertStillServes(address);
    }

    @Test
    void request_emptyDomainName_rep01ThenClose() throws IOException {
        InetSocketAddress address = proxy.socks5Address();
        thenClosed(address, client -> {
            client.noAuth().send(5, 1, 0, 3, 0, 0, 80);
            assertThat(client.readReply().rep()).isEqualTo(0x01);
        });
        assertStillServes(address);
    }

    @Test
    void request_truncatedThenEndOfInput_rep01ThenClose() throws Exception {
        InetSocketAddress address = proxy.socks5Address();
        thenClosed(address, client -> {
            client.noAuth().send(5, 1, 0, 1, 127, 0);
            client.socket().shutdownOutput();
            assertThat(client.readReply().rep()).isEqualTo(0x01);
        });
        assertThat(nextSession().outcome()).isEqualTo(Outcome.PROTOCOL_ERROR);
        assertStillServes(address);
    }

    @Test
    void greeting_truncatedThenEndOfInput_noAcceptableMethodThenClose() throws IOException {
        InetSocketAddress address = proxy.socks5Address();
        thenClosed(address, client -> {
            client.send(5, 3, 0);
            client.socket().shutdownOutput();
            assertThat(client.read(2)).containsExactly(5, 0xff);
        });
        assertStillServes(address);
    }

    @Test
    void login_truncatedThenEndOfInput_failureStatusThenClose() throws IOException {
        InetSocketAddress address = startWithAlice();
        thenClosed(address, client -> {
            passwordChosen(client);
            client.send(1, 5, 'a', 'l');
            client.socket().shutdownOutput();
            assertThat(client.read(2)).containsExactly(1, 1);
        });
        assertStillServes(address);
    }

    @Test
    void silence_pastHandshakeTimeout_noAcceptableMethodThenClose() throws Exception {
        InetSocketAddress address = proxy.restart(b -> b.handshakeTimeout(Duration.ofMillis(200))).address("socks5");
        thenClosed(address, client -> assertThat(client.read(2)).containsExactly(5, 0xff));
        assertThat(nextSession().outcome()).isEqualTo(Outcome.HANDSHAKE_TIMEOUT);
        assertStillServes(address);
    }

    @Test
    void silence_afterGreeting_pastHandshakeTimeout_rep01ThenClose() throws IOException {
        InetSocketAddress address = proxy.restart(b -> b.handshakeTimeout(Duration.ofMillis(200))).address("socks5");
        thenClosed(address, client -> {
            client.noAuth();
            assertThat(client.readReply().rep()).isEqualTo(0x01);
        });
        assertStillServes(address);
    }

    @Test
    void fragments_byteByByte_handshakeSucceeds() throws IOException {
        InetSocketAddress address = startWithAlice();
        try (Socks5Client client = Socks5Client.open(address)) {
            client.socket().setTcpNoDelay(true);
            int[] greeting = {5, 1, 2};
            for (int b : greeting) {
                client.send(b);
            }
            assertThat(client.read(2)).containsExactly(5, 2);
            int[] login = {1, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', 'e', 'c', 'r', 'e', 't'};
            for (int b : login) {
                client.send(b);
            }
            assertThat(client.read(2)).containsExactly(1, 0);
            int port = echo.port();
            int[] request = {5, 1, 0, 1, 127, 0, 0, 1, port >> 8, port & 0xff};
            for (int b : request) {
                client.send(b);
            }
            assertThat(client.readReply().rep()).isZero();
            client.send("hello".getBytes());
            assertThat(new String(client.read(5))).isEqualTo("hello");
        }
    }

    @Test
    void pipelined_greetingRequestAndData_inOneWrite_allArrive() throws IOException {
        InetSocketAddress address = proxy.socks5Address();
        int port = echo.port();
        try (Socks5Client client = Socks5Client.open(address)) {
            byte[] all = {5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port, 'e', 'a', 'r', 'l', 'y'};
            client.send(all);
            assertThat(client.read(2)).containsExactly(5, 0);
            assertThat(client.readReply().rep()).isZero();
            assertThat(new String(client.read(5))).isEqualTo("early");
        }
    }
}
