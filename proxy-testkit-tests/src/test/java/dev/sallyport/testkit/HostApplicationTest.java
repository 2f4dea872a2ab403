package dev.sallyport.testkit;

import dev.sallyport.api.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's example: an application's own test, with the proxy it runs behind misbehaving. */
@Timeout(30)
class HostApplicationTest {

    /** The application under test: reads a page through a proxy, "unavailable" when it cannot. */
    static final class PriceFeed {
        private final HttpClient http;

        PriceFeed(ProxySelector proxy) {
            http = HttpClient.newBuilder().proxy(proxy).build();
        }

        String fetch(URI uri) throws InterruptedException {
            try {
                HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(500)).build();
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                return response.statusCode() == 200 ? response.body() : "unavailable";
            } catch (IOException e) {
                return "unavailable";
            }
        }
    }

    @RegisterExtension
    static SallyportExtension proxy = SallyportExtension.http().build();

    @RegisterExtension
    static TestOrigin origin = new TestOrigin();

    @Test
    void fetch_throughAHealthyProxy_returnsThePage() throws Exception {
        PriceFeed feed = new PriceFeed(ProxySelector.of(proxy.httpAddress()));
        assertThat(feed.fetch(origin.uri("/hello"))).isEqualTo("hello");
        assertThat(proxy.awaitSessions(1, Duration.ofSeconds(10)).get(0).targetPort()).isEqualTo(origin.port());
    }

    @Test
    void fetch_proxyRefusesTheTarget_reportsUnavailable() throws Exception {
        proxy.faults().refuse(Refusal.CONNECTION_REFUSED);              // HTTP 502 from the proxy
        PriceFeed feed = new PriceFeed(ProxySelector.of(proxy.httpAddress()));
        assertThat(feed.fetch(origin.uri("/hello"))).isEqualTo("unavailable");
        assertThat(proxy.awaitSessions(1, Duration.ofSeconds(10)).get(0).outcome())
                .isEqualTo(Outcome.CONNECTION_REFUSED);
    }

    @Test
    void fetch_proxyTooSlow_givesUpAfterItsTimeout() throws Exception {
        proxy.faults().latency(Duration.ofSeconds(2));
        PriceFeed feed = new PriceFeed(ProxySelector.of(proxy.httpAddress()));
        assertThat(feed.fetch(origin.uri("/hello"))).isEqualTo("unavailable");
    }
}
