package dev.sallyport.socks5;

import dev.sallyport.core.micrometer.MicrometerMetricsSink;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** After known sessions, the meters hold exactly the expected counts and bytes. */
@Timeout(60)
class MicrometerMetricsTest {

    @Test
    void knownSessions_meterExactCountsAndBytes() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        SessionRecorder done = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).user("alice", "pw")
                     .metrics(new MicrometerMetricsSink(registry)).metrics(done).start()) {
            // One good session: 1000 bytes each way.
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.login("alice", "pw")).isZero();
                assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
                client.send(new byte[1000]);
                client.read(1000);
            }
            // One failed login.
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.login("alice", "x")).isEqualTo(1);
            }
            // One denied request (the proxy's own port).
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.login("alice", "pw")).isZero();
                assertThat(client.connect("127.0.0.1", proxy.address("socks5").getPort()).rep()).isEqualTo(2);
            }
            done.awaitSessions(3, Duration.ofSeconds(10));

            assertThat(registry.get("proxy.connections.accepted").tag("protocol", "socks5").counter().count()).isEqualTo(3);
            assertThat(registry.get("proxy.connections.active").tag("protocol", "socks5").gauge().value()).isZero();
            assertThat(registry.get("proxy.sessions").tags("protocol", "socks5", "command", "connect", "outcome", "ok")
                    .counter().count()).isEqualTo(1);
            assertThat(registry.get("proxy.sessions").tags("command", "none", "outcome", "auth_failed")
                    .counter().count()).isEqualTo(1);
            assertThat(registry.get("proxy.sessions").tags("command", "connect", "outcome", "denied")
                    .counter().count()).isEqualTo(1);
            assertThat(registry.get("proxy.bytes").tags("protocol", "socks5", "direction", "up").counter().count()).isEqualTo(1000);
            assertThat(registry.get("proxy.bytes").tags("protocol", "socks5", "direction", "down").counter().count()).isEqualTo(1000);
            assertThat(registry.get("proxy.auth.failures").tags("protocol", "socks5", "reason", "bad_password")
                    .counter().count()).isEqualTo(1);
            assertThat(registry.get("proxy.rejections").tag("reason", "rule").counter().count()).isEqualTo(1);
            assertThat(registry.get("proxy.handshake.duration").tag("protocol", "socks5").timer().count()).isEqualTo(2);
            assertThat(registry.get("proxy.connect.duration").tag("protocol", "socks5").timer().count()).isEqualTo(1);
            assertThat(registry.getMeters()).allSatisfy(meter -> assertThat(meter.getId().getTags())
                    .noneMatch(tag -> tag.getValue().contains("alice") || tag.getValue().contains("127.0.0.1")));
        }
    }
}
