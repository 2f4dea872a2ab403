package dev.sallyport.core.internal.session;

import dev.sallyport.api.LiveSession;
import dev.sallyport.api.SessionListener;
import dev.sallyport.api.SessionSummary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands session events to the host's listeners on a thread of its own, so that a listener that
 * writes to a file or a database never holds an I/O thread. The path: an I/O thread offers the
 * event (the {@link LiveSession} or {@link SessionSummary} itself, no wrapper) to a bounded queue
 * and goes on; the one delivery thread takes events in order and calls every listener. The bound:
 * {@link #CAPACITY} events; while the queue is full, events are dropped, counted, and logged at
 * WARN once when it fills and once when the listeners have caught up, with the count. A listener
 * that throws is logged once and keeps getting events. {@link #close()} delivers what is queued,
 * waiting at most {@link #CLOSE_TIMEOUT_SECONDS} for a stuck listener.
 */
final class SessionEvents implements AutoCloseable {

    static final int CAPACITY = 65_536;
    static final long CLOSE_TIMEOUT_SECONDS = 10;

    private static final Logger log = LoggerFactory.getLogger(SessionEvents.class);
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final Object STOP = new Object();

    private final SessionListener[] listeners;
    private final boolean[] failed;
    private final BlockingQueue<Object> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;

    SessionEvents(List<SessionListener> listeners, int capacity) {
        this(listeners, capacity, "sallyport-events-" + THREADS.incrementAndGet());
    }

    /** Delivers on a daemon thread called {@code threadName}. */
    SessionEvents(List<SessionListener> listeners, int capacity, String threadName) {
        this.listeners = listeners.toArray(SessionListener[]::new);
        this.failed = new boolean[this.listeners.length];
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    void opened(LiveSession session) {
        offer(session);
    }

    void closed(SessionSummary summary) {
        offer(summary);
    }

    /** Events dropped because the queue was full, since the last time the listeners caught up. */
    long dropped() {
        return dropped.get();
    }

    private void offer(Object event) {
        if (!queue.offer(event) && dropped.getAndIncrement() == 0) {
            log.warn("Session listeners are {} events behind: dropping session events until they catch up",
                    queue.size());
        }
    }

    private void run() {
        try {
            for (Object event = queue.take(); event != STOP; event = queue.take()) {
                for (int i = 0; i < listeners.length; i++) {
                    deliver(i, event);
                }
                if (queue.isEmpty() && dropped.get() > 0) {
                    log.warn("Session listeners caught up; {} session events were dropped", dropped.getAndSet(0));
                }
            }
        } catch (InterruptedException e) {
            log.warn("Session event delivery interrupted; {} events not delivered", queue.size());
        }
    }

    private void deliver(int i, Object event) {
        try {
            if (event instanceof LiveSession session) {
                listeners[i].opened(session);
            } else {
                listeners[i].closed((SessionSummary) event);
            }
        } catch (Throwable e) {
            // Any throwable: this thread must outlive a broken listener, and sessions never see it.
            if (!failed[i]) {
                failed[i] = true;
                log.warn("Session listener {} threw; further failures of this listener are not logged", listeners[i], e);
            }
        }
    }

    /** Delivers the events queued so far, then stops the thread. Called once every session has ended. */
    @Override
    public void close() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_TIMEOUT_SECONDS);
        try {
            if (queue.offer(STOP, CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("Session listeners still busy after {} s at close; {} events not delivered", CLOSE_TIMEOUT_SECONDS,
                    queue.size());
            thread.interrupt();
        }
    }
}
