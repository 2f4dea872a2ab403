package dev.sallyport.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The metrics port on its own event loop: request deadlines, the bearer token, and what it answers. */
@Timeout(60)
class MetricsServerTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private MetricsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private String base(byte[] token, Duration requestTimeout) {
        Counter.builder("proxy.test").register(registry).increment();
        server = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), registry, Health.serving(() -> true),
                token, requestTimeout, null);
        return "http://127.0.0.1:" + server.address().getPort();
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Socket halfRequest(String base) throws IOException {
        URI uri = URI.create(base);
        Socket socket = new Socket(uri.getHost(), uri.getPort());
        socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    @Test
    void halfARequestHeldOpen_doesNotDelayOthers() throws Exception {
        String base = base(null, MetricsServer.REQUEST_TIMEOUT);
        try (Socket stalled = halfRequest(base); Socket another = halfRequest(base)) {
            for (int i = 0; i < 3; i++) {
                assertThat(send(HttpRequest.newBuilder(URI.create(base + "/health"))).statusCode()).isEqualTo(200);
                HttpResponse<String> metrics = send(HttpRequest.newBuilder(URI.create(base + "/metrics")));
                assertThat(metrics.statusCode()).isEqualTo(200);
                assertThat(metrics.body()).contains("proxy_test_total 1.0");
            }
        }
    }

    @Test
    void halfARequest_isClosedAtTheRequestDeadline() throws Exception {
        String base = base(null, Duration.ofMillis(200));
        try (Socket stalled = halfRequest(base)) {
            stalled.setSoTimeout(10_000);
            InputStream in = stalled.getInputStream();
            assertThat(in.read()).as("closed without an answer").isEqualTo(-1);
        }
    }

    @Test
    void keepAliveConnection_idleAfterItsAnswer_isClosedAtTheDeadlineToo() throws Exception {
        String base = base(null, Duration.ofMillis(200));
        try (Socket client = new Socket("127.0.0.1", URI.create(base).getPort())) {
            client.setSoTimeout(10_000);
            client.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 200 OK").endsWith("ok\n");
        }
    }

    @Test
    void token_guardsMetricsOnly() throws Exception {
        String base = base("s3cret-token".getBytes(StandardCharsets.UTF_8), MetricsServer.REQUEST_TIMEOUT);
        HttpResponse<String> none = send(HttpRequest.newBuilder(URI.create(base + "/metrics")));
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"sallyport-metrics\"");
        assertThat(none.body()).doesNotContain("proxy_test");
        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/metrics")).header("Authorization", "Bearer s3cret"))
                .statusCode()).isEqualTo(401);
        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/metrics")).header("Authorization", "Basic s3cret-token"))
                .statusCode()).isEqualTo(401);
        HttpResponse<String> authorized = send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                .header("Authorization", "Bearer s3cret-token"));
        assertThat(authorized.statusCode()).isEqualTo(200);
        assertThat(authorized.body()).contains("proxy_test_total");
        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/health"))).statusCode()).isEqualTo(200);
    }

    @Test
    void otherPathsMethodsAndMalformedRequests_getTheirStatus() throws Exception {
        String base = base(null, MetricsServer.REQUEST_TIMEOUT);
        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/"))).statusCode()).isEqualTo(404);
        HttpResponse<String> post = send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")));
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
        HttpResponse<String> head = send(HttpRequest.newBuilder(URI.create(base + "/health"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Length")).hasValue("3");
        assertThat(head.body()).isEmpty();
        try (Socket client = new Socket("127.0.0.1", server.address().getPort())) {
            client.setSoTimeout(10_000);
            client.getOutputStream().write(("GET /health HTTP/1.1\r\nX: " + "a".repeat(10_000) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 400 Bad Request").contains("connection: close");
        }
    }

    @Test
    void start_portInUse_failsNamingTheAddress() {
        base(null, MetricsServer.REQUEST_TIMEOUT);
        InetSocketAddress taken = server.address();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MetricsServer.start(taken, registry, Health.serving(() -> true), null,
                        MetricsServer.REQUEST_TIMEOUT, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("metrics: cannot listen on 127.0.0.1:" + taken.getPort());
    }
}
