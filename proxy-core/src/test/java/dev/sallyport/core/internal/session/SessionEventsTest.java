package dev.sallyport.core.internal.session;

import dev.sallyport.api.Command;
import dev.sallyport.api.LiveSession;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionListener;
import dev.sallyport.api.SessionSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Delivery of session events off the I/O threads: order, isolation of a failing listener, the bound, close. */
@Timeout(30)
class SessionEventsTest {

    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);

    private static LiveSession opened(long id) {
        return new LiveSession(id, Protocol.SOCKS5, Command.CONNECT, CLIENT, new InetSocketAddress("127.0.0.1", 1080),
                null, "example.com", 443, null, "direct", Instant.EPOCH, 0, 0);
    }

    private static SessionSummary closed(long id) {
        return new SessionSummary(id, null, CLIENT, Protocol.SOCKS5, Command.CONNECT, "example.com", 443, 1, 2,
                Instant.EPOCH, Duration.ZERO, Outcome.OK, null);
    }

    /** Records "opened ID" / "closed ID" and the thread that delivered it. */
    private static final class Recording implements SessionListener {
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        volatile Thread thread;

        @Override
        public void opened(LiveSession session) {
            thread = Thread.currentThread();
            events.add("opened " + session.id());
        }

        @Override
        public void closed(SessionSummary summary) {
            thread = Thread.currentThread();
            events.add("closed " + summary.id());
        }

        String next() throws InterruptedException {
            return events.poll(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void events_reachEveryListenerInOrder_onTheEventsThread() throws Exception {
        Recording first = new Recording();
        Recording second = new Recording();
        SessionEvents events = new SessionEvents(List.of(first, second), 16);
        try {
            events.opened(opened(1));
            events.opened(opened(2));
            events.closed(closed(1));
            events.closed(closed(2));
            for (Recording listener : List.of(first, second)) {
                assertThat(List.of(listener.next(), listener.next(), listener.next(), listener.next()))
                        .containsExactly("opened 1", "opened 2", "closed 1", "closed 2");
                assertThat(listener.thread.getName()).startsWith("sallyport-events-");
                assertThat(listener.thread).isNotSameAs(Thread.currentThread());
            }
        } finally {
            events.close();
        }
    }

    @Test
    void listenerThatThrows_keepsGettingEvents_andTheOthersToo() throws Exception {
        BlockingQueue<Long> seen = new LinkedBlockingQueue<>();
        SessionListener broken = new SessionListener() {
            @Override
            public void closed(SessionSummary summary) {
                seen.add(summary.id());
                throw new IllegalStateException("listener bug");
            }
        };
        Recording healthy = new Recording();
        SessionEvents events = new SessionEvents(List.of(broken, healthy), 16);
        try {
            for (long id = 1; id <= 3; id++) {
                events.closed(closed(id));
            }
            assertThat(List.of(healthy.next(), healthy.next(), healthy.next()))
                    .containsExactly("closed 1", "closed 2", "closed 3");
            assertThat(List.of(seen.poll(10, TimeUnit.SECONDS), seen.poll(10, TimeUnit.SECONDS),
                    seen.poll(10, TimeUnit.SECONDS))).containsExactly(1L, 2L, 3L);
        } finally {
            events.close();
        }
    }

    @Test
    void stuckListener_neverBlocksTheCaller_eventsBeyondTheBoundAreDroppedAndCounted() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Recording after = new Recording();
        SessionListener stuck = new SessionListener() {
            @Override
            public void opened(LiveSession session) {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        SessionEvents events = new SessionEvents(List.of(stuck, after), 4);
        try {
            events.opened(opened(0));
            assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
            // The delivery thread is stuck in the listener: four fit in the queue, three do not.
            for (long id = 1; id <= 7; id++) {
                events.closed(closed(id));
            }
            assertThat(events.dropped()).isEqualTo(3);

            release.countDown();
            assertThat(after.next()).isEqualTo("opened 0");
            for (long id = 1; id <= 4; id++) {
                assertThat(after.next()).isEqualTo("closed " + id);
            }
            // Caught up: the count was logged and starts again.
            await().atMost(Duration.ofSeconds(10)).until(() -> events.dropped() == 0);
            assertThat(after.events).isEmpty();
        } finally {
            release.countDown();
            events.close();
        }
    }

    @Test
    void close_deliversWhatIsQueued_thenStopsTheThread() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Recording recording = new Recording();
        SessionListener slow = new SessionListener() {
            @Override
            public void opened(LiveSession session) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        SessionEvents events = new SessionEvents(List.of(slow, recording), 16);
        events.opened(opened(1));
        events.closed(closed(1));
        release.countDown();
        events.close();
        assertThat(recording.events).containsExactly("opened 1", "closed 1");
        assertThat(recording.thread.isAlive()).isFalse();
    }
}
