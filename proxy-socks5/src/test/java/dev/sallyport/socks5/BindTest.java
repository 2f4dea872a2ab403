package dev.sallyport.socks5;

import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.AccessRules;
import dev.sallyport.core.IoTransport;
import dev.sallyport.testkit.SallyportExtension;
import dev.sallyport.testkit.Socks4Client;
import dev.sallyport.testkit.Socks5Client;
import io.netty.util.NetUtil;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * BIND (RFC 1928 section 4, and SOCKS4): a listening socket on the proxy's address, two replies,
 * only the expected peer let in, and the tunnel between the client and that peer.
 */
@Timeout(60)
class BindTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final InetAddress LOOPBACK_2 = NetUtil.createInetAddressFromIpAddressString("127.0.0.2");

    @RegisterExtension
    SallyportExtension proxy = SallyportExtension.socks5().build();

    private SessionSummary nextSession() {
        return proxy.recorder().takeSession(WAIT);
    }

    /** Reads a SOCKS5 reply with an IPv4 address; fails unless its REP is {@code rep}. */
    private static InetSocketAddress reply(Socks5Client client, int rep) throws IOException {
        Socks5Client.Reply reply = client.readReply();
        assertThat(reply.rep()).isEqualTo(rep);
        assertThat(reply.bound().getAddress()).isInstanceOf(Inet4Address.class);
        return reply.bound();
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

    /** On every transport: io_uring and epoll where they run (skipped, not failed, where not), and NIO. */
    @ParameterizedTest(name = "transport: {0}")
    @EnumSource(value = IoTransport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void bind_peerConnects_twoReplies_thenTunnelsBothWays(IoTransport transport) throws Exception {
        InetSocketAddress address = proxy.restart(b -> b.transport(TransportsHere.assumeRuns(transport))).address("socks5");
        try (Socks5Client client = Socks5Client.open(address)) {
            client.noAuth().sendRequest(Socks5Client.BIND, "127.0.0.1", 0);
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
        SessionSummary summary = nextSession();
        assertThat(summary.command()).isEqualTo(Command.BIND);
        assertThat(summary.outcome()).isEqualTo(Outcome.OK);
        assertThat(summary.bytesUp()).isEqualTo(5);
        assertThat(summary.bytesDown()).isEqualTo(6);
    }

    /** A wrong peer is closed and counted; the wait goes on and the expected peer is then let in. */
    @Test
    void bind_wrongPeer_refusedAndCounted_thenTheExpectedPeerIsAccepted() throws Exception {
        InetSocketAddress address = proxy.socks5Address();
        try (Socks5Client client = Socks5Client.open(address)) {
            client.noAuth().sendRequest(Socks5Client.BIND, "127.0.0.2", 0);
            InetSocketAddress listening = reply(client, 0);
            try (Socket stranger = connectFrom(LOOPBACK, listening)) {
                assertThat(closedByProxy(stranger)).as("the wrong peer is closed").isTrue();
            }
            proxy.recorder().awaitRejection("socks5:bind-peer", WAIT);
            try (Socket peer = connectFrom(LOOPBACK_2, listening)) {
                assertThat(reply(client, 0).getAddress()).isEqualTo(LOOPBACK_2);
                peer.getOutputStream().write('x');
                assertThat(client.read(1)[0]).isEqualTo((byte) 'x');
            }
        }
        assertThat(nextSession().outcome()).isEqualTo(Outcome.OK);
    }

    @Test
    void bind_anyPeer_aPeerTheRulesDenyIsRefused_anAllowedOneAccepted() throws Exception {
        InetSocketAddress address = proxy.restart(b -> b.accessRule(AccessRules.denyDestinations("127.0.0.2/32")))
                .address("socks5");
        try (Socks5Client client = Socks5Client.open(address)) {
            client.noAuth().sendRequest(Socks5Client.BIND, "0.0.0.0", 0);
            InetSocketAddress listening = reply(client, 0);
            try (Socket denied = connectFrom(LOOPBACK_2, listening)) {
                assertThat(closedByProxy(denied)).isTrue();
            }
            proxy.recorder().awaitRejection("socks5:rule", WAIT);
            try (Socket peer = connectFrom(LOOPBACK, listening)) {
                assertThat(reply(client, 0).getAddress()).isEqualTo(LOOPBACK);
            }
        }
    }

    @Test
    void bind_expectedPeerDeniedByRule_rep02_beforeListening() throws Exception {
        InetSocketAddress address = proxy.restart(b -> b.accessRule(AccessRules.denyDestinations("127.0.0.2/32")))
                .address("socks5");
        try (Socks5Client client = Socks5Client.open(address)) {
            client.noAuth().sendRequest(Socks5Client.BIND, "127.0.0.2", 0);
            reply(client, 2);
            assertThat(client.closedByPeer()).isTrue();
        }
        SessionSummary summary = nextSession();
        assertThat(summary.outcome()).isEqualTo(Outcome.DENIED);
        assertThat(summary.rule()).isEqualTo("deny-destinations 127.0.0.2/32");
    }

    @Test
    void bind_noPeerWithinTheConnectTimeout_secondReplyRep06_andTheListenerCloses() throws Exception {
        InetSocketAddress address = proxy.restart(b -> b.connectTimeout(Duration.ofMillis(300))).address("socks5");
        InetSocketAddress listening;
        try (Socks5Client client = Socks5Client.open(address)) {
            client.noAuth().sendRequest(Socks5Client.BIND, "127.0.0.1", 0);
            listening = reply(client, 0);
            reply(client, 6);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(nextSession().outcome()).isEqualTo(Outcome.CONNECT_TIMEOUT);
        assertPortFree(listening);
    }

    @Test
    void bind_clientGivesUpWhileWaiting_theListeningPortIsFreed() throws Exception {
        InetSocketAddress address = proxy.socks5Address();
        InetSocketAddress listening;
        try (Socks5Client client = Socks5Client.open(address)) {
            client.noAuth().sendRequest(Socks5Client.BIND, "127.0.0.1", 0);
            listening = reply(client, 0);
        }
        assertPortFree(listening);
        assertThat(nextSession().command()).isEqualTo(Command.BIND);
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
        InetSocketAddress address = proxy.socks5Address();
        try (Socks4Client client = Socks4Client.open(address)) {
            Socks4Client.Reply first = client.bind(LOOPBACK, 0, "u");
            assertThat(first.code()).isEqualTo(0x5A);
            InetSocketAddress listening = first.address();
            assertThat(listening.getAddress()).isEqualTo(LOOPBACK);
            try (Socket peer = connectFrom(LOOPBACK, listening)) {
                Socks4Client.Reply second = client.readReply();
                assertThat(second.code()).isEqualTo(0x5A);
                assertThat(second.address().getPort()).isEqualTo(peer.getLocalPort());
                client.send("four".getBytes(StandardCharsets.US_ASCII));
                assertThat(peer.getInputStream().readNBytes(4)).isEqualTo("four".getBytes(StandardCharsets.US_ASCII));
            }
        }
        SessionSummary summary = nextSession();
        assertThat(summary.protocol()).isEqualTo(Protocol.SOCKS4);
        assertThat(summary.command()).isEqualTo(Command.BIND);
        assertThat(summary.bytesUp()).isEqualTo(4);
    }

    @Test
    void socks4_bind_wrongPeer_refused_thenTimeoutGives5B() throws Exception {
        InetSocketAddress address = proxy.restart(b -> b.connectTimeout(Duration.ofMillis(500))).address("socks5");
        try (Socks4Client client = Socks4Client.open(address)) {
            Socks4Client.Reply first = client.bind(LOOPBACK_2, 0, "");
            assertThat(first.code()).isEqualTo(0x5A);
            InetSocketAddress listening = new InetSocketAddress(LOOPBACK, first.address().getPort());
            try (Socket stranger = connectFrom(LOOPBACK, listening)) {
                assertThat(closedByProxy(stranger)).isTrue();
            }
            assertThat(client.readReply().code()).isEqualTo(0x5B);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(proxy.recorder().rejections()).contains("socks4:bind-peer");
    }
}
