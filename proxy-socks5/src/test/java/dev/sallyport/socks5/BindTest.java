package dev.sallyport.socks5;

import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.AccessRules;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.testing.RecordingMetrics;
import io.netty.util.NetUtil;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * BIND (RFC 1928 section 4, and SOCKS4): a listening socket on the proxy's address, two replies,
 * only the expected peer let in, and the tunnel between the client and that peer.
 */
@Timeout(60)
class BindTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final InetAddress LOOPBACK_2 = NetUtil.createInetAddressFromIpAddressString("127.0.0.2");

    private ProxyManager proxy;
    private RecordingMetrics metrics;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private InetSocketAddress start(Consumer<ProxyManager.Builder> config) {
        metrics = new RecordingMetrics();
        ProxyManager.Builder builder = ProxyManager.builder().socks5(0).metrics(metrics);
        config.accept(builder);
        proxy = builder.start();
        return proxy.address("socks5");
    }

    /** SOCKS5 BIND expecting a peer from {@code peer} (an IPv4 address). */
    private static void bindRequest(RawClient client, InetAddress peer, int port) throws IOException {
        byte[] ip = peer.getAddress();
        client.send(5, 2, 0, 1, ip[0] & 0xff, ip[1] & 0xff, ip[2] & 0xff, ip[3] & 0xff, port >> 8, port & 0xff);
    }

    /** Reads a SOCKS5 reply with an IPv4 address; fails unless its REP is {@code rep}. */
    private static InetSocketAddress reply(RawClient client, int rep) throws IOException {
        byte[] reply = client.read(10);
        RawClient.expect(reply, 5, rep, 0, 1);
        byte[] ip = {reply[4], reply[5], reply[6], reply[7]};
        return new InetSocketAddress(InetAddress.getByAddress(ip), ((reply[8] & 0xff) << 8) | (reply[9] & 0xff));
    }

    private static Socket connectFrom(InetAddress local, InetSocketAddress to) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(local, 0));
        socket.connect(to, 5000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static boolean closedByProxy(Socket socket) {
        try {
            return socket.getInputStream().read() == -1;
        } catch (IOException reset) {
            return true;
        }
    }

    /** On the native transport where it loads, and on NIO. */
    @ParameterizedTest(name = "native transport allowed: {0}")
    @ValueSource(booleans = {true, false})
    void bind_peerConnects_twoReplies_thenTunnelsBothWays(boolean nativeTransport) throws Exception {
        InetSocketAddress address = start(b -> b.nativeTransport(nativeTransport));
        try (RawClient client = new RawClient(address)) {
            bindRequest(client.noAuth(), LOOPBACK, 0);
            InetSocketAddress listening = reply(client, 0);
            assertThat(listening.getAddress()).as("bound on the proxy's address").isEqualTo(address.getAddress());
            assertThat(listening.getPort()).isNotEqualTo(address.getPort()).isPositive();
            try (Socket peer = connectFrom(LOOPBACK, listening)) {
                InetSocketAddress second = reply(client, 0);
                assertThat(second).as("the peer's address").isEqualTo(peer.getLocalSocketAddress());

                client.send("hello".getBytes(StandardCharsets.US_ASCII));
                assertThat(peer.getInputStream().readNBytes(5)).isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));
                peer.getOutputStream().write("world!".getBytes(StandardCharsets.US_ASCII));
                assertThat(client.read(6)).isEqualTo("world!".getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(client.closedByPeer()).as("the tunnel ends with the peer").isTrue();
        }
        SessionSummary summary = metrics.nextSummary();
        assertThat(summary.command()).isEqualTo(Command.BIND);
        assertThat(summary.outcome()).isEqualTo(Outcome.OK);
        assertThat(summary.bytesUp()).isEqualTo(5);
        assertThat(summary.bytesDown()).isEqualTo(6);
    }

    /** A wrong peer is closed and counted; the wait goes on and the expected peer is then let in. */
    @Test
    void bind_wrongPeer_refusedAndCounted_thenTheExpectedPeerIsAccepted() throws Exception {
        InetSocketAddress address = start(b -> { });
        try (RawClient client = new RawClient(address)) {
            bindRequest(client.noAuth(), LOOPBACK_2, 0);
            InetSocketAddress listening = reply(client, 0);
            try (Socket stranger = connectFrom(LOOPBACK, listening)) {
                assertThat(closedByProxy(stranger)).as("the wrong peer is closed").isTrue();
            }
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> metrics.rejections().contains("socks5:bind-peer"));
            try (Socket peer = connectFrom(LOOPBACK_2, listening)) {
                assertThat(reply(client, 0).getAddress()).isEqualTo(LOOPBACK_2);
                peer.getOutputStream().write('x');
                assertThat(client.read(1)[0]).isEqualTo((byte) 'x');
            }
        }
        assertThat(metrics.nextSummary().outcome()).isEqualTo(Outcome.OK);
    }

    @Test
    void bind_anyPeer_aPeerTheRulesDenyIsRefused_anAllowedOneAccepted() throws Exception {
        InetSocketAddress address = start(b -> b.accessRule(AccessRules.denyDestinations("127.0.0.2/32")));
        try (RawClient client = new RawClient(address)) {
            bindRequest(client.noAuth(), InetAddress.getByAddress(new byte[4]), 0);
            InetSocketAddress listening = reply(client, 0);
            try (Socket denied = connectFrom(LOOPBACK_2, listening)) {
                assertThat(closedByProxy(denied)).isTrue();
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> metrics.rejections().contains("socks5:rule"));
            try (Socket peer = connectFrom(LOOPBACK, listening)) {
                assertThat(reply(client, 0).getAddress()).isEqualTo(LOOPBACK);
            }
        }
    }

    @Test
    void bind_expectedPeerDeniedByRule_rep02_beforeListening() throws Exception {
        InetSocketAddress address = start(b -> b.accessRule(AccessRules.denyDestinations("127.0.0.2/32")));
        try (RawClient client = new RawClient(address)) {
            bindRequest(client.noAuth(), LOOPBACK_2, 0);
            reply(client, 2);
            assertThat(client.closedByPeer()).isTrue();
        }
        SessionSummary summary = metrics.nextSummary();
        assertThat(summary.outcome()).isEqualTo(Outcome.DENIED);
        assertThat(summary.rule()).isEqualTo("deny-destinations 127.0.0.2/32");
    }

    @Test
    void bind_noPeerWithinTheConnectTimeout_secondReplyRep06_andTheListenerCloses() throws Exception {
        InetSocketAddress address = start(b -> b.connectTimeout(Duration.ofMillis(300)));
        InetSocketAddress listening;
        try (RawClient client = new RawClient(address)) {
            bindRequest(client.noAuth(), LOOPBACK, 0);
            listening = reply(client, 0);
            reply(client, 6);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(metrics.nextSummary().outcome()).isEqualTo(Outcome.CONNECT_TIMEOUT);
        assertPortFree(listening);
    }

    @Test
    void bind_clientGivesUpWhileWaiting_theListeningPortIsFreed() throws Exception {
        InetSocketAddress address = start(b -> { });
        InetSocketAddress listening;
        try (RawClient client = new RawClient(address)) {
            bindRequest(client.noAuth(), LOOPBACK, 0);
            listening = reply(client, 0);
        }
        assertPortFree(listening);
        assertThat(metrics.nextSummary().command()).isEqualTo(Command.BIND);
    }

    private static void assertPortFree(InetSocketAddress listening) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreException(IOException.class).until(() -> {
            try (ServerSocket again = new ServerSocket()) {
                again.bind(listening);
                return true;
            }
        });
        try (Socket probe = new Socket()) {
            probe.connect(listening, 2000);
            throw new AssertionError("something still listens on " + listening);
        } catch (ConnectException expected) {
            // Nothing listens there any more.
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void socks4_bind_repliesTwiceWith5A_thenTunnels() throws Exception {
        InetSocketAddress address = start(b -> { });
        try (RawClient client = new RawClient(address)) {
            client.send(4, 2, 0, 0, 127, 0, 0, 1, 'u', 0);
            byte[] first = client.read(8);
            assertThat(first[0]).isZero();
            assertThat(first[1] & 0xff).isEqualTo(0x5A);
            InetSocketAddress listening = new InetSocketAddress(
                    InetAddress.getByAddress(new byte[] {first[4], first[5], first[6], first[7]}),
                    ((first[2] & 0xff) << 8) | (first[3] & 0xff));
            assertThat(listening.getAddress()).isEqualTo(LOOPBACK);
            try (Socket peer = connectFrom(LOOPBACK, listening)) {
                byte[] second = client.read(8);
                assertThat(second[1] & 0xff).isEqualTo(0x5A);
                assertThat(((second[2] & 0xff) << 8) | (second[3] & 0xff)).isEqualTo(peer.getLocalPort());
                client.send("four".getBytes(StandardCharsets.US_ASCII));
                assertThat(peer.getInputStream().readNBytes(4)).isEqualTo("four".getBytes(StandardCharsets.US_ASCII));
            }
        }
        SessionSummary summary = metrics.nextSummary();
        assertThat(summary.protocol()).isEqualTo(Protocol.SOCKS4);
        assertThat(summary.command()).isEqualTo(Command.BIND);
        assertThat(summary.bytesUp()).isEqualTo(4);
    }

    @Test
    void socks4_bind_wrongPeer_refused_thenTimeoutGives5B() throws Exception {
        InetSocketAddress address = start(b -> b.connectTimeout(Duration.ofMillis(500)));
        try (RawClient client = new RawClient(address)) {
            client.send(4, 2, 0, 0, 127, 0, 0, 2, 0);
            byte[] first = client.read(8);
            assertThat(first[1] & 0xff).isEqualTo(0x5A);
            InetSocketAddress listening = new InetSocketAddress(LOOPBACK, ((first[2] & 0xff) << 8) | (first[3] & 0xff));
            try (Socket stranger = connectFrom(LOOPBACK, listening)) {
                assertThat(closedByProxy(stranger)).isTrue();
            }
            assertThat(client.read(8)[1] & 0xff).isEqualTo(0x5B);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(metrics.rejections()).contains("socks4:bind-peer");
    }
}
