package dev.sallyport.socks5;

import dev.sallyport.api.Command;
import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.AccessRules;
import dev.sallyport.core.IoTransport;
import dev.sallyport.core.Resolver;
import dev.sallyport.testkit.SallyportExtension;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.Socks5Datagram;
import dev.sallyport.testkit.UdpServer;
import io.netty.util.NetUtil;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * UDP ASSOCIATE (RFC 1928 section 7) with a client written against the RFC's header: the JDK has
 * no UDP SOCKS client.
 */
@Timeout(60)
class UdpAssociateTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final InetAddress LOOPBACK_2 = NetUtil.createInetAddressFromIpAddressString("127.0.0.2");
    private static final InetAddress ANY = NetUtil.createInetAddressFromIpAddressString("0.0.0.0");

    @RegisterExtension
    SallyportExtension proxy = SallyportExtension.socks5()
            .customize(b -> b.resolver(Resolver.fixed(Map.of("echo.test", List.of(LOOPBACK)))))
            .build();

    @RegisterExtension
    UdpServer echo = UdpServer.echo();

    private SessionSummary nextSession() {
        return proxy.recorder().takeSession(WAIT);
    }

    /** Sends UDP ASSOCIATE naming {@code port} as the client's UDP port; returns the relay's address. */
    private static InetSocketAddress associate(Socks5Client control, int port) throws IOException {
        Socks5Client.Reply reply = control.udpAssociate(new InetSocketAddress(ANY, port));
        assertThat(reply.rep()).isZero();
        assertThat(reply.bound().getAddress()).isInstanceOf(Inet4Address.class);
        return reply.bound();
    }

    /** A whole datagram (FRAG 0) for {@code destination}'s IP. */
    private static Socks5Datagram toIp(InetSocketAddress destination, String payload) {
        return new Socks5Datagram(0, destination, payload.getBytes(StandardCharsets.UTF_8));
    }

    /** A whole datagram (FRAG 0) for a name the proxy resolves. */
    private static Socks5Datagram toName(String host, int port, String payload) {
        return Socks5Datagram.to(host, port, payload.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(DatagramSocket socket, InetSocketAddress relay, Socks5Datagram datagram) throws IOException {
        socket.send(datagram.packet(relay));
    }

    /** A reply as the RFC has it: the source's address in the header (IPv4 here), then the payload. */
    private static Socks5Datagram receive(DatagramSocket socket) throws IOException {
        byte[] buf = new byte[65536];
        DatagramPacket packet = new DatagramPacket(buf, buf.length);
        socket.receive(packet);
        Socks5Datagram reply = Socks5Datagram.decode(packet);
        assertThat(reply.address().getAddress()).as("ATYP of a reply: the source's IPv4 address")
                .isInstanceOf(Inet4Address.class);
        return reply;
    }

    /** Fails unless {@code reply} is a whole datagram from the echo server carrying {@code payload}. */
    private void assertEchoed(Socks5Datagram reply, String payload) {
        assertThat(reply.fragment()).isZero();
        assertThat(reply.address()).isEqualTo(echo.address());
        assertThat(reply.text()).isEqualTo(payload);
    }

    private List<String> echoReceived() {
        return echo.received().stream().map(UdpServer.Datagram::text).toList();
    }

    private static DatagramSocket udpClient(InetAddress on) throws IOException {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(on, 0));
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** On every transport: io_uring and epoll where they run (skipped, not failed, where not), and NIO. */
    @ParameterizedTest(name = "transport: {0}")
    @EnumSource(value = IoTransport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void udp_byIpAndByName_everyReplyWrappedWithItsSource_andBytesCountedExactly(IoTransport transport)
            throws Exception {
        InetSocketAddress address = proxy.restart(b -> b.transport(TransportsHere.assumeRuns(transport))).address("socks5");
        long payloadBytes = 0;
        try (Socks5Client control = Socks5Client.open(address); DatagramSocket client = udpClient(LOOPBACK)) {
            InetSocketAddress relay = associate(control.noAuth(), client.getLocalPort());
            assertThat(relay.getAddress()).as("bound where the client reached the proxy").isEqualTo(address.getAddress());
            for (int i = 0; i < 5; i++) {
                String byIp = "by-ip-" + i;
                send(client, relay, toIp(echo.address(), byIp));
                assertEchoed(receive(client), byIp);
                String byName = "by-name-" + i + "-" + "x".repeat(i * 100);
                send(client, relay, toName("echo.test", echo.port(), byName));
                assertEchoed(receive(client), byName);
                payloadBytes += byIp.length() + byName.length();
            }
            assertThat(echo.received()).hasSize(10);
        }
        SessionSummary summary = nextSession();
        assertThat(summary.command()).isEqualTo(Command.UDP_ASSOCIATE);
        assertThat(summary.outcome()).isEqualTo(Outcome.OK);
        assertThat(summary.bytesUp()).as("payload bytes up, headers excluded").isEqualTo(payloadBytes);
        assertThat(summary.bytesDown()).as("payload bytes down, headers excluded").isEqualTo(payloadBytes);
        assertThat(proxy.recorder().rejections()).isEmpty();
    }

    @Test
    void udp_clientNamedItsPort_aDatagramFromAnotherPortIsDropped_andCounted() throws Exception {
        InetSocketAddress address = proxy.socks5Address();
        try (Socks5Client control = Socks5Client.open(address); DatagramSocket client = udpClient(LOOPBACK);
             DatagramSocket stranger = udpClient(LOOPBACK)) {
            InetSocketAddress relay = associate(control.noAuth(), client.getLocalPort());
            send(stranger, relay, toIp(echo.address(), "from-stranger"));
            proxy.recorder().awaitRejection("socks5:udp-stranger", WAIT);
            send(client, relay, toIp(echo.address(), "from-client"));
            assertThat(receive(client).text()).isEqualTo("from-client");
            assertThat(echoReceived()).as("the stranger's datagram went nowhere").containsExactly("from-client");
        }
    }

    @Test
    void udp_clientNamedNoPort_aDatagramFromAnotherAddressIsDropped_andCounted() throws Exception {
        InetSocketAddress address = proxy.socks5Address();
        try (Socks5Client control = Socks5Client.open(address); DatagramSocket client = udpClient(LOOPBACK);
             DatagramSocket stranger = udpClient(LOOPBACK_2)) {
            InetSocketAddress relay = associate(control.noAuth(), 0);
            send(stranger, relay, toIp(echo.address(), "from-stranger"));
            proxy.recorder().awaitRejection("socks5:udp-stranger", WAIT);
            send(client, relay, toIp(echo.address(), "from-client"));
            assertThat(receive(client).text()).isEqualTo("from-client");
            assertThat(echoReceived()).containsExactly("from-client");
        }
    }

    @Test
    void udp_fragment_dropped_andCounted() throws Exception {
        InetSocketAddress address = proxy.socks5Address();
        try (Socks5Client control = Socks5Client.open(address); DatagramSocket client = udpClient(LOOPBACK)) {
            InetSocketAddress relay = associate(control.noAuth(), client.getLocalPort());
            send(client, relay, new Socks5Datagram(1, echo.address(), "fragment".getBytes(StandardCharsets.UTF_8)));
            send(client, relay, toIp(echo.address(), "whole"));
            assertThat(receive(client).text()).isEqualTo("whole");
            assertThat(echoReceived()).containsExactly("whole");
            assertThat(proxy.recorder().rejections()).containsExactly("socks5:udp-fragment");
        }
        assertThat(nextSession().bytesUp()).isEqualTo("whole".length());
    }

    @Test
    void udp_deniedDestination_dropped_andCounted() throws Exception {
        try (UdpServer denied = UdpServer.echo(LOOPBACK_2)) {
            InetSocketAddress address = proxy.restart(b -> b.accessRule(AccessRules.denyDestinations("127.0.0.2/32")))
                    .address("socks5");
            try (Socks5Client control = Socks5Client.open(address); DatagramSocket client = udpClient(LOOPBACK)) {
                InetSocketAddress relay = associate(control.noAuth(), client.getLocalPort());
                send(client, relay, toIp(denied.address(), "denied"));
                send(client, relay, toIp(echo.address(), "allowed"));
                assertThat(receive(client).text()).isEqualTo("allowed");
                assertThat(proxy.recorder().rejections()).containsExactly("socks5:rule");
                assertThat(denied.received()).isEmpty();
            }
            assertThat(nextSession().bytesUp()).isEqualTo("allowed".length());
        }
    }

    @Test
    void udp_unknownName_dropped_andCounted() throws Exception {
        InetSocketAddress address = proxy.socks5Address();
        try (Socks5Client control = Socks5Client.open(address); DatagramSocket client = udpClient(LOOPBACK)) {
            InetSocketAddress relay = associate(control.noAuth(), client.getLocalPort());
            send(client, relay, toName("nowhere.test", echo.port(), "lost"));
            proxy.recorder().awaitRejection("socks5:udp-dns", WAIT);
            send(client, relay, toName("echo.test", echo.port(), "found"));
            assertThat(receive(client).text()).isEqualTo("found");
        }
    }

    @Test
    void udp_closingTheControlConnection_freesTheUdpPort() throws Exception {
        InetSocketAddress address = proxy.socks5Address();
        InetSocketAddress relay;
        try (Socks5Client control = Socks5Client.open(address); DatagramSocket client = udpClient(LOOPBACK)) {
            relay = associate(control.noAuth(), client.getLocalPort());
            send(client, relay, toIp(echo.address(), "one"));
            assertThat(receive(client).text()).isEqualTo("one");
        }
        InetSocketAddress freed = relay;
        Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreException(java.net.BindException.class).until(() -> {
            try (DatagramSocket again = new DatagramSocket(freed)) {
                return again.isBound();
            }
        });
        assertThat(nextSession().outcome()).isEqualTo(Outcome.OK);
    }

    @Test
    void udp_idleAssociation_endsWithItsControlConnection() throws Exception {
        InetSocketAddress address = proxy.restart(b -> b.idleTimeout(Duration.ofMillis(400))).address("socks5");
        try (Socks5Client control = Socks5Client.open(address)) {
            associate(control.noAuth(), 0);
            assertThat(control.closedByPeer()).isTrue();
        }
        assertThat(nextSession().outcome()).isEqualTo(Outcome.IDLE_TIMEOUT);
    }

    @Test
    void udp_theAssociationHoldsTheUsersSessionSlot() throws Exception {
        InetSocketAddress address = proxy.restart(b -> b.requireAuthentication(true)).address("socks5");
        NewCredentials carol = proxy.manager().users().create("carol", Limits.NONE.withMaxSessions(1)).toCompletableFuture().get();
        try (Socks5Client control = Socks5Client.open(address)) {
            assertThat(control.login("carol", carol.password())).isZero();
            associate(control, 0);
            try (Socks5Client second = Socks5Client.open(address)) {
                assertThat(second.login("carol", carol.password())).isZero();
                assertThat(second.udpAssociate(new InetSocketAddress(ANY, 0)).rep()).as("over the user's session limit")
                        .isEqualTo(2);
            }
        }
        // Both connections reported, so the association gave its slot back.
        assertThat(List.of(nextSession().outcome(), nextSession().outcome()))
                .containsExactlyInAnyOrder(Outcome.OK, Outcome.LIMITED);
        try (Socks5Client again = Socks5Client.open(address)) {
            assertThat(again.login("carol", carol.password())).isZero();
            associate(again, 0);
        }
    }
}
