package dev.sallyport.socks5;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.Decision;
import dev.sallyport.api.Outcome;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.core.testing.EchoServer;
import dev.sallyport.core.testing.RecordingMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every REP code of RFC 1928 section 6 provoked and read off the wire, and every malformed input
 * answered as its phase allows, each followed by a good session on the same server.
 */
@Timeout(60)
class Socks5RepliesTest {

    private static EchoServer echo;
    private ProxyManager proxy;
    private RecordingMetrics metrics;

    @BeforeAll
    static void startEcho() {
        echo = EchoServer.echo();
    }

    @AfterAll
    static void stopEcho() {
        echo.close();
    }

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private InetSocketAddress start(Consumer<ProxyManager.Builder> config) {
        metrics = new RecordingMetrics();
        ProxyManager.Builder builder = ProxyManager.builder().socks5(0).metrics(metrics)
                .resolver(Resolver.fixed(Map.of("echo.test", List.of(InetAddress.getLoopbackAddress()))));
        config.accept(builder);
        proxy = builder.start();
        return proxy.address("socks5");
    }

    private InetSocketAddress start() {
        return start(b -> { });
    }

    /** A good CONNECT and one echoed line: proves the server still serves everyone else. */
    private void assertStillServes(InetSocketAddress address) throws IOException {
        try (RawClient client = new RawClient(address)) {
            if (proxy.users() != null && authOn) {
                client.login("alice", "secret");
            } else {
                client.noAuth();
            }
            client.connectIpv4(echo.port());
            assertThat(client.replyCode()).isZero();
            client.send("ping".getBytes());
            assertThat(new String(client.read(4))).isEqualTo("ping");
        }
    }

    private boolean authOn;

    private int connectReply(InetSocketAddress address, int port) throws IOException {
        try (RawClient client = new RawClient(address)) {
            client.noAuth().connectIpv4(port);
            int rep = client.replyCode();
            assertThat(client.closedByPeer()).as("closed after the failure reply").isTrue();
            return rep;
        }
    }

    @Test
    void connect_succeeded_rep00_withBoundAddress() throws IOException {
        InetSocketAddress address = start();
        try (RawClient client = new RawClient(address)) {
            client.noAuth().connectIpv4(echo.port());
            byte[] reply = client.read(10);
            RawClient.expect(reply, 5, 0, 0, 1, 127, 0, 0, 1);
            int boundPort = ((reply[8] & 0xff) << 8) | (reply[9] & 0xff);
            // The echo server accepts on its own thread: wait until it has seen the proxy's socket.
            Socket outbound = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> echo.sockets().stream().filter(s -> s.getPort() == boundPort).findFirst().orElse(null),
                            java.util.Objects::nonNull);
            assertThat(outbound.getInetAddress()).isEqualTo(InetAddress.getLoopbackAddress());
        }
    }

    @Test
    void connect_poolFailsUnexpectedly_rep01GeneralFailure() throws IOException {
        InetSocketAddress address = start(b -> b.connectionPool((target, loop, dialer) -> {
            if (target.getPort() == 1) {
                return loop.newFailedFuture(new IllegalStateException("pool broke"));
            }
            return dialer.dial(target, loop);
        }));
        assertThat(connectReply(address, 1)).isEqualTo(0x01);
        assertStillServes(address);
    }

    @Test
    void connect_deniedByRule_rep02NotAllowed() throws Exception {
        InetSocketAddress address = start(b -> b.accessRule(AccessRule.named("no-port-9",
                r -> r.request().targetPort() == 9 ? Decision.deny("port 9") : Decision.abstain())));
        assertThat(connectReply(address, 9)).isEqualTo(0x02);
        assertThat(metrics.nextSummary().rule()).isEqualTo("no-port-9");
        assertStillServes(address);
    }

    @Test
    void connect_toLinkLocal_rep02ByDefaultRule() throws Exception {
        InetSocketAddress address = start();
        try (RawClient client = new RawClient(address)) {
            client.noAuth().send(5, 1, 0, 1, 169, 254, 169, 254, 0, 80);
            assertThat(client.replyCode()).isEqualTo(0x02);
        }
        assertThat(metrics.nextSummary().rule()).isEqualTo("deny-link-local");
        assertStillServes(address);
    }

    @Test
    void connect_toTheProxyItself_rep02ByDefaultRule() throws Exception {
        InetSocketAddress address = start();
        assertThat(connectReply(address, address.getPort())).isEqualTo(0x02);
        assertThat(metrics.nextSummary().rule()).isEqualTo("deny-self");
        assertStillServes(address);
    }

    @Test
    void connect_networkUnreachable_rep03() throws IOException {
        // No loopback address is ever network-unreachable, so a pool reports the errno the kernel
        // gives for a missing route (ENETUNREACH) exactly as NIO surfaces it.
        InetSocketAddress address = start(b -> b.connectionPool((target, loop, dialer) -> target.getPort() == 3
                ? loop.newFailedFuture(new ConnectException("Network is unreachable"))
                : dialer.dial(target, loop)));
        assertThat(connectReply(address, 3)).isEqualTo(0x03);
        assertStillServes(address);
    }

    @Test
    void connect_unknownName_rep04HostUnreachable() throws Exception {
        InetSocketAddress address = start();
        try (RawClient client = new RawClient(address)) {
            client.noAuth().connectDomain("nowhere.test", 80);
            assertThat(client.replyCode()).isEqualTo(0x04);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(metrics.nextSummary().outcome()).isEqualTo(Outcome.DNS_FAILED);
        assertStillServes(address);
    }

    @Test
    void connect_nameWithIllegalCharacters_rep04() throws IOException {
        InetSocketAddress address = start();
        try (RawClient client = new RawClient(address)) {
            client.noAuth().connectDomain("bad name;rm", 80);
            assertThat(client.replyCode()).isEqualTo(0x04);
        }
        assertStillServes(address);
    }

    @Test
    void connect_oversizedName_rep04() throws IOException {
        InetSocketAddress address = start();
        try (RawClient client = new RawClient(address)) {
            client.noAuth().connectDomain("a".repeat(255), 80);
            assertThat(client.replyCode()).isEqualTo(0x04);
        }
        assertStillServes(address);
    }

    @Test
    void connect_closedPort_rep05ConnectionRefused() throws IOException {
        InetSocketAddress address = start();
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
            InetSocketAddress address = start(b -> b.connectTimeout(Duration.ofMillis(300)));
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
            assertThat(metrics.nextSummary().outcome()).isEqualTo(Outcome.CONNECT_TIMEOUT);
            assertStillServes(address);
        } finally {
            for (Socket filler : fillers) {
                filler.close();
            }
        }
    }

    @Test
    void unknownCommand_rep07() throws IOException {
        InetSocketAddress address = start();
        try (RawClient client = new RawClient(address)) {
            client.noAuth().send(5, 0x7f, 0, 1, 127, 0, 0, 1, 0, 80);
            assertThat(client.replyCode()).isEqualTo(0x07);
        }
        assertStillServes(address);
    }

    @Test
    void unknownAddressType_rep08() throws Exception {
        InetSocketAddress address = start();
        try (RawClient client = new RawClient(address)) {
            client.noAuth().send(5, 1, 0, 9, 127, 0, 0, 1, 0, 80);
            assertThat(client.replyCode()).isEqualTo(0x08);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(metrics.nextSummary().outcome()).isEqualTo(Outcome.UNSUPPORTED_ADDRESS);
        assertStillServes(address);
    }

    @Test
    void greeting_wrongVersion_noAcceptableMethodThenClose() throws IOException {
        InetSocketAddress address = start();
        try (RawClient client = new RawClient(address)) {
            client.send(6, 1, 0);
            RawClient.expect(client.read(2), 5, 0xff);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertStillServes(address);
    }

    @Test
    void greeting_zeroMethods_noAcceptableMethodThenClose() throws IOException {
        InetSocketAddress address = start();
        try (RawClient client = new RawClient(address)) {
            client.send(5, 0);
            RawClient.expect(client.read(2), 5, 0xff);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertStillServes(address);
    }

    @Test
    void greeting_onlyNoAuthWhenAuthRequired_noAcceptableMethodThenClose() throws Exception {
        authOn = true;
        InetSocketAddress address = start(b -> b.user("alice", "secret"));
        try (RawClient client = new RawClient(address)) {
            client.send(5, 1, 0);
            RawClient.expect(client.read(2), 5, 0xff);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(metrics.nextSummary().outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertStillServes(address);
    }

    @Test
    void greeting_onlyPasswordWhenAuthOff_noAcceptableMethodThenClose() throws IOException {
        InetSocketAddress address = start();
        try (RawClient client = new RawClient(address)) {
            client.send(5, 1, 2);
            RawClient.expect(client.read(2), 5, 0xff);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertStillServes(address);
    }

    @Test
    void login_wrongPassword_failureStatusThenClose() throws Exception {
        authOn = true;
        InetSocketAddress address = start(b -> b.user("alice", "secret"));
        try (RawClient client = new RawClient(address)) {
            client.send(5, 1, 2);
            RawClient.expect(client.read(2), 5, 2);
            client.send(1, 5, 'a', 'l', 'i', 'c', 'e', 5, 'w', 'r', 'o', 'n', 'g');
            RawClient.expect(client.read(2), 1, 1);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(metrics.nextSummary().outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(metrics.authFailures()).containsExactly("socks5:bad_password");
        assertStillServes(address);
    }

    @Test
    void login_unknownUser_sameFailureStatus() throws IOException {
        authOn = true;
        InetSocketAddress address = start(b -> b.user("alice", "secret"));
        try (RawClient client = new RawClient(address)) {
            client.send(5, 1, 2);
            RawClient.expect(client.read(2), 5, 2);
            client.send(1, 3, 'e', 'v', 'e', 6, 's', 'e', 'c', 'r', 'e', 't');
            RawClient.expect(client.read(2), 1, 1);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertStillServes(address);
    }

    @Test
    void login_wrongSubnegotiationVersion_failureStatusThenClose() throws IOException {
        authOn = true;
        InetSocketAddress address = start(b -> b.user("alice", "secret"));
        try (RawClient client = new RawClient(address)) {
            client.send(5, 1, 2);
            RawClient.expect(client.read(2), 5, 2);
            client.send(5, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', 'e', 'c', 'r', 'e', 't');
            RawClient.expect(client.read(2), 1, 1);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertStillServes(address);
    }

    @Test
    void login_emptyUserName_failureStatusThenClose() throws IOException {
        authOn = true;
        InetSocketAddress address = start(b -> b.user("alice", "secret"));
        try (RawClient client = new RawClient(address)) {
            client.send(5, 1, 2);
            RawClient.expect(client.read(2), 5, 2);
            client.send(1, 0, 0);
            RawClient.expect(client.read(2), 1, 1);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertStillServes(address);
    }

    @Test
    void login_utf8NameAnd255BytePassword_succeeds_sameLengthOtherBytesFail() throws Exception {
        String password = "é".repeat(127) + "x"; // 255 bytes of UTF-8, the RFC 1929 maximum
        String impostor = "è".repeat(127) + "x"; // as long, other bytes
        InetSocketAddress address = start(b -> b.user("jürgen", password));
        try (RawClient client = new RawClient(address)) {
            client.login("jürgen", password).connectIpv4(echo.port());
            assertThat(client.replyCode()).isZero();
        }
        try (RawClient client = new RawClient(address)) {
            byte[] user = "jürgen".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            byte[] wrong = impostor.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            client.send(5, 1, 2);
            RawClient.expect(client.read(2), 5, 2);
            java.io.ByteArrayOutputStream login = new java.io.ByteArrayOutputStream();
            login.write(1);
            login.write(user.length);
            login.writeBytes(user);
            login.write(wrong.length);
            login.writeBytes(wrong);
            client.send(login.toByteArray());
            RawClient.expect(client.read(2), 1, 1);
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void login_tokenAsPassword_succeeds() throws Exception {
        authOn = true;
        InetSocketAddress address = start(b -> b.requireAuthentication(true));
        var created = proxy.users().create("carol", dev.sallyport.api.Limits.NONE).toCompletableFuture().get();
        try (RawClient client = new RawClient(address)) {
            client.login("carol", created.token()).connectIpv4(echo.port());
            assertThat(client.replyCode()).isZero();
        }
    }

    @Test
    void request_wrongVersion_rep01ThenClose() throws IOException {
        InetSocketAddress address = start();
        try (RawClient client = new RawClient(address)) {
            client.noAuth().send(4, 1, 0, 1, 127, 0, 0, 1, 0, 80);
            assertThat(client.replyCode()).isEqualTo(0x01);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertStillServes(address);
    }

    @Test
    void request_emptyDomainName_rep01ThenClose() throws IOException {
        InetSocketAddress address = start();
        try (RawClient client = new RawClient(address)) {
            client.noAuth().send(5, 1, 0, 3, 0, 0, 80);
            assertThat(client.replyCode()).isEqualTo(0x01);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertStillServes(address);
    }

    @Test
    void request_truncatedThenEndOfInput_rep01ThenClose() throws Exception {
        InetSocketAddress address = start();
        try (RawClient client = new RawClient(address)) {
            client.noAuth().send(5, 1, 0, 1, 127, 0);
            client.socket.shutdownOutput();
            assertThat(client.replyCode()).isEqualTo(0x01);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(metrics.nextSummary().outcome()).isEqualTo(Outcome.PROTOCOL_ERROR);
        assertStillServes(address);
    }

    @Test
    void greeting_truncatedThenEndOfInput_noAcceptableMethodThenClose() throws IOException {
        InetSocketAddress address = start();
        try (RawClient client = new RawClient(address)) {
            client.send(5, 3, 0);
            client.socket.shutdownOutput();
            RawClient.expect(client.read(2), 5, 0xff);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertStillServes(address);
    }

    @Test
    void login_truncatedThenEndOfInput_failureStatusThenClose() throws IOException {
        authOn = true;
        InetSocketAddress address = start(b -> b.user("alice", "secret"));
        try (RawClient client = new RawClient(address)) {
            client.send(5, 1, 2);
            RawClient.expect(client.read(2), 5, 2);
            client.send(1, 5, 'a', 'l');
            client.socket.shutdownOutput();
            RawClient.expect(client.read(2), 1, 1);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertStillServes(address);
    }

    @Test
    void silence_pastHandshakeTimeout_noAcceptableMethodThenClose() throws Exception {
        InetSocketAddress address = start(b -> b.handshakeTimeout(Duration.ofMillis(200)));
        try (RawClient client = new RawClient(address)) {
            RawClient.expect(client.read(2), 5, 0xff);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(metrics.nextSummary().outcome()).isEqualTo(Outcome.HANDSHAKE_TIMEOUT);
        assertStillServes(address);
    }

    @Test
    void silence_afterGreeting_pastHandshakeTimeout_rep01ThenClose() throws IOException {
        InetSocketAddress address = start(b -> b.handshakeTimeout(Duration.ofMillis(200)));
        try (RawClient client = new RawClient(address)) {
            client.noAuth();
            assertThat(client.replyCode()).isEqualTo(0x01);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertStillServes(address);
    }

    @Test
    void fragments_byteByByte_handshakeSucceeds() throws IOException {
        authOn = true;
        InetSocketAddress address = start(b -> b.user("alice", "secret"));
        try (RawClient client = new RawClient(address)) {
            client.socket.setTcpNoDelay(true);
            int[] greeting = {5, 1, 2};
            for (int b : greeting) {
                client.send(b);
            }
            RawClient.expect(client.read(2), 5, 2);
            int[] login = {1, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', 'e', 'c', 'r', 'e', 't'};
            for (int b : login) {
                client.send(b);
            }
            RawClient.expect(client.read(2), 1, 0);
            int port = echo.port();
            int[] request = {5, 1, 0, 1, 127, 0, 0, 1, port >> 8, port & 0xff};
            for (int b : request) {
                client.send(b);
            }
            assertThat(client.replyCode()).isZero();
            client.send("hello".getBytes());
            assertThat(new String(client.read(5))).isEqualTo("hello");
        }
    }

    @Test
    void pipelined_greetingRequestAndData_inOneWrite_allArrive() throws IOException {
        InetSocketAddress address = start();
        int port = echo.port();
        try (RawClient client = new RawClient(address)) {
            byte[] all = {5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port, 'e', 'a', 'r', 'l', 'y'};
            client.send(all);
            RawClient.expect(client.read(2), 5, 0);
            assertThat(client.replyCode()).isZero();
            assertThat(new String(client.read(5))).isEqualTo("early");
        }
    }
}
