package dev.sallyport.server;

import com.sun.net.httpserver.HttpServer;
import dev.sallyport.testkit.TestCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * curl {@code --socks5-hostname} through the standalone server to a loopback HTTP server named
 * {@code localhost} (resolved by the proxy from /etc/hosts). Skipped when curl is missing.
 */
@Timeout(120)
class CurlThroughServerTest {

    private static final String BODY = "hello through sallyport\n";
    private static HttpServer origin;

    @BeforeAll
    static void startOrigin() throws IOException {
        origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        origin.createContext("/", exchange -> {
            byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        origin.start();
    }

    @AfterAll
    static void stopOrigin() {
        origin.stop(0);
    }

    private static Curl.Result curl(String... args) throws IOException, InterruptedException {
        return Curl.run(args);
    }

    @Test
    void curlSocks5Hostname_noAuth_fetchesThePage() throws Exception {
        ServeCommandTest.assumeCurl();
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0")) {
            InetSocketAddress proxy = server.awaitReady().get(0).address();
            Curl.Result result = curl("--socks5-hostname", "127.0.0.1:" + proxy.getPort(),
                    "http://localhost:" + origin.getAddress().getPort() + "/");
            assertThat(result.exit()).as(result.err()).isZero();
            assertThat(result.out()).isEqualTo(BODY);
        }
    }

    @Test
    void curlHttpProxy_forwardAndConnect_withUser() throws Exception {
        ServeCommandTest.assumeCurl();
        try (ServerProcess server = ServerProcess.start("serve", "--http", "0", "--user", "alice:s3cret")) {
            ServerProcess.Listening http = server.awaitReady().get(0);
            assertThat(http.line()).matches("listening http 127\\.0\\.0\\.1:[1-9][0-9]*");
            String proxy = "http://127.0.0.1:" + http.address().getPort();
            String url = "http://127.0.0.1:" + origin.getAddress().getPort() + "/";
            Curl.Result forward = curl("-x", proxy, "--proxy-user", "alice:s3cret", url);
            assertThat(forward.exit()).as(forward.err()).isZero();
            assertThat(forward.out()).isEqualTo(BODY);
            Curl.Result tunnel = curl("-x", proxy, "--proxy-user", "alice:s3cret", "--proxytunnel", url);
            assertThat(tunnel.exit()).as(tunnel.err()).isZero();
            assertThat(tunnel.out()).isEqualTo(BODY);
            Curl.Result refused = curl("-x", proxy, "-o", "/dev/null", "-w", "%{http_code}", url);
            assertThat(refused.out()).isEqualTo("407");
        }
    }

    @Test
    void curlHttpsProxy_withTlsFlags(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        ServeCommandTest.assumeCurl();
        TestCertificate certificate = TestCertificate.generate(dir);
        try (ServerProcess server = ServerProcess.start("serve", "--http", "0", "--tls-cert",
                certificate.certificatePem().toString(), "--tls-key", certificate.privateKeyPem().toString())) {
            ServerProcess.Listening http = server.awaitReady().get(0);
            String proxy = "https://127.0.0.1:" + http.address().getPort();
            String url = "http://127.0.0.1:" + origin.getAddress().getPort() + "/";
            Curl.Result forward = curl("--proxy", proxy, "--proxy-insecure", url);
            assertThat(forward.exit()).as(forward.err()).isZero();
            assertThat(forward.out()).isEqualTo(BODY);
            Curl.Result tunnel = curl("--proxy", proxy, "--proxy-insecure", "--proxytunnel", url);
            assertThat(tunnel.exit()).as(tunnel.err()).isZero();
            assertThat(tunnel.out()).isEqualTo(BODY);
        }
    }

    @Test
    void curlSocks5Hostname_withUser_fetchesThePage_andWrongPasswordFails() throws Exception {
        ServeCommandTest.assumeCurl();
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--user", "alice:wonder land")) {
            InetSocketAddress proxy = server.awaitReady().get(0).address();
            String url = "http://localhost:" + origin.getAddress().getPort() + "/";
            Curl.Result ok = curl("--socks5-hostname", "127.0.0.1:" + proxy.getPort(), "--proxy-user", "alice:wonder land", url);
            assertThat(ok.exit()).as(ok.err()).isZero();
            assertThat(ok.out()).isEqualTo(BODY);

            Curl.Result denied = curl("--socks5-hostname", "127.0.0.1:" + proxy.getPort(), "--proxy-user", "alice:nope", url);
            assertThat(denied.exit()).isNotZero();
            assertThat(server.stderr()).doesNotContain("nope").doesNotContain("wonder land");
        }
    }
}
