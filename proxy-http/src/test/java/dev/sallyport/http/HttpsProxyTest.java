package dev.sallyport.http;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.testing.EchoServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TLS on the proxy listener itself (an HTTPS proxy), with a certificate generated at test time. */
@Timeout(120)
class HttpsProxyTest {

    private static final char[] PASSWORD = "changeit".toCharArray();

    @TempDir
    static Path dir;
    private static KeyStore keyStore;
    private static Path certPem;
    private static Path keyPem;

    /** A self-signed RSA certificate for 127.0.0.1 made with the JDK's keytool, also written as PEM files. */
    @BeforeAll
    static void generateCertificate() throws Exception {
        Path store = dir.resolve("proxy.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "proxy", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(output).isZero();
        keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(store.toFile())) {
            keyStore.load(in, PASSWORD);
        }
        PrivateKey key = (PrivateKey) keyStore.getKey("proxy", PASSWORD);
        Certificate cert = keyStore.getCertificate("proxy");
        Base64.Encoder mime = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        certPem = Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\n"
                + mime.encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        keyPem = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + mime.encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
    }

    private static SSLSocket tlsClient(InetSocketAddress proxy) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                // The test's own self-signed certificate.
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(proxy.getAddress(), proxy.getPort());
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    @Test
    void keyStore_connectThroughTheTlsListener_tunnels() throws Exception {
        try (EchoServer echo = EchoServer.echo();
             ProxyManager proxy = ProxyManager.builder().http(0).tls("http", keyStore, PASSWORD).start();
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
        try (ProxyManager proxy = ProxyManager.builder().http(0).tls("http", certPem, keyPem).start()) {
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
        try (EchoServer echo = EchoServer.echo();
             ProxyManager proxy = ProxyManager.builder().http(0).tls("http", keyStore, PASSWORD).start()) {
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
        assertThatThrownBy(() -> ProxyManager.builder().http(0).tls("socks5", certPem, keyPem).start())
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("tls: no listener named 'socks5'");
        assertThatThrownBy(() -> ProxyManager.builder().tls("http", dir.resolve("missing.pem"), keyPem))
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
