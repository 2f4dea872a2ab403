package dev.sallyport.socks5;

import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.testkit.NettyProxyClient;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks4Client;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.TestBytes;
import io.netty.handler.proxy.Socks4ProxyHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** SOCKS4 and SOCKS4a on the SOCKS5 port, and one mixed port serving several protocols at once. */
@Timeout(60)
class Socks4Test {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    @RegisterExtension
    static NettyProxyClient clients = NettyProxyClient.create(1);
    private static final Resolver RESOLVER = Resolver.fixed(Map.of("echo.test", List.of(InetAddress.getLoopbackAddress())));

    @Test
    void socks4_ipv4Connect_granted_andTunnels() throws Exception {
        SessionRecorder metrics = new SessionRecorder();
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).metrics(metrics).start();
             Socks4Client client = Socks4Client.open(proxy.address("socks5"))) {
            assertThat(client.connect(LOOPBACK, echo.port(), "fred").code()).isEqualTo(0x5A);
            client.send("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.read(4)).isEqualTo("ping".getBytes(StandardCharsets.US_ASCII));
        }
        SessionSummary summary = metrics.takeSession(WAIT);
        assertThat(summary.protocol()).isEqualTo(Protocol.SOCKS4);
        assertThat(summary.outcome()).isEqualTo(Outcome.OK);
    }

    @Test
    void socks4_refusedPort_rejected5B() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).start();
             Socks4Client client = Socks4Client.open(proxy.address("socks5"))) {
            assertThat(client.connect(LOOPBACK, closed, "").code()).isEqualTo(0x5B);
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void socks4_whenAuthenticationIsOn_rejected5B_becauseItCannotCarryAPassword() throws Exception {
        SessionRecorder metrics = new SessionRecorder();
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).user("alice", "pw").metrics(metrics).start();
             Socks4Client client = Socks4Client.open(proxy.address("socks5"))) {
            assertThat(client.connect(LOOPBACK, echo.port(), "alice").code()).isEqualTo(0x5B);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(metrics.takeSession(WAIT).outcome()).isEqualTo(Outcome.AUTH_FAILED);
    }

    @Test
    void socks4_userIdWithoutTerminator_rejected5B() throws Exception {
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).start();
             Socks4Client client = Socks4Client.open(proxy.address("socks5"))) {
            byte[] head = {4, 1, 0, 80, 127, 0, 0, 1};
            client.send(head);
            client.send("x".repeat(300).getBytes(StandardCharsets.US_ASCII));
            assertThat(client.readReply().code()).isEqualTo(0x5B);
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void socks4a_byName_throughNettysSocks4ProxyHandler() throws Exception {
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).resolver(RESOLVER).start()) {
            byte[] data = TestBytes.random(100_000, 4);
            assertThat(clients.echo(new Socks4ProxyHandler(proxy.address("socks5")),
                    InetSocketAddress.createUnresolved("echo.test", echo.port()), data).get(20, TimeUnit.SECONDS))
                    .isEqualTo(data);
        }
    }

    @Test
    void mixedPort_socks5AndSocks4ClientsAtOnce() throws Exception {
        SessionRecorder metrics = new SessionRecorder();
        try (ProxyManager proxy = ProxyManager.builder().mixed(0).metrics(metrics).start()) {
            InetSocketAddress address = proxy.address("mixed");
            try (Socket socks5 = new Socket(new Proxy(Proxy.Type.SOCKS, address));
                 Socks4Client socks4 = Socks4Client.open(address)) {
                socks5.connect(echo.address(), 5000);
                assertThat(socks4.connect(LOOPBACK, echo.port(), "").code()).isEqualTo(0x5A);
                socks5.getOutputStream().write("five".getBytes(StandardCharsets.US_ASCII));
                socks4.send("four".getBytes(StandardCharsets.US_ASCII));
                assertThat(socks5.getInputStream().readNBytes(4)).isEqualTo("five".getBytes(StandardCharsets.US_ASCII));
                assertThat(socks4.read(4)).isEqualTo("four".getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(List.of(metrics.takeSession(WAIT).protocol(), metrics.takeSession(WAIT).protocol()))
                    .containsExactlyInAnyOrder(Protocol.SOCKS5, Protocol.SOCKS4);
        }
    }

    @Test
    void mixedPort_unclaimedFirstByte_socks5RefusesIt_andKeepsServing() throws IOException {
        try (ProxyManager proxy = ProxyManager.builder().mixed(0).start()) {
            try (Socks5Client client = Socks5Client.open(proxy.address("mixed"))) {
                client.send(0x16, 3, 1);
                assertThat(client.read(2)).containsExactly(5, 0xff);
                assertThat(client.closedByPeer()).isTrue();
            }
            try (Socks5Client client = Socks5Client.open(proxy.address("mixed"))) {
                assertThat(client.noAuth().connect("127.0.0.1", echo.port()).rep()).isZero();
            }
        }
    }
}
