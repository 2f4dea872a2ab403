package dev.sallyport.server;

import dev.sallyport.api.LiveSession;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /sessions} on the metrics port: what it lists, how it closes, and the guards of an admin
 * endpoint (token, loopback, Host against DNS rebinding, no browser requests, no GET side effects).
 */
@Timeout(60)
class SessionsEndpointTest {

    private static final byte[] TOKEN = "s3cret-token".getBytes(StandardCharsets.UTF_8);

    private final TcpServer echo = TcpServer.echo();
    private ProxyManager proxy;
    private Socks5Client tunnel;
    private long id;
    private MetricsServer server;

    @BeforeEach
    void openATunnel() throws IOException {
        proxy = ProxyManager.builder().socks5(0).start();
        tunnel = Socks5Client.open(proxy.address("socks5"));
        tunnel.noAuth();
        assertThat(tunnel.connect(echo.address()).succeeded()).isTrue();
        id = proxy.sessions().get(0).id();
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        tunnel.close();
        proxy.close(Duration.ZERO);
        echo.close();
    }

    private void serve(byte[] token, boolean loopback, boolean attached) {
        SessionsEndpoint sessions = new SessionsEndpoint(token, loopback);
        if (attached) {
            sessions.attach(proxy);
        }
        server = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Health.serving(() -> true), token, MetricsServer.REQUEST_TIMEOUT,
                sessions);
    }

    /** Sends {@code method path} with {@code headers} (each "Name: value"); returns the whole response. */
    private String send(String method, String path, String... headers) throws IOException {
        StringBuilder request = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        boolean host = false;
        for (String header : headers) {
            request.append(header).append("\r\n");
            host |= header.regionMatches(true, 0, "Host:", 0, 5);
        }
        if (!host) {
            request.append("Host: 127.0.0.1:").append(server.address().getPort()).append("\r\n");
        }
        request.append("Connection: close\r\n\r\n");
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.address().getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private boolean stillOpen() {
        return proxy.sessions().stream().mapToLong(LiveSession::id).anyMatch(open -> open == id);
    }

    @Test
    void get_listsTheOpenSessions_asJson_orAsATableForTextPlain() throws IOException {
        serve(null, true, true);
        String json = send("GET", "/sessions");
        assertThat(json).startsWith("HTTP/1.1 200 OK").contains("content-type: application/json")
                .contains("{\"sessions\":[{\"id\":" + id + ",\"protocol\":\"socks5\",\"command\":\"CONNECT\"")
                .contains("\"targetHost\":\"127.0.0.1\",\"targetPort\":" + echo.port())
                .contains("\"user\":null").contains("\"route\":\"direct\"");
        String table = send("GET", "/sessions", "Accept: text/plain");
        assertThat(table).startsWith("HTTP/1.1 200 OK").contains("ID ").contains("TARGET")
                .containsPattern("\\n" + id + " +socks5 +connect +127\\.0\\.0\\.1:\\d+ +- +127\\.0\\.0\\.1:" + echo.port());
        assertThat(stillOpen()).isTrue();
    }

    @Test
    void delete_closesTheSession_anUnknownIdIs404_andABadOneIs400() throws IOException {
        serve(null, true, true);
        assertThat(send("DELETE", "/sessions/" + id)).startsWith("HTTP/1.1 200 OK").endsWith("closed " + id + "\n");
        assertThat(tunnel.in().read()).as("the client sees the end").isEqualTo(-1);
        assertThat(send("DELETE", "/sessions/" + Long.MAX_VALUE)).startsWith("HTTP/1.1 404 ");
        assertThat(send("DELETE", "/sessions/x1")).startsWith("HTTP/1.1 400 ");
    }

    @Test
    void otherMethods_areRefused_andChangeNothing() throws IOException {
        serve(null, true, true);
        assertThat(send("GET", "/sessions/" + id)).startsWith("HTTP/1.1 405 ").contains("allow: DELETE");
        assertThat(send("POST", "/sessions/" + id, "Content-Length: 0")).startsWith("HTTP/1.1 405 ");
        assertThat(send("DELETE", "/sessions")).startsWith("HTTP/1.1 405 ").contains("allow: GET, HEAD");
        assertThat(send("OPTIONS", "/sessions/" + id)).startsWith("HTTP/1.1 405 ");
        assertThat(stillOpen()).isTrue();
    }

    @Test
    void requestsFromWebPages_areRefused() throws IOException {
        serve(null, true, true);
        assertThat(send("DELETE", "/sessions/" + id, "Origin: http://127.0.0.1:8000")).startsWith("HTTP/1.1 403 ");
        assertThat(send("GET", "/sessions", "Origin: null")).startsWith("HTTP/1.1 403 ");
        assertThat(stillOpen()).isTrue();
    }

    @Test
    void withoutAToken_aHostNamedByName_isRefused_againstDnsRebinding() throws IOException {
        serve(null, true, true);
        assertThat(send("DELETE", "/sessions/" + id, "Host: attacker.example:9090")).startsWith("HTTP/1.1 403 ");
        assertThat(send("GET", "/sessions", "Host: attacker.example")).startsWith("HTTP/1.1 403 ")
                .doesNotContain("127.0.0.1:" + echo.port());
        assertThat(stillOpen()).isTrue();
        assertThat(send("GET", "/sessions", "Host: localhost:9090")).startsWith("HTTP/1.1 200 ");
        assertThat(send("GET", "/sessions", "Host: [::1]:9090")).startsWith("HTTP/1.1 200 ");
    }

    @Test
    void withoutAToken_beyondLoopback_isRefused() throws IOException {
        serve(null, false, true);
        assertThat(send("GET", "/sessions")).startsWith("HTTP/1.1 403 ").contains("--metrics-token-file");
        assertThat(send("DELETE", "/sessions/" + id)).startsWith("HTTP/1.1 403 ");
        assertThat(stillOpen()).isTrue();
    }

    @Test
    void withAToken_everyRequestNeedsIt() throws IOException {
        serve(TOKEN, false, true);
        assertThat(send("GET", "/sessions")).startsWith("HTTP/1.1 401 ").contains("www-authenticate: Bearer");
        assertThat(send("DELETE", "/sessions/" + id, "Authorization: Bearer wrong")).startsWith("HTTP/1.1 401 ");
        assertThat(stillOpen()).isTrue();
        assertThat(send("GET", "/sessions", "Authorization: Bearer s3cret-token", "Host: proxy.example:9090"))
                .startsWith("HTTP/1.1 200 ");
        assertThat(send("DELETE", "/sessions/" + id, "Authorization: Bearer s3cret-token")).startsWith("HTTP/1.1 200 ");
        assertThat(tunnel.in().read()).isEqualTo(-1);
    }

    @Test
    void beforeTheProxyRuns_answers503() throws IOException {
        serve(null, true, false);
        assertThat(send("GET", "/sessions")).startsWith("HTTP/1.1 503 ");
    }

    @Test
    void hostCheck_acceptsAddressesAndLocalhostOnly() {
        assertThat(SessionsEndpoint.isAddressOrLocalhost("127.0.0.1:9090")).isTrue();
        assertThat(SessionsEndpoint.isAddressOrLocalhost("LOCALHOST")).isTrue();
        assertThat(SessionsEndpoint.isAddressOrLocalhost("[::1]")).isTrue();
        assertThat(SessionsEndpoint.isAddressOrLocalhost("localhost.attacker.example")).isFalse();
        assertThat(SessionsEndpoint.isAddressOrLocalhost("127.0.0.1.nip.io:9090")).isFalse();
        assertThat(SessionsEndpoint.isAddressOrLocalhost("[::1")).isFalse();
    }
}
