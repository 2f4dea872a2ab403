package dev.sallyport.server;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** /health/live and /health/ready on the metrics port: status codes, and who learns why. */
@Timeout(60)
class HealthEndpointsTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final byte[] TOKEN = "t0ken".getBytes(StandardCharsets.UTF_8);

    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean databaseUp = new AtomicBoolean(true);
    private final Health health = new Health(dev.sallyport.core.Ticker.system(), started::get, draining::get);
    private MetricsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private String start(byte[] token) {
        server = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), health, token, MetricsServer.REQUEST_TIMEOUT, null);
        return "http://127.0.0.1:" + server.address().getPort();
    }

    private void serve() {
        health.watch(() -> CompletableFuture.completedFuture(null),
                () -> CompletableFuture.completedFuture(databaseUp.get()));
        started.set(true);
    }

    private static HttpResponse<String> get(String url, byte[] token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
        if (token != null) {
            request.header("Authorization", "Bearer " + new String(token, StandardCharsets.UTF_8));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void whileStarting_readyIs503_liveAnd_healthAsBefore() throws Exception {
        String base = start(null);

        assertThat(get(base + "/health/live", null).statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get(base + "/health/ready", null);
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).isEqualTo("not ready: starting\n");
        assertThat(get(base + "/health", null).statusCode()).isEqualTo(503);
    }

    @Test
    void serving_readyAndLiveAre200() throws Exception {
        String base = start(null);
        serve();

        HttpResponse<String> ready = get(base + "/health/ready", null);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");
        HttpResponse<String> live = get(base + "/health/live", null);
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.body()).isEqualTo("live\n");
    }

    @Test
    void databaseDown_readyTurns503_whileLiveAndHealthStay200() throws Exception {
        String base = start(null);
        serve();
        databaseUp.set(false);

        await().atMost(Duration.ofSeconds(10)).until(() -> get(base + "/health/ready", null).statusCode() == 503);
        assertThat(get(base + "/health/ready", null).body()).isEqualTo("not ready: auth backend unavailable\n");
        assertThat(get(base + "/health/live", null).statusCode()).isEqualTo(200);
        assertThat(get(base + "/health", null).statusCode()).isEqualTo(200);

        databaseUp.set(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> get(base + "/health/ready", null).statusCode() == 200);
    }

    @Test
    void withAToken_healthStaysOpen_butOnlyTheTokenLearnsWhy() throws Exception {
        String base = start(TOKEN);
        serve();
        draining.set(true);

        HttpResponse<String> stranger = get(base + "/health/ready", null);
        assertThat(stranger.statusCode()).isEqualTo(503);
        assertThat(stranger.body()).isEqualTo("not ready\n");
        HttpResponse<String> operator = get(base + "/health/ready", TOKEN);
        assertThat(operator.statusCode()).isEqualTo(503);
        assertThat(operator.body()).isEqualTo("not ready: draining\n");
        assertThat(get(base + "/metrics", null).statusCode()).isEqualTo(401);
    }

    @Test
    void post_toReady_is405() throws Exception {
        String base = start(null);
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/health/ready"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
    }
}
