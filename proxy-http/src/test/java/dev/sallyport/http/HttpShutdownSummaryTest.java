package dev.sallyport.http;

import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * HTTP sessions that {@code close(Duration)} cuts at its drain timeout end {@link Outcome#SHUTDOWN}:
 * a CONNECT tunnel, and a forwarded request still waiting for its response.
 */
@Timeout(60)
class HttpShutdownSummaryTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final SessionRecorder metrics = new SessionRecorder();

    @Test
    void connectTunnelCutAtTheDrainTimeout_endsShutdown() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            ProxyManager proxy = ProxyManager.builder().http(0).metrics(metrics).start();
            try (RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
                client.send("CONNECT 127.0.0.1:" + echo.port() + " HTTP/1.1\r\n\r\n");
                assertThat(client.head().status()).isEqualTo(200);

                proxy.close(Duration.ofMillis(50));
                assertThat(client.closedByPeer()).isTrue();
                SessionSummary summary = metrics.takeSession(WAIT);
                assertThat(summary.command()).isEqualTo(Command.CONNECT);
                assertThat(summary.outcome()).isEqualTo(Outcome.SHUTDOWN);
            } finally {
                proxy.close(Duration.ZERO);
            }
        }
    }

    @Test
    void forwardWaitingForItsResponseAtTheDrainTimeout_endsShutdown() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        try (ScriptedOrigin origin = new ScriptedOrigin()) {
            origin.gate = gate;
            ProxyManager proxy = ProxyManager.builder().http(0).metrics(metrics).start();
            try (RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
                client.send("GET http://127.0.0.1:" + origin.port() + "/slow HTTP/1.1\r\nHost: x\r\n\r\n");
                await().atMost(WAIT).until(() -> origin.requests.get() == 1);

                proxy.close(Duration.ofMillis(50));
                assertThat(client.closedByPeer()).isTrue();
                SessionSummary summary = metrics.takeSession(WAIT);
                assertThat(summary.command()).isEqualTo(Command.HTTP_FORWARD);
                assertThat(summary.outcome()).isEqualTo(Outcome.SHUTDOWN);
            } finally {
                gate.countDown();
                proxy.close(Duration.ZERO);
            }
        }
    }
}
