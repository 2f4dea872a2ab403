package dev.sallyport.testkit;

import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.proxy.ProxyConnectException;
import io.netty.handler.proxy.Socks5ProxyHandler;
import io.netty.util.NetUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The kit's test servers on their own, and its clients against a real proxy. */
@Timeout(60)
class ClientsAndServersTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final InetAddress LOOPBACK_2 = NetUtil.createInetAddressFromIpAddressString("127.0.0.2");

    @RegisterExtension
    static SallyportExtension proxy = SallyportExtension.socks5().http()
            .customize(b -> b.resolver(Resolver.fixed(Map.of("echo.test", List.of(LOOPBACK)))))
            .build();

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        socket.connect(address, 5000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void tcpEcho_echoesEveryByte_andHalfClosesWithTheClient() throws Exception {
        try (TcpServer echo = TcpServer.echo(); Socket socket = connect(echo.address())) {
            socket.getOutputStream().write(ascii("abc"));
            socket.shutdownOutput();
            assertThat(socket.getInputStream().readAllBytes()).isEqualTo(ascii("abc"));
            TcpServer.Ended ended = echo.awaitEnded(1, WAIT).get(0);
            assertThat(ended.bytesReceived()).isEqualTo(3);
            assertThat(ended.bytesSent()).isEqualTo(3);
            assertThat(ended.reset()).isFalse();
            assertThat(ended.connection().remote()).isEqualTo(socket.getLocalSocketAddress());
        }
    }

    @Test
    void tcpEcho_onAnotherLoopbackAddress_andNeverOffLoopback() throws Exception {
        try (TcpServer echo = TcpServer.echo(LOOPBACK_2)) {
            assertThat(echo.address().getAddress()).isEqualTo(LOOPBACK_2);
            try (Socket socket = connect(echo.address())) {
                TcpServer.Connection connection = echo.awaitConnections(1, WAIT).get(0);
                assertThat(connection.local()).isEqualTo(echo.address());
                assertThat(connection.remote()).isEqualTo(socket.getLocalSocketAddress());
            }
        }
        assertThatThrownBy(() -> TcpServer.echo(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 1})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bind: /192.0.2.1 (expected: a loopback address)");
    }

    @Test
    void tcpSink_countsEveryByte_tcpSource_sendsThePattern() throws Exception {
        try (TcpServer sink = TcpServer.sink()) {
            try (Socket socket = connect(sink.address())) {
                socket.getOutputStream().write(TestBytes.random(100_000, 1));
                assertThat(sink.awaitBytesReceived(100_000, WAIT)).isEqualTo(100_000);
            }
            assertThat(sink.awaitEnded(1, WAIT).get(0).reset()).isFalse();
        }
        try (TcpServer source = TcpServer.source(300_000); Socket socket = connect(source.address())) {
            byte[] received = socket.getInputStream().readAllBytes();
            assertThat(received).hasSize(300_000);
            assertThat(TestBytes.firstMismatch(received, 0)).isEqualTo(-1);
        }
    }

    @Test
    void tcpReplyAfterEof_answersOnceTheClientHalfCloses() throws Exception {
        try (TcpServer server = TcpServer.replyAfterEof(ascii("done")); Socket socket = connect(server.address())) {
            socket.getOutputStream().write(ascii("request"));
            socket.shutdownOutput();
            assertThat(socket.getInputStream().readAllBytes()).isEqualTo(ascii("done"));
            assertThat(server.awaitEnded(1, WAIT).get(0).bytesReceived()).isEqualTo(7);
        }
    }

    @Test
    void udpEchoSinkAndSource() throws Exception {
        try (UdpServer echo = UdpServer.echo(); UdpServer sink = UdpServer.sink(); UdpServer source = UdpServer.source(3, 100);
             DatagramSocket socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            socket.setSoTimeout(10_000);
            socket.send(new DatagramPacket(ascii("ping"), 4, echo.address()));
            DatagramPacket reply = new DatagramPacket(new byte[100], 100);
            socket.receive(reply);
            assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.US_ASCII)).isEqualTo("ping");

            socket.send(new DatagramPacket(ascii("abc"), 3, sink.address()));
            assertThat(sink.awaitReceived(1, WAIT).get(0).text()).isEqualTo("abc");
            assertThat(sink.awaitReceived(1, WAIT).get(0).sender()).isEqualTo(socket.getLocalSocketAddress());
            assertThat(sink.bytesReceived()).isEqualTo(3);

            socket.send(new DatagramPacket(new byte[1], 1, source.address()));
            for (int k = 0; k < 3; k++) {
                DatagramPacket packet = new DatagramPacket(new byte[200], 200);
                socket.receive(packet);
                assertThat(packet.getLength()).isEqualTo(100);
                assertThat(TestBytes.firstMismatch(java.util.Arrays.copyOf(packet.getData(), 100), k * 100L)).isEqualTo(-1);
            }
        }
    }

    @Test
    void socks5Client_greetingByNameAndByAddress() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            try (Socks5Client client = Socks5Client.open(proxy.socks5Address())) {
                assertThat(client.greet(Socks5Client.NO_AUTHENTICATION, Socks5Client.USERNAME_PASSWORD)).isZero();
                Socks5Client.Reply reply = client.connect("echo.test", echo.port());
                assertThat(reply.succeeded()).isTrue();
                assertThat(reply.bound().getAddress()).isEqualTo(LOOPBACK);
                client.send(1, 2, 255);
                assertThat(client.read(3)).containsExactly(1, 2, 255);
            }
            try (Socks5Client client = Socks5Client.open(proxy.socks5Address())) {
                client.noAuth().sendRequest(Socks5Client.CONNECT, "127.0.0.1", echo.port());
                assertThat(client.readReply().rep()).isZero();
                client.socket().shutdownOutput();
                assertThat(client.readToEnd()).isEmpty();
            }
        }
        assertThat(proxy.awaitSessions(2, WAIT)).extracting(s -> s.targetHost()).containsExactlyInAnyOrder("echo.test", "127.0.0.1");
    }

    @Test
    void socks5Client_bind_twoReplies_thenTheTunnel() throws Exception {
        try (Socks5Client client = Socks5Client.open(proxy.socks5Address())) {
            Socks5Client.Reply listening = client.noAuth().bind(new InetSocketAddress(LOOPBACK, 0));
            assertThat(listening.succeeded()).isTrue();
            try (Socket peer = connect(listening.bound())) {
                Socks5Client.Reply accepted = client.readReply();
                assertThat(accepted.bound()).isEqualTo(peer.getLocalSocketAddress());
                client.send(ascii("up"));
                assertThat(peer.getInputStream().readNBytes(2)).isEqualTo(ascii("up"));
            }
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(proxy.awaitSessions(1, WAIT).get(0).command()).isEqualTo(Command.BIND);
    }

    @Test
    void socks5Client_udpAssociate_datagramsEncodedAndDecoded() throws Exception {
        try (UdpServer echo = UdpServer.echo(); Socks5Client control = Socks5Client.open(proxy.socks5Address());
             DatagramSocket udp = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            udp.setSoTimeout(10_000);
            Socks5Client.Reply relay = control.noAuth().udpAssociate((InetSocketAddress) udp.getLocalSocketAddress());
            assertThat(relay.succeeded()).isTrue();
            udp.send(Socks5Datagram.to("echo.test", echo.port(), ascii("by name")).packet(relay.bound()));
            DatagramPacket packet = new DatagramPacket(new byte[1024], 1024);
            udp.receive(packet);
            Socks5Datagram answer = Socks5Datagram.decode(packet);
            assertThat(answer.text()).isEqualTo("by name");
            assertThat(answer.fragment()).isZero();
            assertThat(answer.address()).isEqualTo(echo.address());
            assertThat(echo.awaitReceived(1, WAIT).get(0).text()).isEqualTo("by name");
        }
        assertThat(proxy.awaitSessions(1, WAIT).get(0).command()).isEqualTo(Command.UDP_ASSOCIATE);
    }

    @Test
    void socks4Client_connectByAddressAndByName_andBind() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            try (Socks4Client client = Socks4Client.open(proxy.socks5Address())) {
                assertThat(client.connect(LOOPBACK, echo.port(), "user").granted()).isTrue();
                client.send(9);
                assertThat(client.read(1)).containsExactly(9);
            }
            try (Socks4Client client = Socks4Client.open(proxy.socks5Address())) {
                assertThat(client.connect("echo.test", echo.port(), "").code()).isEqualTo(Socks4Client.GRANTED);
            }
        }
        try (Socks4Client client = Socks4Client.open(proxy.socks5Address())) {
            Socks4Client.Reply listening = client.bind(LOOPBACK, 0, "");
            assertThat(listening.granted()).isTrue();
            try (Socket peer = connect(listening.address())) {
                assertThat(client.readReply().granted()).isTrue();
                peer.getOutputStream().write(5);
                assertThat(client.read(1)).containsExactly(5);
            }
        }
        try (Socks4Client client = Socks4Client.open(proxy.socks5Address())) {
            assertThatThrownBy(() -> client.connect(InetAddress.getByName("::1"), 1, ""))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("address: /0:0:0:0:0:0:0:1 (expected: IPv4; SOCKS4 has no IPv6)");
        }
    }

    @Test
    void rawHttpClient_forwardWithChunkedBody_andConnectTunnel() throws Exception {
        try (TestOrigin origin = new TestOrigin(); TcpServer echo = TcpServer.echo()) {
            try (RawHttpClient client = RawHttpClient.open(proxy.httpAddress())) {
                client.send("GET " + origin.uri("/chunked") + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                RawHttpClient.Response response = client.response();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("Transfer-Encoding")).isEqualToIgnoringCase("chunked");
                assertThat(response.text()).isEqualTo("first second");
                client.send("HEAD " + origin.uri("/hello") + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                assertThat(client.response(true).body()).isEmpty();
            }
            try (RawHttpClient client = RawHttpClient.open(proxy.httpAddress())) {
                assertThat(client.connect("127.0.0.1:" + echo.port()).status()).isEqualTo(200);
                client.send("tunnelled");
                assertThat(client.read(9)).isEqualTo(ascii("tunnelled"));
            }
        }
        assertThat(proxy.awaitSessions(3, WAIT)).extracting(s -> s.outcome()).containsOnly(Outcome.OK);
    }

    @Test
    void rawClients_readWhatTheWireSays_versionAndReservedByte() throws Exception {
        try (TcpServer origin = TcpServer.replyAfterEof(ascii("HTTP/1.0 204 No Content\r\n\r\n"));
             RawHttpClient client = RawHttpClient.open(origin.address())) {
            client.socket().shutdownOutput();
            RawHttpClient.Response response = client.response();
            assertThat(response.version()).isEqualTo("HTTP/1.0");
            assertThat(response.status()).isEqualTo(204);
        }
        try (TcpServer fakeProxy = TcpServer.replyAfterEof(new byte[] {5, 0, 1, 1, 127, 0, 0, 1, 0, 80});
             Socks5Client client = Socks5Client.open(fakeProxy.address())) {
            client.socket().shutdownOutput();
            assertThatThrownBy(client::readReply).isInstanceOf(AssertionError.class)
                    .hasMessage("RSV 0x1 (expected: 0x00)");
        }
    }

    @Test
    void closedByPeer_aPeerThatStaysOpenPastTheReadTimeout_isNotClosed() throws Exception {
        try (TcpServer sink = TcpServer.sink(); RawHttpClient client = RawHttpClient.open(sink.address())) {
            client.socket().setSoTimeout(200);
            assertThat(client.closedByPeer()).isFalse();
            sink.close();
            client.socket().setSoTimeout(10_000);
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void nettyProxyClient_throughNettysSocks5AndHttpHandlers_andAFailedHandshake() throws Exception {
        try (TcpServer echo = TcpServer.echo(); NettyProxyClient netty = NettyProxyClient.create(1)) {
            byte[] data = TestBytes.random(200_000, 3);
            assertThat(netty.echo(new Socks5ProxyHandler(proxy.socks5Address()),
                    InetSocketAddress.createUnresolved("echo.test", echo.port()), data).get(20, TimeUnit.SECONDS))
                    .isEqualTo(data);
            assertThat(netty.echo(new HttpProxyHandler(proxy.httpAddress()),
                    InetSocketAddress.createUnresolved("echo.test", echo.port()), ascii("via http"))
                    .get(20, TimeUnit.SECONDS)).isEqualTo(ascii("via http"));
            proxy.faults().refuse(Refusal.CONNECTION_REFUSED);
            assertThat(netty.echo(new Socks5ProxyHandler(proxy.socks5Address()), echo.address(), data))
                    .failsWithin(20, TimeUnit.SECONDS).withThrowableThat()
                    .withCauseInstanceOf(ProxyConnectException.class);
        }
        assertThatThrownBy(() -> NettyProxyClient.create(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads: 0 (expected: >= 1)");
    }

    @Test
    void testCertificate_servesAnHttpsProxy_trustedByItsOwnContext(@TempDir Path dir) throws Exception {
        TestCertificate certificate = TestCertificate.generate(dir);
        assertThat(certificate.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=127.0.0.1");
        try (TcpServer echo = TcpServer.echo();
             ProxyManager https = ProxyManager.builder().http(0)
                     .tls("http", certificate.certificatePem(), certificate.privateKeyPem()).start();
             SSLSocket socket = (SSLSocket) certificate.trustingContext().getSocketFactory()
                     .createSocket(https.address("http").getAddress(), https.address("http").getPort())) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(ascii("CONNECT 127.0.0.1:" + echo.port() + " HTTP/1.1\r\nHost: x\r\n\r\n"));
            String head = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(head).isEqualTo("HTTP/1.1 200");
        }
    }

    @Test
    void testBytes_patternIsDeterministicAndOffsetsShow() {
        assertThat(TestBytes.pattern(1000, 16)).isEqualTo(TestBytes.pattern(1000, 16));
        assertThat(TestBytes.firstMismatch(TestBytes.pattern(256, 64), 0)).isNotEqualTo(-1);
        assertThat(TestBytes.firstMismatch(TestBytes.pattern(256, 64), 256)).isEqualTo(-1);
        assertThat(TestBytes.random(32, 7)).isEqualTo(TestBytes.random(32, 7)).isNotEqualTo(TestBytes.random(32, 8));
    }
}
