package dev.sallyport.core.internal.session;

import dev.sallyport.api.LiveSession;
import dev.sallyport.api.SessionListener;
import dev.sallyport.api.SessionSummary;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;

/**
 * The sessions open right now, by id, and the host's session listeners. A session enters when
 * admission decided its target ({@link Admission}'s {@code opened} step) and leaves when its
 * summary is reported, on its event loop both times: one map entry per open session, O(1) each
 * way, nothing kept after the close. Without listeners no event is built or queued.
 */
public final class LiveSessions implements AutoCloseable {

    private final Map<Long, Attempt> open = new ConcurrentHashMap<>();
    /** Null when no listener is registered. */
    private final SessionEvents events;

    /** Delivers events to {@code listeners}, when there are any, on a daemon thread called {@code threadName}. */
    public LiveSessions(List<SessionListener> listeners, String threadName) {
        this.events = listeners.isEmpty() ? null : new SessionEvents(listeners, SessionEvents.CAPACITY, threadName);
    }

    void opened(Attempt attempt) {
        // Every field the snapshot reads is set before the put, which publishes it to other threads.
        open.put(attempt.id, attempt);
        if (events != null) {
            events.opened(attempt.snapshot());
        }
    }

    void closed(SessionSummary summary) {
        open.remove(summary.id());
        if (events != null) {
            events.closed(summary);
        }
    }

    /** The open attempts, in no order: a weakly consistent view. */
    Iterable<Attempt> openAttempts() {
        return open.values();
    }

    /** Whether {@code attempt} is still open, i.e. its summary has not been reported. */
    boolean isOpen(Attempt attempt) {
        return open.get(attempt.id) == attempt;
    }

    /** The open sessions, oldest first; bytes as counted at the moment each is read. */
    public List<LiveSession> snapshot() {
        List<LiveSession> sessions = new ArrayList<>(open.size());
        for (Attempt attempt : open.values()) {
            sessions.add(attempt.snapshot());
        }
        sessions.sort(Comparator.comparingLong(LiveSession::id));
        return List.copyOf(sessions);
    }

    /**
     * Closes session {@code id} on its event loop, both sides, with outcome
     * {@link dev.sallyport.api.Outcome#CLOSED_BY_HOST}; false when no such session is open.
     */
    public boolean close(long id) {
        Attempt attempt = open.get(id);
        if (attempt == null) {
            return false;
        }
        try {
            attempt.session.channel().eventLoop().execute(() -> {
                // Still open once on its loop: it may have ended since the lookup.
                if (open.get(id) == attempt) {
                    attempt.closeByHost();
                }
            });
        } catch (RejectedExecutionException shuttingDown) {
            // The manager is closing: the session closes with it.
        }
        return true;
    }

    @Override
    public void close() {
        if (events != null) {
            events.close();
        }
    }
}
