package dev.sallyport.testkit;

import dev.sallyport.api.LiveSession;
import dev.sallyport.api.SessionListener;
import dev.sallyport.api.SessionSummary;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link SessionListener} that keeps every event, for a test to assert on which sessions opened
 * and closed, and in what order. Register it with {@code builder.events(recorder)} (with
 * {@link SallyportExtension}: {@code customize(b -> b.events(recorder))}).
 *
 * <pre>{@code
 * LiveSession tunnel = recorder.awaitOpened(1, Duration.ofSeconds(10)).get(0);
 * proxy.manager().closeSession(tunnel.id());
 * assertThat(recorder.awaitClosed(1, Duration.ofSeconds(10)).get(0).outcome()).isEqualTo(Outcome.CLOSED_BY_HOST);
 * assertThat(recorder.timeline()).containsExactly("opened " + tunnel.id(), "closed " + tunnel.id());
 * }</pre>
 *
 * <p>Events arrive on the proxy's events thread a moment after they happen, so a test waits for
 * them ({@code await...}). Thread-safe.
 */
public final class EventRecorder implements SessionListener {

    private final Signal signal = new Signal();
    private final Object lock = new Object();
    private final List<LiveSession> opened = new ArrayList<>();
    private final List<SessionSummary> closed = new ArrayList<>();
    private final List<String> timeline = new ArrayList<>();

    @Override
    public void opened(LiveSession session) {
        synchronized (lock) {
            opened.add(session);
            timeline.add("opened " + session.id());
        }
        signal.signal();
    }

    @Override
    public void closed(SessionSummary summary) {
        synchronized (lock) {
            closed.add(summary);
            timeline.add("closed " + summary.id());
        }
        signal.signal();
    }

    /**
     * The sessions that opened so far, in order.
     *
     * @return the opened sessions
     */
    public List<LiveSession> opened() {
        synchronized (lock) {
            return List.copyOf(opened);
        }
    }

    /**
     * The summaries of the sessions that closed so far, in order.
     *
     * @return the summaries
     */
    public List<SessionSummary> closed() {
        synchronized (lock) {
            return List.copyOf(closed);
        }
    }

    /**
     * Every event so far, in order, as {@code opened ID} or {@code closed ID}.
     *
     * @return the events
     */
    public List<String> timeline() {
        synchronized (lock) {
            return List.copyOf(timeline);
        }
    }

    /**
     * Waits until at least {@code count} sessions opened; returns them all, in order.
     *
     * @param count   how many to wait for
     * @param timeout how long to wait
     * @return the opened sessions
     * @throws AssertionError after {@code timeout}, listing the events so far
     */
    public List<LiveSession> awaitOpened(int count, Duration timeout) {
        return signal.await(() -> {
            List<LiveSession> now = opened();
            return now.size() >= count ? now : null;
        }, Signal.requireTimeout(timeout), count + " opened session(s)", () -> "saw " + timeline());
    }

    /**
     * Waits until at least {@code count} sessions closed; returns their summaries, in order.
     *
     * @param count   how many to wait for
     * @param timeout how long to wait
     * @return the summaries
     * @throws AssertionError after {@code timeout}, listing the events so far
     */
    public List<SessionSummary> awaitClosed(int count, Duration timeout) {
        return signal.await(() -> {
            List<SessionSummary> now = closed();
            return now.size() >= count ? now : null;
        }, Signal.requireTimeout(timeout), count + " closed session(s)", () -> "saw " + timeline());
    }

    @Override
    public String toString() {
        return "EventRecorder" + timeline();
    }
}
