package dev.sallyport.socks5;

import dev.sallyport.api.Command;
import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.AccessRules;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.core.testing.RecordingMetrics;
import io.netty.util.NetUtil;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * UDP ASSOCIATE (RFC 1928 section 7) with a client written against the RFC's header by hand: the
 * JDK has no UDP SOCKS client.
 */
@Timeout(60)
class UdpAssociateTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final InetAddress LOOPBACK_2 = NetUtil.createInetAddressFromIpAddressString("127.0.0.2");

    private UdpEcho echo;
    private ProxyManager proxy;
    private RecordingMetrics metrics;

    @BeforeEach
    void startEcho() {
        echo = new UdpEcho();
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        echo.close();
    }

    private InetSocketAddress start(Consumer<ProxyManager.Builder> config) {
        metrics = new RecordingMetrics();
        ProxyManager.Builder builder = ProxyManager.builder().socks5(0).metrics(metrics)
                .resolver(Resolver.fixed(Map.of("echo.test", List.of(LOOPBACK))));
        config.accept(builder);
        proxy = builder.start();
        return proxy.address("socks5");
    }

    /** Sends UDP ASSOCIATE naming {@code port} as the client's UDP port; returns the relay's address. */
    private static InetSocketAddress associate(RawClient control, int port) throws IOException {
        control.send(5, 3, 0, 1, 0, 0, 0, 0, port >> 8, port & 0xff);
        byte[] reply = control.read(10);
        RawClient.expect(reply, 5, 0, 0, 1);
        InetAddress address = InetAddress.getByAddress(Arrays.copyOfRange(reply, 4, 8));
        return new InetSocketAddress(address, ((reply[8] & 0xff) << 8) | (reply[9] & 0xff));
    }

    /** RSV RSV FRAG ATYP=1 DST.ADDR DST.PORT DATA. */
    private static byte[] toIp(int frag, InetSocketAddress destination, String payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0, 0, (byte) frag, 1});
        out.writeBytes(destination.getAddress().getAddress());
        out.write(destination.getPort() >> 8);
        out.write(destination.getPort());
        out.writeBytes(payload.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** RSV RSV FRAG ATYP=3 LEN NAME DST.PORT DATA. */
    private static byte[] toName(String host, int port, String payload) {
        byte[] name = host.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0, 0, 0, 3, (byte) name.length});
        out.writeBytes(name);
        out.write(port >> 8);
        out.write(port);
        out.writeBytes(payload.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static void send(DatagramSocket socket, InetSocketAddress relay, byte[] datagram) throws IOException {
        socket.send(new DatagramPacket(datagram, datagram.length, relay));
    }

    /** A reply as the RFC has it: the source's address in the header, then the payload. */
    private record Reply(int frag, InetSocketAddress source, String payload) {
    }

    private static Reply receive(DatagramSocket socket) throws IOException {
        byte[] buf = new byte[65536];
        DatagramPacket packet = new DatagramPacket(buf, buf.length);
        socket.receive(packet);
        ByteBuffer in = ByteBuffer.wrap(buf, 0, packet.getLength());
        assertThat(in.getShort()).as("RSV").isZero();
        int frag = in.get();
        int atyp = in.get();
        assertThat(atyp).as("ATYP of a reply: the source's IPv4 address").isEqualTo(1);
        byte[] ip = new byte[4];
        in.get(ip);
        int port = in.getShort() & 0xffff;
        byte[] payload = new byte[in.remaining()];
        in.get(payload);
        return new Reply(frag, new InetSocketAddress(InetAddress.getByAddress(ip), port),
                new String(payload, StandardCharsets.UTF_8));
    }

    private static DatagramSocket udpClient(InetAddress on) throws IOException {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(on, 0));
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** On the native transport where it loads, and on NIO. */
    @ParameterizedTest(name = "native transport allowed: {0}")
    @ValueSource(booleans = {true, false})
    void udp_byIpAndByName_everyReplyWrappedWithItsSource_andBytesCountedExactly(boolean nativeTransport)
            throws Exception {
        InetSocketAddress address = start(b -> b.nativeTransport(nativeTransport));
        long payloadBytes = 0;
        try (RawClient control = new RawClient(address); DatagramSocket client = udpClient(LOOPBACK)) {
            InetSocketAddress relay = associate(control.noAuth(), client.getLocalPort());
            assertThat(relay.getAddress()).as("bound where the client reached the proxy").isEqualTo(address.getAddress());
            for (int i = 0; i < 5; i++) {
                String byIp = "by-ip-" + i;
                send(client, relay, toIp(0, echo.address(), byIp));
                assertThat(receive(client)).isEqualTo(new Reply(0, echo.address(), byIp));
                String byName = "by-name-" + i + "-" + "x".repeat(i * 100);
                send(client, relay, toName("echo.test", echo.port(), byName));
                assertThat(receive(client)).isEqualTo(new Reply(0, echo.address(), byName));
                payloadBytes += byIp.length() + byName.length();
            }
            assertThat(echo.received()).hasSize(10);
        }
        SessionSummary summary = metrics.nextSummary();
        assertThat(summary.command()).isEqualTo(Command.UDP_ASSOCIATE);
        assertThat(summary.outcome()).isEqualTo(Outcome.OK);
        assertThat(summary.bytesUp()).as("payload bytes up, headers excluded").isEqualTo(payloadBytes);
        assertThat(summary.bytesDown()).as("payload bytes down, headers excluded").isEqualTo(payloadBytes);
        assertThat(metrics.rejections()).isEmpty();
    }

    @Test
    void udp_clientNamedItsPort_aDatagramFromAnotherPortIsDropped_andCounted() throws Exception {
        InetSocketAddress address = start(b -> { });
        try (RawClient control = new RawClient(address); DatagramSocket client = udpClient(LOOPBACK);
             DatagramSocket stranger = udpClient(LOOPBACK)) {
            InetSocketAddress relay = associate(control.noAuth(), client.getLocalPort());
            send(stranger, relay, toIp(0, echo.address(), "from-stranger"));
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> metrics.rejections().contains("socks5:udp-stranger"));
            send(client, relay, toIp(0, echo.address(), "from-client"));
            assertThat(receive(client).payload()).isEqualTo("from-client");
            assertThat(echo.received()).as("the stranger's datagram went nowhere").containsExactly("from-client");
        }
    }

    @Test
    void udp_clientNamedNoPort_aDatagramFromAnotherAddressIsDropped_andCounted() throws Exception {
        InetSocketAddress address = start(b -> { });
        try (RawClient control = new RawClient(address); DatagramSocket client = udpClient(LOOPBACK);
             DatagramSocket stranger = udpClient(LOOPBACK_2)) {
            InetSocketAddress relay = associate(control.noAuth(), 0);
            send(stranger, relay, toIp(0, echo.address(), "from-stranger"));
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> metrics.rejections().contains("socks5:udp-stranger"));
            send(client, relay, toIp(0, echo.address(), "from-client"));
            assertThat(receive(client).payload()).isEqualTo("from-client");
            assertThat(echo.received()).containsExactly("from-client");
        }
    }

    @Test
    void udp_fragment_dropped_andCounted() throws Exception {
        InetSocketAddress address = start(b -> { });
        try (RawClient control = new RawClient(address); DatagramSocket client = udpClient(LOOPBACK)) {
            InetSocketAddress relay = associate(control.noAuth(), client.getLocalPort());
            send(client, relay, toIp(1, echo.address(), "fragment"));
            send(client, relay, toIp(0, echo.address(), "whole"));
            assertThat(receive(client).payload()).isEqualTo("whole");
            assertThat(echo.received()).containsExactly("whole");
            assertThat(metrics.rejections()).containsExactly("socks5:udp-fragment");
        }
        assertThat(metrics.nextSummary().bytesUp()).isEqualTo("whole".length());
    }

    @Test
    void udp_deniedDestination_dropped_andCounted() throws Exception {
        try (UdpEcho denied = new UdpEcho(LOOPBACK_2)) {
            InetSocketAddress address = start(b -> b.accessRule(AccessRules.denyDestinations("127.0.0.2/32")));
            try (RawClient control = new RawClient(address); DatagramSocket client = udpClient(LOOPBACK)) {
                InetSocketAddress relay = associate(control.noAuth(), client.getLocalPort());
                send(client, relay, toIp(0, denied.address(), "denied"));
                send(client, relay, toIp(0, echo.address(), "allowed"));
                assertThat(receive(client).payload()).isEqualTo("allowed");
                assertThat(metrics.rejections()).containsExactly("socks5:rule");
                assertThat(denied.received()).isEmpty();
            }
            assertThat(metrics.nextSummary().bytesUp()).isEqualTo("allowed".length());
        }
    }

    @Test
    void udp_unknownName_dropped_andCounted() throws Exception {
        InetSocketAddress address = start(b -> { });
        try (RawClient control = new RawClient(address); DatagramSocket client = udpClient(LOOPBACK)) {
            InetSocketAddress relay = associate(control.noAuth(), client.getLocalPort());
            send(client, relay, toName("nowhere.test", echo.port(), "lost"));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> metrics.rejections().contains("socks5:udp-dns"));
            send(client, relay, toName("echo.test", echo.port(), "found"));
            assertThat(receive(client).payload()).isEqualTo("found");
        }
    }

    @Test
    void udp_closingTheControlConnection_freesTheUdpPort() throws Exception {
        InetSocketAddress address = start(b -> { });
        InetSocketAddress relay;
        try (RawClient control = new RawClient(address); DatagramSocket client = udpClient(LOOPBACK)) {
            relay = associate(control.noAuth(), client.getLocalPort());
            send(client, relay, toIp(0, echo.address(), "one"));
            assertThat(receive(client).payload()).isEqualTo("one");
        }
        InetSocketAddress freed = relay;
        Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreException(java.net.BindException.class).until(() -> {
            try (DatagramSocket again = new DatagramSocket(freed)) {
                return again.isBound();
            }
        });
        assertThat(metrics.nextSummary().outcome()).isEqualTo(Outcome.OK);
    }

    @Test
    void udp_idleAssociation_endsWithItsControlConnection() throws Exception {
        InetSocketAddress address = start(b -> b.idleTimeout(Duration.ofMillis(400)));
        try (RawClient control = new RawClient(address)) {
            associate(control.noAuth(), 0);
            assertThat(control.closedByPeer()).isTrue();
        }
        assertThat(metrics.nextSummary().outcome()).isEqualTo(Outcome.IDLE_TIMEOUT);
    }

    @Test
    void udp_theAssociationHoldsTheUsersSessionSlot() throws Exception {
        InetSocketAddress address = start(b -> b.requireAuthentication(true));
        NewCredentials carol = proxy.users().create("carol", Limits.NONE.withMaxSessions(1)).toCompletableFuture().get();
        try (RawClient control = new RawClient(address)) {
            associate(control.login("carol", carol.password()), 0);
            try (RawClient second = new RawClient(address)) {
                second.login("carol", carol.password()).send(5, 3, 0, 1, 0, 0, 0, 0, 0, 0);
                assertThat(second.replyCode()).as("over the user's session limit").isEqualTo(2);
            }
        }
        // Both connections reported, so the association gave its slot back.
        assertThat(List.of(metrics.nextSummary().outcome(), metrics.nextSummary().outcome()))
                .containsExactlyInAnyOrder(Outcome.OK, Outcome.LIMITED);
        try (RawClient again = new RawClient(address)) {
            associate(again.login("carol", carol.password()), 0);
        }
    }
}
