package dev.sallyport.examples.boot;

import com.sun.net.httpserver.HttpServer;
import dev.sallyport.spring.boot.SallyportProxy;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import io.micrometer.core.instrument.MeterRegistry;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Authenticator;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample application as it ships, its listeners on free ports: a real HTTP client reaches a
 * local server through the proxy with the user from application.properties, and Actuator's health
 * endpoint shows the proxy UP, then DOWN while it drains.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "sallyport.listeners.socks5=0", "sallyport.listeners.http=0", "sallyport.users.demo=demo-password",
        "spring.main.banner-mode=off"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(60)
class ProxyApplicationTest {

    @Autowired
    SallyportProxy proxy;

    @Autowired
    MeterRegistry registry;

    @LocalServerPort
    int actuatorPort;

    private HttpResponse<String> health() throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + actuatorPort + "/actuator/health"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The {@code sallyport} component of a health response. */
    private static Map<String, Object> sallyportComponent(HttpResponse<String> health) {
        Map<?, ?> body = JsonMapper.builder().build().readValue(health.body(), Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> component = (Map<String, Object>) ((Map<?, ?>) body.get("components")).get("sallyport");
        assertThat(component).as("the sallyport component in %s", health.body()).isNotNull();
        return component;
    }

    @Test
    @Order(1)
    void httpClient_readsALocalPageThroughTheProxy_andHealthShowsTheProxyUp() throws Exception {
        HttpServer origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.createContext("/", exchange -> {
            byte[] body = "hello from origin".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        origin.start();
        HttpClient client = HttpClient.newBuilder()
                .proxy(ProxySelector.of(proxy.manager().address("http")))
                .authenticator(new Authenticator() {
                    @Override
                    protected PasswordAuthentication getPasswordAuthentication() {
                        return new PasswordAuthentication("demo", "demo-password".toCharArray());
                    }
                }).build();
        try {
            HttpResponse<String> page = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + origin.getAddress().getPort() + "/page"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).isEqualTo("hello from origin");
        } finally {
            origin.stop(0);
        }

        HttpResponse<String> health = health();
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(sallyportComponent(health)).containsEntry("status", "UP")
                .extractingByKey("details").asInstanceOf(InstanceOfAssertFactories.MAP)
                .containsEntry("state", "serving").containsKeys("listeners", "openConnections");
        await().untilAsserted(() -> assertThat(registry.find("proxy.sessions").tag("proxy", "sallyport").counters())
                .isNotEmpty());
    }

    @Test
    @Order(2)
    @DirtiesContext
    void health_showsTheProxyDownWhileItDrains() throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        try (TcpServer echo = TcpServer.echo(); Socks5Client tunnel = Socks5Client.open(proxy.manager().address("socks5"))) {
            assertThat(tunnel.login("demo", "demo-password")).isZero();
            assertThat(tunnel.connect(echo.address()).succeeded()).isTrue();
            await().until(() -> proxy.manager().sessions().size() == 1);

            // What the context's graceful shutdown does first: the proxy stops accepting and drains.
            proxy.stop(stopped::countDown);
            HttpResponse<String> health = health();
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(sallyportComponent(health)).containsEntry("status", "DOWN")
                    .containsEntry("details", Map.of("state", "draining"));
            assertThat(stopped.getCount()).as("the open tunnel holds the drain").isEqualTo(1);
        }
        assertThat(stopped.await(20, TimeUnit.SECONDS)).isTrue();
    }
}
