package dev.sallyport.socks5;

import dev.sallyport.core.AccessRules;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.ProxyProtocolMode;
import dev.sallyport.testkit.Socks5Datagram;
import dev.sallyport.testkit.UdpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * UDP ASSOCIATE behind a PROXY protocol balancer: a TCP balancer does not carry datagrams, so the
 * association expects them from the client the header named, straight to this instance; the
 * balancer's own address is a stranger to it.
 */
@Timeout(60)
class ProxyProtocolUdpTest {

    @Test
    void udpAssociate_acceptsDatagramsOnlyFromTheHeadersClient() throws Exception {
        try (UdpServer echo = UdpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).allowOpenProxy(true)
                     .accessRule(AccessRules.allowDestinations("127.0.0.0/8")).proxyProtocol("socks5", ProxyProtocolMode.REQUIRED, "127.0.0.2").start();
             Socket control = new Socket();
             DatagramSocket balancer = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.5", 0))) {
            control.bind(new InetSocketAddress("127.0.0.2", 0));
            control.connect(proxy.address("socks5"), 5000);
            control.setSoTimeout(10_000);
            client.setSoTimeout(10_000);
            ByteArrayOutputStream first = new ByteArrayOutputStream();
            first.writeBytes("PROXY TCP4 127.0.0.5 127.0.0.1 40000 1080\r\n".getBytes(StandardCharsets.US_ASCII));
            first.writeBytes(new byte[] {5, 1, 0});
            control.getOutputStream().write(first.toByteArray());
            assertThat(control.getInputStream().readNBytes(2)).containsExactly(5, 0);
            control.getOutputStream().write(new byte[] {5, 3, 0, 1, 0, 0, 0, 0, 0, 0});
            byte[] reply = control.getInputStream().readNBytes(10);
            assertThat(reply[1]).as("REP").isZero();
            InetSocketAddress relay = new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(reply, 4, 8)),
                    ((reply[8] & 0xff) << 8) | (reply[9] & 0xff));

            balancer.send(Socks5Datagram.to(echo.address(), "from the balancer".getBytes(StandardCharsets.UTF_8))
                    .packet(relay));
            client.send(Socks5Datagram.to(echo.address(), "from the client".getBytes(StandardCharsets.UTF_8))
                    .packet(relay));
            byte[] buf = new byte[2048];
            DatagramPacket packet = new DatagramPacket(buf, buf.length);
            client.receive(packet);
            assertThat(Socks5Datagram.decode(packet).text()).isEqualTo("from the client");
            assertThat(echo.awaitReceived(1, Duration.ofSeconds(10))).extracting(UdpServer.Datagram::text)
                    .containsExactly("from the client");
        }
    }
}
