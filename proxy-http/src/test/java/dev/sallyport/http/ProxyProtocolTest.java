package dev.sallyport.http;

import dev.sallyport.api.LiveSession;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.AccessRules;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.ProxyProtocolMode;
import dev.sallyport.testkit.EventRecorder;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PROXY protocol on listeners (issue 15): the header of a trusted balancer names the client for
 * rules, caps, lockout and summaries; anyone else's header, a bad header or a missing required one
 * closes the connection. Balancers and clients are distinct 127.0.0.x source addresses; headers
 * are written byte by byte as the spec lays them out.
 */
@Timeout(60)
class ProxyProtocolTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String BALANCER = "127.0.0.2";
    private static final String STRANGER = "127.0.0.3";
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    static byte[] v1(String line) {
        return (line + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** A v2 header: version 2 with {@code command} (0 LOCAL, 1 PROXY), family byte, addresses and ports. */
    static byte[] v2(int command, int family, String source, String destination, int sourcePort, int destinationPort)
            throws IOException {
        byte[] from = source == null ? new byte[0] : InetAddress.getByName(source).getAddress();
        byte[] to = destination == null ? new byte[0] : InetAddress.getByName(destination).getAddress();
        int length = from.length + to.length + (source == null ? 0 : 4);
        ByteBuffer header = ByteBuffer.allocate(16 + length);
        header.put(V2_SIGNATURE).put((byte) (0x20 | command)).put((byte) family).putShort((short) length);
        header.put(from).put(to);
        if (source != null) {
            header.putShort((short) sourcePort).putShort((short) destinationPort);
        }
        return header.array();
    }

    static Socket from(String source, InetSocketAddress proxy) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(source, 0));
        socket.connect(proxy, 5000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** SOCKS5 greeting (no auth) after {@code prefix}, then CONNECT 127.0.0.1:port; the REP code. */
    static int socks5Connect(Socket socket, byte[] prefix, int port) throws IOException {
        socket.getOutputStream().write(concat(prefix, new byte[] {5, 1, 0}));
        assertThat(socket.getInputStream().readNBytes(2)).containsExactly(5, 0);
        return socks5Request(socket, port);
    }

    static int socks5Request(Socket socket, int port) throws IOException {
        socket.getOutputStream().write(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port});
        byte[] reply = socket.getInputStream().readNBytes(10);
        assertThat(reply).hasSize(10);
        return reply[1];
    }

    static String echo(Socket socket, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        socket.getOutputStream().write(bytes);
        return new String(socket.getInputStream().readNBytes(bytes.length), StandardCharsets.UTF_8);
    }

    /** The proxy closed the connection: end of input (or a reset) without any byte. */
    static void assertClosed(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        try {
            assertThat(in.read()).as("end of input").isEqualTo(-1);
        } catch (SocketException reset) {
            // Closed with unread bytes: a reset is a close too.
        }
    }

    private static ProxyManager.Builder socks5(SessionRecorder recorder, ProxyProtocolMode mode) {
        return onLoopback(ProxyManager.builder().socks5(0).metrics(recorder)).proxyProtocol("socks5", mode, BALANCER);
    }

    /**
     * The clients a PROXY header names are remote, so a proxy behind a balancer gets the defaults
     * of one beyond loopback: these tests open it on purpose and let it reach their loopback servers.
     */
    static ProxyManager.Builder onLoopback(ProxyManager.Builder builder) {
        return builder.allowOpenProxy(true).accessRule(AccessRules.allowDestinations("127.0.0.0/8"));
    }

    /** The client of the session that a connection from {@code source} starting with {@code prefix} opened. */
    private static String servedAs(ProxyProtocolMode mode, String source, byte[] prefix) throws Exception {
        SessionRecorder recorder = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo(); ProxyManager proxy = socks5(recorder, mode).start();
             Socket socket = from(source, proxy.address("socks5"))) {
            assertThat(socks5Connect(socket, prefix, echo.port())).isZero();
            socket.close();
            return recorder.takeSession(WAIT).client().getAddress().getHostAddress();
        }
    }

    /** A connection from {@code source} that sends {@code bytes} is closed, counted as {@code reason}, no session. */
    @Test
    void v1SourceWithLeadingZeros_isMalformed_notGuessedAsDecimalOrOctal() throws Exception {
        refused(ProxyProtocolMode.REQUIRED, BALANCER, v1("PROXY TCP4 010.001.1.1 192.0.2.1 4000 1080"), "malformed");
    }

    private static void refused(ProxyProtocolMode mode, String source, byte[] bytes, String reason) throws Exception {
        SessionRecorder recorder = new SessionRecorder();
        try (ProxyManager proxy = socks5(recorder, mode).start(); Socket socket = from(source, proxy.address("socks5"))) {
            socket.getOutputStream().write(bytes);
            assertClosed(socket);
            recorder.awaitRejection("socks5:proxy_protocol_" + reason, WAIT);
            assertThat(recorder.sessions()).isEmpty();
        }
    }

    @Test
    void v1Tcp4_fromTrustedBalancer_isTheClientOfTheSummaryEventsAndSessions() throws Exception {
        SessionRecorder recorder = new SessionRecorder();
        EventRecorder events = new EventRecorder();
        InetSocketAddress client = new InetSocketAddress("203.0.113.7", 4711);
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = socks5(recorder, ProxyProtocolMode.REQUIRED).events(events).start();
             Socket socket = from(BALANCER, proxy.address("socks5"))) {
            assertThat(socks5Connect(socket, v1("PROXY TCP4 203.0.113.7 192.0.2.1 4711 1080"), echo.port())).isZero();
            assertThat(echo(socket, "through")).isEqualTo("through");
            assertThat(proxy.sessions()).extracting(LiveSession::client).containsExactly(client);
            assertThat(events.awaitOpened(1, WAIT)).extracting(LiveSession::client).containsExactly(client);
            socket.close();
            SessionSummary summary = recorder.takeSession(WAIT);
            assertThat(summary.client()).isEqualTo(client);
        }
    }

    @Test
    void v2Tcp6_fromTrustedBalancer_isTheClientOfTheSummary() throws Exception {
        SessionRecorder recorder = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo(); ProxyManager proxy = socks5(recorder, ProxyProtocolMode.REQUIRED).start();
             Socket socket = from(BALANCER, proxy.address("socks5"))) {
            byte[] header = v2(1, 0x21, "2001:db8::7", "2001:db8::1", 50000, 1080);
            assertThat(socks5Connect(socket, header, echo.port())).isZero();
            socket.close();
            assertThat(recorder.takeSession(WAIT).client()).isEqualTo(new InetSocketAddress("2001:db8::7", 50000));
        }
    }

    @Test
    void v2Tcp4_headerInFragments_thenBytesInTheSameWrite_areReplayed() throws Exception {
        SessionRecorder recorder = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo(); ProxyManager proxy = socks5(recorder, ProxyProtocolMode.REQUIRED).start();
             Socket socket = from(BALANCER, proxy.address("socks5"))) {
            byte[] header = v2(1, 0x11, "198.51.100.9", "192.0.2.1", 1234, 1080);
            socket.setTcpNoDelay(true);
            socket.getOutputStream().write(header, 0, 3);
            socket.getOutputStream().flush();
            socket.getOutputStream().write(header, 3, 10);
            assertThat(socks5Connect(socket, java.util.Arrays.copyOfRange(header, 13, header.length), echo.port())).isZero();
            socket.close();
            assertThat(recorder.takeSession(WAIT).client()).isEqualTo(new InetSocketAddress("198.51.100.9", 1234));
        }
    }

    @Test
    void ruleDenyingTheHeadersClient_refusesTheRequest() throws Exception {
        SessionRecorder recorder = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = onLoopback(ProxyManager.builder().socks5(0).metrics(recorder)
                     .accessRule(AccessRules.denyClients("203.0.113.0/24")))
                     .proxyProtocol("socks5", ProxyProtocolMode.REQUIRED, BALANCER).start()) {
            try (Socket denied = from(BALANCER, proxy.address("socks5"))) {
                assertThat(socks5Connect(denied, v1("PROXY TCP4 203.0.113.7 192.0.2.1 4711 1080"), echo.port()))
                        .isNotZero();
            }
            assertThat(recorder.takeSession(WAIT).outcome()).isEqualTo(Outcome.DENIED);
            try (Socket allowed = from(BALANCER, proxy.address("socks5"))) {
                assertThat(socks5Connect(allowed, v1("PROXY TCP4 198.51.100.7 192.0.2.1 4711 1080"), echo.port()))
                        .isZero();
            }
        }
    }

    @Test
    void perClientCap_countsTheHeadersClients_notTheBalancer() throws Exception {
        SessionRecorder recorder = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = socks5(recorder, ProxyProtocolMode.REQUIRED).maxConnectionsPerClient(1).start();
             Socket first = from(BALANCER, proxy.address("socks5"));
             Socket second = from(BALANCER, proxy.address("socks5"));
             Socket third = from(BALANCER, proxy.address("socks5"))) {
            assertThat(socks5Connect(first, v1("PROXY TCP4 203.0.113.1 192.0.2.1 1001 1080"), echo.port())).isZero();
            // Another client behind the same balancer: its own cap.
            assertThat(socks5Connect(second, v1("PROXY TCP4 203.0.113.2 192.0.2.1 1002 1080"), echo.port())).isZero();
            // The first client again, while its tunnel is open: over its cap.
            assertThat(socks5Connect(third, v1("PROXY TCP4 203.0.113.1 192.0.2.1 1003 1080"), echo.port())).isNotZero();
            SessionSummary refused = recorder.takeSession(WAIT);
            assertThat(refused.outcome()).isEqualTo(Outcome.LIMITED);
            assertThat(refused.client().getAddress().getHostAddress()).isEqualTo("203.0.113.1");
        }
    }

    @Test
    void loginLockout_isPerHeaderClient() throws Exception {
        SessionRecorder recorder = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = socks5(recorder, ProxyProtocolMode.REQUIRED).user("alice", "right")
                     .maxLoginFailures(2).loginBackoff(Duration.ZERO).start()) {
            byte[] guesser = v1("PROXY TCP4 203.0.113.66 192.0.2.1 4000 1080");
            for (int i = 0; i < 2; i++) {
                try (Socket socket = from(BALANCER, proxy.address("socks5"))) {
                    assertThat(login(socket, guesser, "wrong")).isNotZero();
                }
            }
            try (Socket locked = from(BALANCER, proxy.address("socks5"))) {
                assertThat(login(locked, guesser, "right")).as("locked out").isNotZero();
            }
            try (Socket other = from(BALANCER, proxy.address("socks5"))) {
                assertThat(login(other, v1("PROXY TCP4 203.0.113.67 192.0.2.1 4000 1080"), "right")).isZero();
            }
        }
    }

    @Test
    void behindBalancer_theHeadersClientIsRemote_soTheProxysOwnHostIsNoTarget() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).user("alice", "right")
                     .proxyProtocol("socks5", ProxyProtocolMode.REQUIRED, BALANCER).start();
             Socket socket = from(BALANCER, proxy.address("socks5"))) {
            assertThat(login(socket, v1("PROXY TCP4 203.0.113.8 192.0.2.1 4000 1080"), "right")).isZero();
            assertThat(socks5Request(socket, echo.port())).as("not allowed by ruleset").isEqualTo(2);
        }
    }

    /** Username/password login of alice after {@code prefix}: the status byte. */
    private static int login(Socket socket, byte[] prefix, String password) throws IOException {
        socket.getOutputStream().write(concat(prefix, new byte[] {5, 1, 2}));
        assertThat(socket.getInputStream().readNBytes(2)).containsExactly(5, 2);
        byte[] pass = password.getBytes(StandardCharsets.US_ASCII);
        socket.getOutputStream().write(concat(new byte[] {1, 5, 'a', 'l', 'i', 'c', 'e', (byte) pass.length}, pass));
        byte[] reply = socket.getInputStream().readNBytes(2);
        return reply.length < 2 ? -1 : reply[1];
    }

    @Test
    void headerFromUntrustedSource_isClosed_andNeverNamesTheClient() throws Exception {
        SessionRecorder recorder = new SessionRecorder();
        try (ProxyManager proxy = socks5(recorder, ProxyProtocolMode.OPTIONAL).start();
             Socket socket = from(STRANGER, proxy.address("socks5"))) {
            socket.getOutputStream().write(concat(v1("PROXY TCP4 203.0.113.7 192.0.2.1 4711 1080"), new byte[] {5, 1, 0}));
            assertClosed(socket);
            recorder.awaitRejection("socks5:proxy_protocol_untrusted", WAIT);
            assertThat(recorder.sessions()).isEmpty();
        }
    }

    @Test
    void v2HeaderFromUntrustedSource_isClosed() throws Exception {
        refused(ProxyProtocolMode.OPTIONAL, STRANGER, v2(1, 0x11, "203.0.113.7", "192.0.2.1", 4711, 1080), "untrusted");
    }

    @Test
    void required_untrustedSourceWithoutHeader_isClosed() throws Exception {
        refused(ProxyProtocolMode.REQUIRED, STRANGER, new byte[0], "untrusted");
    }

    @Test
    void optional_untrustedSourceWithoutHeader_isServedAsItself() throws Exception {
        assertThat(servedAs(ProxyProtocolMode.OPTIONAL, STRANGER, new byte[0])).isEqualTo(STRANGER);
    }

    @Test
    void required_trustedSourceWithoutHeader_isClosed() throws Exception {
        refused(ProxyProtocolMode.REQUIRED, BALANCER, new byte[] {5, 1, 0}, "missing");
    }

    @Test
    void optional_trustedSourceWithoutHeader_isServedAsItself() throws Exception {
        assertThat(servedAs(ProxyProtocolMode.OPTIONAL, BALANCER, new byte[0])).isEqualTo(BALANCER);
    }

    @Test
    void malformedV1Header_isClosed() throws Exception {
        refused(ProxyProtocolMode.REQUIRED, BALANCER, v1("PROXY TCP4 999.0.113.7 192.0.2.1 4711 1080"), "malformed");
    }

    @Test
    void v1HeaderPastItsMaximumLength_isClosed() throws Exception {
        refused(ProxyProtocolMode.REQUIRED, BALANCER, ("PROXY TCP4 " + "1".repeat(200)).getBytes(StandardCharsets.US_ASCII),
                "malformed");
    }

    @Test
    void truncatedHeader_inputEnded_isClosed() throws Exception {
        SessionRecorder recorder = new SessionRecorder();
        try (ProxyManager proxy = socks5(recorder, ProxyProtocolMode.REQUIRED).start();
             Socket socket = from(BALANCER, proxy.address("socks5"))) {
            socket.getOutputStream().write("PROXY TCP4 203.0.".getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            assertClosed(socket);
            recorder.awaitRejection("socks5:proxy_protocol_truncated", WAIT);
        }
    }

    @Test
    void truncatedV2Header_connectionClosed_isCounted() throws Exception {
        SessionRecorder recorder = new SessionRecorder();
        try (ProxyManager proxy = socks5(recorder, ProxyProtocolMode.REQUIRED).start()) {
            try (Socket socket = from(BALANCER, proxy.address("socks5"))) {
                byte[] header = v2(1, 0x11, "203.0.113.7", "192.0.2.1", 4711, 1080);
                socket.getOutputStream().write(header, 0, 20);
            }
            recorder.awaitRejection("socks5:proxy_protocol_truncated", WAIT);
        }
    }

    @Test
    void incompleteHeader_isCutByTheHandshakeTimeout() throws Exception {
        SessionRecorder recorder = new SessionRecorder();
        try (ProxyManager proxy = socks5(recorder, ProxyProtocolMode.REQUIRED)
                .handshakeTimeout(Duration.ofMillis(300)).start();
             Socket socket = from(BALANCER, proxy.address("socks5"))) {
            socket.getOutputStream().write("PROXY TCP4".getBytes(StandardCharsets.US_ASCII));
            assertClosed(socket);
            recorder.awaitRejection("socks5:proxy_protocol_timeout", WAIT);
        }
    }

    @Test
    void v2Local_usesThePeersOwnAddress() throws Exception {
        assertThat(servedAs(ProxyProtocolMode.REQUIRED, BALANCER, v2(0, 0x00, null, null, 0, 0))).isEqualTo(BALANCER);
    }

    @Test
    void v1Unknown_usesThePeersOwnAddress() throws Exception {
        assertThat(servedAs(ProxyProtocolMode.REQUIRED, BALANCER, v1("PROXY UNKNOWN"))).isEqualTo(BALANCER);
    }

    @Test
    void httpListener_headerThenConnect_isTheHeadersClient() throws Exception {
        SessionRecorder recorder = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = onLoopback(ProxyManager.builder().http(0).metrics(recorder))
                     .proxyProtocol(ProxyProtocolMode.REQUIRED, BALANCER).start();
             Socket socket = from(BALANCER, proxy.address("http"))) {
            socket.getOutputStream().write(concat(v1("PROXY TCP4 203.0.113.7 192.0.2.1 4711 8080"),
                    ("CONNECT 127.0.0.1:" + echo.port() + " HTTP/1.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
            byte[] expected = "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            assertThat(socket.getInputStream().readNBytes(expected.length)).isEqualTo(expected);
            assertThat(echo(socket, "over http")).isEqualTo("over http");
            socket.close();
            assertThat(recorder.takeSession(WAIT).client()).isEqualTo(new InetSocketAddress("203.0.113.7", 4711));
        }
    }

    @Test
    void mixedListener_headerThenEitherProtocol_isRoutedAndNamed() throws Exception {
        SessionRecorder recorder = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo(); TestOrigin origin = new TestOrigin();
             ProxyManager proxy = onLoopback(ProxyManager.builder().mixed(0).metrics(recorder))
                     .proxyProtocol("mixed", ProxyProtocolMode.OPTIONAL, BALANCER).start()) {
            try (Socket socks = from(BALANCER, proxy.address("mixed"))) {
                assertThat(socks5Connect(socks, v2(1, 0x11, "203.0.113.5", "192.0.2.1", 5555, 1080), echo.port()))
                        .isZero();
            }
            assertThat(recorder.takeSession(WAIT).client()).isEqualTo(new InetSocketAddress("203.0.113.5", 5555));
            try (Socket http = from(BALANCER, proxy.address("mixed"))) {
                http.getOutputStream().write(concat(v1("PROXY TCP4 203.0.113.6 192.0.2.1 6666 1080"),
                        ("GET http://127.0.0.1:" + origin.port() + "/mixed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII)));
                String response = new String(http.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(response).startsWith("HTTP/1.1 200").endsWith("hello");
            }
            assertThat(recorder.takeSession(WAIT).client()).isEqualTo(new InetSocketAddress("203.0.113.6", 6666));
            // Without a header (OPTIONAL), the first byte still picks the protocol.
            try (Socket direct = from(STRANGER, proxy.address("mixed"))) {
                assertThat(socks5Connect(direct, new byte[0], echo.port())).isZero();
            }
            assertThat(recorder.takeSession(WAIT).client().getAddress().getHostAddress()).isEqualTo(STRANGER);
        }
    }

    @Test
    void upstreamV1_targetReceivesTheHeaderThenTheData() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = onLoopback(ProxyManager.builder().socks5(0)).proxyProtocol(ProxyProtocolMode.REQUIRED, BALANCER)
                     .upstreamProxyProtocol(1).start();
             Socket socket = from(BALANCER, proxy.address("socks5"))) {
            int listenerPort = proxy.address("socks5").getPort();
            assertThat(socks5Connect(socket, v1("PROXY TCP4 203.0.113.7 192.0.2.1 4711 1080"), echo.port())).isZero();
            socket.getOutputStream().write("data".getBytes(StandardCharsets.US_ASCII));
            byte[] header = v1("PROXY TCP4 203.0.113.7 127.0.0.1 4711 " + listenerPort);
            // The echo target sends back what it received: the header first, then the relayed bytes.
            assertThat(socket.getInputStream().readNBytes(header.length + 4)).isEqualTo(concat(header,
                    "data".getBytes(StandardCharsets.US_ASCII)));
        }
    }

    @Test
    void upstreamV2_targetReceivesTheHeaderThenTheData() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).upstreamProxyProtocol(2).start();
             Socket socket = from(STRANGER, proxy.address("socks5"))) {
            int listenerPort = proxy.address("socks5").getPort();
            assertThat(socks5Connect(socket, new byte[0], echo.port())).isZero();
            socket.getOutputStream().write("data".getBytes(StandardCharsets.US_ASCII));
            byte[] header = v2(1, 0x11, STRANGER, "127.0.0.1", socket.getLocalPort(), listenerPort);
            assertThat(socket.getInputStream().readNBytes(header.length + 4)).isEqualTo(concat(header,
                    "data".getBytes(StandardCharsets.US_ASCII)));
        }
    }
}
