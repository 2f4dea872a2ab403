package dev.sallyport.http;

import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.RawConnection;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks4Client;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One port for every protocol (issue 4): SOCKS5, SOCKS4 and HTTP clients on {@code mixed(0)} at
 * the same time, each handed to its frontend by its first byte.
 */
@Timeout(60)
class MixedPortTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static Socks5Client socks5(InetSocketAddress proxy, int port) throws IOException {
        Socks5Client client = Socks5Client.open(proxy);
        assertThat(client.noAuth().connect("127.0.0.1", port).rep()).as("SOCKS5 REP").isZero();
        return client;
    }

    private static Socks4Client socks4(InetSocketAddress proxy, int port) throws IOException {
        Socks4Client client = Socks4Client.open(proxy);
        assertThat(client.connect(InetAddress.getLoopbackAddress(), port, "u").code()).as("SOCKS4 CD").isEqualTo(90);
        return client;
    }

    private static RawHttpClient httpConnect(InetSocketAddress proxy, int port) throws IOException {
        RawHttpClient client = RawHttpClient.open(proxy);
        client.send("CONNECT 127.0.0.1:" + port + " HTTP/1.1\r\n\r\n");
        byte[] expected = "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(client.read(expected.length)).isEqualTo(expected);
        return client;
    }

    private static String echo(RawConnection connection, String message) throws IOException {
        connection.send(message.getBytes(StandardCharsets.UTF_8));
        return new String(connection.read(message.length()), StandardCharsets.UTF_8);
    }

    @Test
    void socks5Socks4AndHttp_onOnePort_atOnce() throws Exception {
        SessionRecorder metrics = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo(); TestOrigin origin = new TestOrigin();
             ProxyManager proxy = ProxyManager.builder().mixed(0).metrics(metrics).start()) {
            InetSocketAddress address = proxy.address("mixed");
            try (Socks5Client five = socks5(address, echo.port());
                 Socks4Client four = socks4(address, echo.port());
                 RawHttpClient http = httpConnect(address, echo.port());
                 // The JDK's own SOCKS client on the same port.
                 Socket jdk = new Socket(new Proxy(Proxy.Type.SOCKS, address))) {
                jdk.setSoTimeout(10_000);
                jdk.connect(echo.address(), 5000);

                // All four tunnels are open at once; each carries its own bytes.
                assertThat(echo(five, "via socks5")).isEqualTo("via socks5");
                assertThat(echo(four, "via socks4")).isEqualTo("via socks4");
                assertThat(echo(http, "via http connect")).isEqualTo("via http connect");
                jdk.getOutputStream().write("via the jdk".getBytes(StandardCharsets.UTF_8));
                assertThat(jdk.getInputStream().readNBytes(11)).isEqualTo("via the jdk".getBytes(StandardCharsets.UTF_8));

                // And a forwarded HTTP request on a fifth connection meanwhile.
                try (RawHttpClient client = RawHttpClient.open(address)) {
                    client.send("GET http://127.0.0.1:" + origin.port() + "/mixed HTTP/1.1\r\nHost: x\r\n\r\n");
                    RawHttpClient.Response response = client.response();
                    assertThat(response.status()).isEqualTo(200);
                    assertThat(response.text()).isEqualTo("hello");
                }
            }
            List<Protocol> protocols = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                SessionSummary summary = metrics.takeSession(WAIT);
                protocols.add(summary.protocol());
            }
            assertThat(protocols).containsExactlyInAnyOrder(Protocol.SOCKS5, Protocol.SOCKS4, Protocol.HTTP,
                    Protocol.SOCKS5, Protocol.HTTP);
        }
    }
}
