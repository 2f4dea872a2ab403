package dev.sallyport.socks5;

import dev.sallyport.api.LiveSession;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.TestBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@link MetricsSink#sessionProgress}: each open session's bytes so far, every minute of the ticker, never after its close. */
@Timeout(60)
class SessionProgressTest {

    /** Records "progress ID UP DOWN" and "closed ID" in the order the sink hears them. */
    private static final class Recording implements MetricsSink {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void sessionProgress(LiveSession session) {
            events.add("progress " + session.id() + " " + session.bytesUp() + " " + session.bytesDown());
        }

        @Override
        public void sessionClosed(SessionSummary summary) {
            events.add("closed " + summary.id());
        }
    }

    @Test
    void openSessions_reportTheirBytesEachTickerMinute_closedOnesNoMore() throws Exception {
        AtomicLong ticker = new AtomicLong();
        Recording sink = new Recording();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).ticker(ticker::get).metrics(sink).start();
             Socks5Client kept = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(kept.noAuth().connect("127.0.0.1", echo.port()).rep()).isZero();
            byte[] data = TestBytes.random(700, 1);
            kept.send(data);
            assertThat(kept.read(data.length)).isEqualTo(data);
            long keptId = proxy.sessions().get(0).id();
            long closedId;
            try (Socks5Client ended = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(ended.noAuth().connect("127.0.0.1", echo.port()).rep()).isZero();
                closedId = proxy.sessions().get(1).id();
            }
            await().until(() -> sink.events.contains("closed " + closedId));

            ticker.addAndGet(Duration.ofSeconds(61).toNanos());
            await().until(() -> sink.events.contains("progress " + keptId + " 700 700"));

            kept.send(data);
            assertThat(kept.read(data.length)).isEqualTo(data);
            ticker.addAndGet(Duration.ofSeconds(61).toNanos());
            await().until(() -> sink.events.contains("progress " + keptId + " 1400 1400"));
            // One report per ticker minute, none for the session that had closed.
            assertThat(sink.events).noneMatch(e -> e.startsWith("progress " + closedId + " "))
                    .filteredOn(e -> e.startsWith("progress ")).hasSize(2);
        }
    }
}
