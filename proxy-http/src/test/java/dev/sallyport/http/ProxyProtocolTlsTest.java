package dev.sallyport.http;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.ProxyProtocolMode;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.TestCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An HTTPS proxy behind a balancer: the PROXY header comes in plaintext before the client's TLS
 * (HAProxy {@code send-proxy-v2} in TCP mode), and the session's client is the header's.
 */
@Timeout(60)
class ProxyProtocolTlsTest {

    @Test
    void tlsListener_headerBeforeTheHandshake_isTheClient(@TempDir Path dir) throws Exception {
        TestCertificate certificate = TestCertificate.generate(dir);
        SessionRecorder recorder = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyProtocolTest.onLoopback(ProxyManager.builder().http(0).metrics(recorder))
                     .tls("http", certificate.keyStore(), certificate.password())
                     .proxyProtocol("http", ProxyProtocolMode.REQUIRED, "127.0.0.2").start();
             Socket plain = ProxyProtocolTest.from("127.0.0.2", proxy.address("http"))) {
            plain.getOutputStream().write(ProxyProtocolTest.v2(1, 0x11, "203.0.113.9", "192.0.2.1", 4433, 443));
            InetSocketAddress address = proxy.address("http");
            try (SSLSocket tls = (SSLSocket) certificate.trustingContext().getSocketFactory()
                    .createSocket(plain, address.getHostString(), address.getPort(), true)) {
                tls.startHandshake();
                tls.getOutputStream().write(("CONNECT 127.0.0.1:" + echo.port() + " HTTP/1.1\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                byte[] expected = "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                assertThat(tls.getInputStream().readNBytes(expected.length)).isEqualTo(expected);
                assertThat(ProxyProtocolTest.echo(tls, "over tls")).isEqualTo("over tls");
            }
            assertThat(recorder.takeSession(Duration.ofSeconds(10)).client())
                    .isEqualTo(new InetSocketAddress("203.0.113.9", 4433));
        }
    }
}
