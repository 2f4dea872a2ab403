package dev.sallyport.testkit;

import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link MetricsSink} that keeps every {@link SessionSummary} (target, user, bytes each way,
 * outcome, command, protocol) and every login failure and refusal, for a test to assert on.
 * {@link SallyportExtension} has one; any {@code ProxyManager} can take one with
 * {@code builder.metrics(recorder)}.
 *
 * <pre>{@code
 * SessionSummary session = proxy.awaitSessions(1, Duration.ofSeconds(10)).get(0);
 * assertThat(session.outcome()).isEqualTo(Outcome.OK);
 * assertThat(session.bytesDown()).isEqualTo(1024);
 * }</pre>
 *
 * <p>A session is reported when it ends, so a test waits for it ({@code await...}, no sleeping).
 * {@link #clear()} forgets what was recorded and, from then on, ignores sessions that started
 * before it: a session that a previous test left open and that ends later is not counted for the
 * next one. "Started" is when the proxy took the connection, which can lag the client's connect a
 * little: a test that opens a connection and ends at once should close it, or it may be counted
 * for the next test. Thread-safe; the sink methods are called on the proxy's event loops and never block
 * for long.
 */
public final class SessionRecorder implements MetricsSink {

    private final Signal signal = new Signal();
    private final Object lock = new Object();
    private final Object takeLock = new Object();
    private final List<SessionSummary> sessions = new ArrayList<>();
    private final List<String> authFailures = new ArrayList<>();
    private final List<String> rejections = new ArrayList<>();
    private int taken;
    private Instant since = Instant.MIN;

    @Override
    public void sessionClosed(SessionSummary summary) {
        synchronized (lock) {
            if (summary.started().isBefore(since)) {
                return;
            }
            sessions.add(summary);
        }
        signal.signal();
    }

    @Override
    public void authFailed(Protocol protocol, String reason) {
        record(authFailures, protocol.id() + ":" + reason);
    }

    @Override
    public void rejected(Protocol protocol, String reason) {
        record(rejections, protocol.id() + ":" + reason);
    }

    private void record(List<String> list, String entry) {
        synchronized (lock) {
            list.add(entry);
        }
        signal.signal();
    }

    /**
     * Every session that ended so far, in the order they ended.
     *
     * @return the ended sessions
     */
    public List<SessionSummary> sessions() {
        synchronized (lock) {
            return List.copyOf(sessions);
        }
    }

    /**
     * Waits until at least {@code count} sessions ended; returns them all, in the order they ended.
     *
     * @param count the number of sessions
     * @param timeout how long to wait at most
     * @return the ended sessions
     * @throws AssertionError after {@code timeout}, listing what was recorded
     */
    public List<SessionSummary> awaitSessions(int count, Duration timeout) {
        return signal.await(() -> {
            synchronized (lock) {
                return sessions.size() >= count ? List.copyOf(sessions) : null;
            }
        }, Signal.requireTimeout(timeout), count + " session(s)", () -> "saw " + sessions());
    }

    /**
     * The next session not taken before, in the order they ended, waiting up to {@code timeout}
     * for it to end: a queue over {@link #sessions()}, like MockWebServer's {@code takeRequest}.
     *
     * @param timeout how long to wait at most
     * @return the session
     */
    public SessionSummary takeSession(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        // Not under the recorder's lock: the sessions waited for need it to be recorded.
        synchronized (takeLock) {
            int next = taken;
            SessionSummary summary = awaitSessions(next + 1, timeout).get(next);
            taken = next + 1;
            return summary;
        }
    }

    /**
     * Login failures so far, as {@code protocol:reason} (e.g. {@code socks5:bad-credentials}).
     *
     * @return the login failures
     */
    public List<String> authFailures() {
        synchronized (lock) {
            return List.copyOf(authFailures);
        }
    }

    /**
     * Refusals by a rule or a limit so far, as {@code protocol:reason} (e.g. {@code http:rule}).
     *
     * @return the refusals
     */
    public List<String> rejections() {
        synchronized (lock) {
            return List.copyOf(rejections);
        }
    }

    /**
     * Waits until {@code entry} (e.g. {@code socks5:rule}) is among the {@link #rejections()}.
     *
     * @param entry the refusal, e.g. {@code socks5:rule}
     * @param timeout how long to wait at most
     */
    public void awaitRejection(String entry, Duration timeout) {
        signal.await(() -> rejections().contains(entry) ? Boolean.TRUE : null, Signal.requireTimeout(timeout),
                "rejection " + entry, () -> "saw " + rejections());
    }

    /** Forgets everything and ignores sessions that started before this call. */
    public void clear() {
        synchronized (lock) {
            sessions.clear();
            authFailures.clear();
            rejections.clear();
            since = Instant.now();
        }
        synchronized (takeLock) {
            taken = 0;
        }
    }

    @Override
    public String toString() {
        return "SessionRecorder" + sessions();
    }
}
