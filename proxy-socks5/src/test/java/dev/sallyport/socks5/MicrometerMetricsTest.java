package dev.sallyport.socks5;

import dev.sallyport.core.micrometer.MicrometerMetricsSink;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.testing.EchoServer;
import dev.sallyport.core.testing.RecordingMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Proxy;
import java.net.Socket;

import static org.assertj.core.api.Assertions.assertThat;

/** After known sessions, the meters hold exactly the expected counts and bytes. */
@Timeout(60)
class MicrometerMetricsTest {

    @Test
    void knownSessions_meterExactCountsAndBytes() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        RecordingMetrics done = new RecordingMetrics();
        try (EchoServer echo = EchoServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).user("alice", "pw")
                     .metrics(new MicrometerMetricsSink(registry)).metrics(done).start()) {
            // One good session: 1000 bytes each way.
            try (RawClient client = new RawClient(proxy.address("socks5"))) {
                client.login("alice", "pw").connectIpv4(echo.port());
                assertThat(client.replyCode()).isZero();
                client.send(new byte[1000]);
                client.read(1000);
            }
            // One failed login.
            try (RawClient client = new RawClient(proxy.address("socks5"))) {
                client.send(5, 1, 2);
                client.read(2);
                client.send(1, 5, 'a', 'l', 'i', 'c', 'e', 1, 'x');
                client.read(2);
            }
            // One denied request (the proxy's own port).
            try (RawClient client = new RawClient(proxy.address("socks5"))) {
                client.login("alice", "pw").connectIpv4(proxy.address("socks5").getPort());
                assertThat(client.replyCode()).isEqualTo(2);
            }
            done.nextSummary();
            done.nextSummary();
            done.nextSummary();

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
