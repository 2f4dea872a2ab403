package dev.sallyport.http;

import dev.sallyport.core.ProxyManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Over the total connection cap, a client is refused with 429, the protocol's "not now", never a 502. */
@Timeout(30)
class HttpTotalCapTest {

    private static String connect(Socket client, int port) throws IOException {
        client.setSoTimeout(10_000);
        client.getOutputStream().write(("CONNECT 127.0.0.1:" + port + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        InputStream in = client.getInputStream();
        StringBuilder status = new StringBuilder();
        for (int b = in.read(); b >= 0 && b != '\r'; b = in.read()) {
            status.append((char) b);
        }
        return status.toString();
    }

    @Test
    void maxConnections_theConnectionOverTheCapGets429() throws IOException {
        ProxyManager proxy = ProxyManager.builder().http(0).maxConnections(1).start();
        try (ServerSocket target = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
             Socket first = new Socket()) {
            InetSocketAddress address = proxy.address("http");
            first.connect(address, 5000);
            assertThat(connect(first, target.getLocalPort())).isEqualTo("HTTP/1.1 200 Connection established");
            try (Socket second = new Socket()) {
                second.connect(address, 5000);
                assertThat(connect(second, target.getLocalPort())).startsWith("HTTP/1.1 429 ");
            }
        } finally {
            proxy.close(Duration.ZERO); // the tunnel to a target that never reads would drain for 30 s
        }
    }
}
