package dev.sallyport.socks5;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.micrometer.MicrometerMetricsSink;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Two managers' sinks on one registry: each meter carries the tag {@code proxy}, so each manager
 * has its own gauge and counters instead of the second silently reusing the first's.
 */
@Timeout(60)
class MicrometerSharedRegistryTest {

    private static double active(MeterRegistry registry, String proxy) {
        return registry.get("proxy.connections.active").tags("protocol", "socks5", "proxy", proxy).gauge().value();
    }

    @Test
    void twoNamedSinksOnOneRegistry_eachManagerHasItsOwnMeters() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager first = ProxyManager.builder().socks5(0).metrics(new MicrometerMetricsSink(registry, "first"))
                     .start();
             ProxyManager second = ProxyManager.builder().socks5(0)
                     .metrics(new MicrometerMetricsSink(registry, "second")).start();
             Socks5Client client = Socks5Client.open(second.address("socks5"))) {
            assertThat(client.noAuth().connect("127.0.0.1", echo.port()).rep()).isZero();

            await().atMost(Duration.ofSeconds(10)).until(() -> active(registry, "second") == 1);
            assertThat(active(registry, "first")).isZero();
            assertThat(registry.get("proxy.connections.accepted").tags("protocol", "socks5", "proxy", "second")
                    .counter().count()).isEqualTo(1);
            assertThat(registry.get("proxy.connections.accepted").tags("protocol", "socks5", "proxy", "first")
                    .counter().count()).isZero();
        }
    }

    @Test
    void sinksWithoutAName_getDifferentOnes() {
        MeterRegistry registry = new SimpleMeterRegistry();
        new MicrometerMetricsSink(registry);
        new MicrometerMetricsSink(registry);
        assertThat(registry.find("proxy.connections.active").tag("protocol", "socks5").gauges()).hasSize(2)
                .extracting(gauge -> gauge.getId().getTag("proxy")).doesNotHaveDuplicates()
                .allSatisfy(name -> assertThat(name).matches("sallyport-[0-9]+"));
    }

    @Test
    void blankName_isRefused() {
        assertThatThrownBy(() -> new MicrometerMetricsSink(new SimpleMeterRegistry(), " "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name: ' ' (expected: a non-blank name for the proxy tag)");
    }
}
