package dev.sallyport.http;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.TestCertificate;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSocket;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TLS on the proxy listener itself (an HTTPS proxy), with a certificate generated at test time. */
@Timeout(120)
class HttpsProxyTest {

    @TempDir
    static Path dir;
    private static TestCertificate certificate;

    @BeforeAll
    static void generateCertificate() {
        certificate = TestCertificate.generate(dir);
    }

    private static SSLSocket tlsClient(InetSocketAddress proxy) throws Exception {
        SSLSocket socket = (SSLSocket) certificate.trustingContext().getSocketFactory()
                .createSocket(proxy.getAddress(), proxy.getPort());
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    @Test
    void keyStore_connectThroughTheTlsListener_tunnels() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().http(0).tls("http", certificate.keyStore(), certificate.password()).start();
             SSLSocket socket = tlsClient(proxy.address("http"))) {
            OutputStream out = socket.getOutputStream();
            out.write(("CONNECT 127.0.0.1:" + echo.port() + " HTTP/1.1\r\nHost: 127.0.0.1:" + echo.port() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String head = readHead(socket.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 200");
            out.write("secret payload".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(socket.getInputStream().readNBytes(14)).isEqualTo("secret payload".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void pemFiles_curlHttpsProxy_forwardsAndTunnels() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is not installed: skipping");
        com.sun.net.httpserver.HttpServer origin = com.sun.net.httpserver.HttpServer.create(
                new InetSocketAddress("127.0.0.1", 0), 0);
        origin.createContext("/", exchange -> {
            byte[] body = "via https proxy\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        origin.start();
        try (ProxyManager proxy = ProxyManager.builder().http(0).tls("http", certificate.certificatePem(), certificate.privateKeyPem()).start()) {
            String url = "http://127.0.0.1:" + origin.getAddress().getPort() + "/";
            String proxyUrl = "https://127.0.0.1:" + proxy.address("http").getPort();
            assertThat(curl("--proxy", proxyUrl, "--proxy-insecure", url)).isEqualTo("via https proxy\n");
            assertThat(curl("--proxy", proxyUrl, "--proxy-insecure", "--proxytunnel", url)).isEqualTo("via https proxy\n");
        } finally {
            origin.stop(0);
        }
    }

    @Test
    void plaintextClientOnTheTlsListener_isClosed_andTheListenerKeepsServing() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().http(0).tls("http", certificate.keyStore(), certificate.password()).start()) {
            try (java.net.Socket plain = new java.net.Socket()) {
                plain.connect(proxy.address("http"), 5000);
                plain.setSoTimeout(10_000);
                plain.getOutputStream().write("CONNECT 127.0.0.1:1 HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] rest = plain.getInputStream().readAllBytes();
                assertThat(new String(rest, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1");
            } catch (java.net.SocketException reset) {
                // A reset is a close too.
            }
            try (SSLSocket socket = tlsClient(proxy.address("http"))) {
                socket.getOutputStream().write(("CONNECT 127.0.0.1:" + echo.port() + " HTTP/1.1\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(readHead(socket.getInputStream())).startsWith("HTTP/1.1 200");
            }
        }
    }

    @Test
    void tlsForAnUnknownListener_failsStart() {
        assertThatThrownBy(() -> ProxyManager.builder().http(0).tls("socks5", certificate.certificatePem(), certificate.privateKeyPem()).start())
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("tls: no listener named 'socks5'");
        assertThatThrownBy(() -> ProxyManager.builder().tls("http", dir.resolve("missing.pem"), certificate.privateKeyPem()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("certificateChainPem: ");
    }

    private static String curl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(err).isZero();
        return out;
    }

    private static String readHead(InputStream in) throws Exception {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        return head.toString();
    }
}
