package dev.sallyport.http;

import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.testing.EchoServer;
import dev.sallyport.core.testing.RecordingMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One port for every protocol (issue 4): SOCKS5, SOCKS4 and HTTP clients on {@code mixed(0)} at
 * the same time, each handed to its frontend by its first byte.
 */
@Timeout(60)
class MixedPortTest {

    private static byte[] ipv4Port(int port) {
        return new byte[] {(byte) (port >> 8), (byte) port, 127, 0, 0, 1};
    }

    private static Socket socks5(InetSocketAddress proxy, int port) throws IOException {
        Socket socket = open(proxy);
        OutputStream out = socket.getOutputStream();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        out.write(new byte[] {5, 1, 0});
        byte[] method = new byte[2];
        in.readFully(method);
        assertThat(method).containsExactly(5, 0);
        byte[] p = ipv4Port(port);
        out.write(new byte[] {5, 1, 0, 1, p[2], p[3], p[4], p[5], p[0], p[1]});
        byte[] reply = new byte[10];
        in.readFully(reply);
        assertThat(reply[1]).as("SOCKS5 REP").isZero();
        return socket;
    }

    private static Socket socks4(InetSocketAddress proxy, int port) throws IOException {
        Socket socket = open(proxy);
        byte[] p = ipv4Port(port);
        socket.getOutputStream().write(new byte[] {4, 1, p[0], p[1], p[2], p[3], p[4], p[5], 'u', 0});
        byte[] reply = new byte[8];
        new DataInputStream(socket.getInputStream()).readFully(reply);
        assertThat(reply[1]).as("SOCKS4 CD").isEqualTo((byte) 90);
        return socket;
    }

    private static Socket httpConnect(InetSocketAddress proxy, int port) throws IOException {
        Socket socket = open(proxy);
        socket.getOutputStream().write(("CONNECT 127.0.0.1:" + port + " HTTP/1.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        byte[] expected = "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] head = new byte[expected.length];
        new DataInputStream(socket.getInputStream()).readFully(head);
        assertThat(head).isEqualTo(expected);
        return socket;
    }

    private static Socket open(InetSocketAddress proxy) throws IOException {
        Socket socket = new Socket();
        socket.connect(proxy, 5000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static String echo(Socket socket, String message) throws IOException {
        socket.getOutputStream().write(message.getBytes(StandardCharsets.UTF_8));
        byte[] back = new byte[message.length()];
        new DataInputStream(socket.getInputStream()).readFully(back);
        return new String(back, StandardCharsets.UTF_8);
    }

    @Test
    void socks5Socks4AndHttp_onOnePort_atOnce() throws Exception {
        RecordingMetrics metrics = new RecordingMetrics();
        try (EchoServer echo = EchoServer.echo(); TestOrigin origin = new TestOrigin();
             ProxyManager proxy = ProxyManager.builder().mixed(0).metrics(metrics).start()) {
            InetSocketAddress address = proxy.address("mixed");
            List<Socket> open = new ArrayList<>();
            try {
                Socket five = socks5(address, echo.port());
                open.add(five);
                Socket four = socks4(address, echo.port());
                open.add(four);
                Socket http = httpConnect(address, echo.port());
                open.add(http);
                // The JDK's own SOCKS client on the same port.
                Socket jdk = new Socket(new Proxy(Proxy.Type.SOCKS, address));
                open.add(jdk);
                jdk.setSoTimeout(10_000);
                jdk.connect(echo.address(), 5000);

                // All four tunnels are open at once; each carries its own bytes.
                assertThat(echo(five, "via socks5")).isEqualTo("via socks5");
                assertThat(echo(four, "via socks4")).isEqualTo("via socks4");
                assertThat(echo(http, "via http connect")).isEqualTo("via http connect");
                assertThat(echo(jdk, "via the jdk")).isEqualTo("via the jdk");

                // And a forwarded HTTP request on a fifth connection meanwhile.
                try (HttpRawClient client = new HttpRawClient(address)) {
                    client.send("GET http://127.0.0.1:" + origin.port() + "/mixed HTTP/1.1\r\nHost: x\r\n\r\n");
                    HttpRawClient.Response response = client.response();
                    assertThat(response.status()).isEqualTo(200);
                    assertThat(response.text()).isEqualTo("hello");
                }
            } finally {
                for (Socket socket : open) {
                    socket.close();
                }
            }
            List<Protocol> protocols = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                SessionSummary summary = metrics.nextSummary();
                protocols.add(summary.protocol());
            }
            assertThat(protocols).containsExactlyInAnyOrder(Protocol.SOCKS5, Protocol.SOCKS4, Protocol.HTTP,
                    Protocol.SOCKS5, Protocol.HTTP);
        }
    }
}
