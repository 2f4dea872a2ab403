package dev.sallyport.http;

import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.Outcome;
import dev.sallyport.core.ConnectionPools;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.SessionRecorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Origin connection reuse through {@link ConnectionPools#pooled}, counted at the origin. */
@Timeout(60)
class HttpPoolingTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private ScriptedOrigin origin;
    private ProxyManager proxy;
    private SessionRecorder metrics;

    @BeforeEach
    void startOrigin() {
        origin = new ScriptedOrigin();
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close(Duration.ZERO);
        }
        origin.close();
    }

    private InetSocketAddress start(ConnectionPool pool, Consumer<ProxyManager.Builder> config) {
        metrics = new SessionRecorder();
        ProxyManager.Builder builder = ProxyManager.builder().http(0).metrics(metrics).connectionPool(pool)
                .resolver(Resolver.fixed(Map.of("origin.test", List.of(InetAddress.getLoopbackAddress()))));
        config.accept(builder);
        proxy = builder.start();
        return proxy.address("http");
    }

    private InetSocketAddress start(ConnectionPool pool) {
        return start(pool, b -> { });
    }

    private static ConnectionPool pooled() {
        return ConnectionPools.pooled(4, Duration.ofSeconds(60));
    }

    private String get(String path) {
        return "GET http://origin.test:" + origin.port() + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    private String post(String path, String body) {
        return "POST http://origin.test:" + origin.port() + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: "
                + body.length() + "\r\n\r\n" + body;
    }

    @Test
    void nRequestsFromOneClientConnection_reachTheOriginOverOneConnection() throws Exception {
        InetSocketAddress address = start(pooled());
        try (RawHttpClient client = RawHttpClient.open(address)) {
            for (int i = 1; i <= 5; i++) {
                client.send(get("/n" + i));
                assertThat(client.response().text()).isEqualTo("conn 1 req " + i);
            }
        }
        assertThat(origin.accepted).hasValue(1);
        assertThat(origin.requests).hasValue(5);
    }

    @Test
    void jdkHttpClient_requestsReachTheOriginOverOneConnection() throws Exception {
        InetSocketAddress address = start(pooled());
        try (TestOrigin web = new TestOrigin()) {
            java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                    .proxy(java.net.ProxySelector.of(address)).version(java.net.http.HttpClient.Version.HTTP_1_1).build();
            for (int i = 0; i < 5; i++) {
                java.net.http.HttpResponse<String> response = client.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://origin.test:" + web.port() + "/jdk" + i)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(response.body()).isEqualTo("hello");
            }
            for (int i = 0; i < 5; i++) {
                web.take();
            }
            assertThat(web.connections()).isEqualTo(1);
        }
    }

    @Test
    void withTheDirectPool_eachRequestDialsAgain() throws Exception {
        InetSocketAddress address = start(ConnectionPool.direct());
        try (RawHttpClient client = RawHttpClient.open(address)) {
            for (int i = 1; i <= 3; i++) {
                client.send(get("/n" + i));
                assertThat(client.response().status()).isEqualTo(200);
            }
        }
        assertThat(origin.accepted).hasValue(3);
    }

    @Test
    void successiveClientConnections_shareTheOriginConnection() throws Exception {
        InetSocketAddress address = start(pooled(), b -> b.ioThreads(1));
        for (int c = 0; c < 3; c++) {
            try (RawHttpClient client = RawHttpClient.open(address)) {
                client.send(get("/a") + get("/b"));
                assertThat(client.response().status()).isEqualTo(200);
                assertThat(client.response().status()).isEqualTo(200);
            }
        }
        assertThat(origin.requests).hasValue(6);
        assertThat(origin.accepted).hasValue(1);
    }

    @Test
    void anIdleConnectionTheOriginClosed_isNotHandedOut() throws Exception {
        InetSocketAddress address = start(pooled());
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send(get("/first"));
            assertThat(client.response().text()).isEqualTo("conn 1 req 1");
            await().until(() -> origin.halfCloseIdle() == 1);
            // The proxy notices the origin's FIN while the connection sits idle and closes its side.
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(origin.closedByProxy).hasValue(1));
            // A POST is never retried: it only succeeds if the stale connection was not lent out.
            client.send(post("/second", "payload"));
            assertThat(client.response().text()).isEqualTo("conn 2 req 1");
        }
        assertThat(origin.accepted).hasValue(2);
    }

    @Test
    void aReusedConnectionLostBeforeTheResponse_idempotentRequestIsRetriedTransparently() throws Exception {
        origin.mode = ScriptedOrigin.Mode.DROP_LATER_REQUESTS;
        InetSocketAddress address = start(pooled());
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send(get("/one"));
            assertThat(client.response().text()).isEqualTo("conn 1 req 1");
            assertThat(metrics.takeSession(WAIT).outcome()).isEqualTo(Outcome.OK);
            // The origin reads this request on the pooled connection and closes it unanswered.
            client.send(get("/two"));
            RawHttpClient.Response retried = client.response();
            assertThat(retried.status()).isEqualTo(200);
            assertThat(retried.text()).isEqualTo("conn 2 req 1");
            // The connection to the client stays usable.
            client.send(get("/three"));
            assertThat(client.response().status()).isEqualTo(200);
        }
        // The origin drops every second request of a connection: /three, on the retry's connection, too.
        assertThat(origin.requestLines).extracting(line -> line.split(" ")[1])
                .containsExactly("/one", "/two", "/two", "/three", "/three");
        assertThat(origin.accepted).hasValue(3);
        // Each lost attempt is accounted for as its own failed exchange, then its retry succeeds.
        assertThat(metrics.takeSession(WAIT).outcome()).isEqualTo(Outcome.ERROR);
        assertThat(metrics.takeSession(WAIT).outcome()).isEqualTo(Outcome.OK);
        assertThat(metrics.takeSession(WAIT).outcome()).isEqualTo(Outcome.ERROR);
        assertThat(metrics.takeSession(WAIT).outcome()).isEqualTo(Outcome.OK);
    }

    @Test
    void aReusedConnectionLostBeforeTheResponse_postIsNotRetried_502() throws Exception {
        origin.mode = ScriptedOrigin.Mode.DROP_LATER_REQUESTS;
        InetSocketAddress address = start(pooled());
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send(get("/one"));
            assertThat(client.response().status()).isEqualTo(200);
            client.send(post("/two", "not idempotent"));
            RawHttpClient.Response response = client.response();
            assertThat(response.status()).isEqualTo(502);
            assertThat(response.text()).contains("closed the connection");
        }
        assertThat(origin.requests).hasValue(2);
        assertThat(origin.accepted).hasValue(1);
    }

    @Test
    void aFreshConnectionLostBeforeTheResponse_isNotRetried() throws Exception {
        origin.mode = ScriptedOrigin.Mode.DROP_LATER_REQUESTS;
        // The direct pool: every connection is fresh, so a lost one is an origin failure, reported as such.
        InetSocketAddress address = start(ConnectionPool.direct());
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send(get("/one"));
            assertThat(client.response().status()).isEqualTo(200);
        }
        assertThat(origin.accepted).hasValue(1);
    }

    @Test
    void idleTimeout_closesThePooledConnection() throws Exception {
        InetSocketAddress address = start(ConnectionPools.pooled(4, Duration.ofMillis(200)));
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send(get("/x"));
            assertThat(client.response().status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(origin.closedByProxy).hasValue(1));
            client.send(get("/y"));
            assertThat(client.response().text()).isEqualTo("conn 2 req 1");
        }
    }

    @Test
    void atMostMaxIdlePerOrigin_areKept_theRestAreClosed() throws Exception {
        InetSocketAddress address = start(ConnectionPools.pooled(1, Duration.ofSeconds(60)), b -> b.ioThreads(1));
        CountDownLatch gate = new CountDownLatch(1);
        origin.gate = gate;
        List<RawHttpClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                RawHttpClient client = RawHttpClient.open(address);
                clients.add(client);
                client.send(get("/held" + i));
            }
            // Three requests in flight at once need three origin connections.
            await().untilAsserted(() -> assertThat(origin.requests).hasValue(3));
            gate.countDown();
            for (RawHttpClient client : clients) {
                assertThat(client.response().status()).isEqualTo(200);
            }
            // Only one may stay idle: the proxy closes the other two.
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(origin.closedByProxy).hasValue(2));
            origin.gate = null;
            clients.get(0).send(get("/again"));
            assertThat(clients.get(0).response().status()).isEqualTo(200);
        } finally {
            for (RawHttpClient client : clients) {
                client.close();
            }
        }
        assertThat(origin.accepted).hasValue(3);
    }

    @Test
    void anExchangeTheClientAbandoned_isNeverReused() throws Exception {
        InetSocketAddress address = start(pooled(), b -> b.ioThreads(1));
        CountDownLatch gate = new CountDownLatch(1);
        origin.gate = gate;
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send(get("/abandoned"));
            await().untilAsserted(() -> assertThat(origin.requests).hasValue(1));
            // A reset, not a half-close (after which the proxy would still deliver the response).
            client.socket().setSoLinger(true, 0);
        }
        // The client left while the origin was still to answer: that connection is dropped.
        assertThat(metrics.takeSession(WAIT).outcome()).isEqualTo(Outcome.CLIENT_CLOSED);
        gate.countDown();
        origin.gate = null;
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send(get("/next"));
            assertThat(client.response().text()).isEqualTo("conn 2 req 1");
        }
        assertThat(origin.accepted).hasValue(2);
    }

    @Test
    void concurrentClients_eachGetTheirOwnAnswer() throws Exception {
        InetSocketAddress address = start(pooled());
        List<CompletableFuture<Integer>> runs = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            runs.add(CompletableFuture.supplyAsync(() -> {
                try (RawHttpClient client = RawHttpClient.open(address)) {
                    int ok = 0;
                    for (int i = 0; i < 10; i++) {
                        client.send(get("/c" + i));
                        ok += client.response().status() == 200 ? 1 : 0;
                    }
                    return ok;
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (CompletableFuture<Integer> run : runs) {
            assertThat(run.get(30, TimeUnit.SECONDS)).isEqualTo(10);
        }
        assertThat(origin.requests).hasValue(40);
        // Never more connections than requests in flight at once.
        assertThat(origin.accepted.get()).isLessThanOrEqualTo(4);
    }
}
