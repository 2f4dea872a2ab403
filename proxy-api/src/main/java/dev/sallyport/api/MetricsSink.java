package dev.sallyport.api;

import java.time.Duration;

/**
 * Receives lifecycle events of connections and sessions. Every method has a no-op default.
 *
 * <p>Contract: called on network event loops; fast, no locks held for long, never blocks,
 * never throws. A sink that writes somewhere slow buffers and batches. Core guards each call
 * and logs a failing sink once.
 */
public interface MetricsSink {

    /** A sink that ignores everything. */
    MetricsSink NONE = new MetricsSink() {
        @Override
        public String toString() {
            return "MetricsSink.NONE";
        }
    };

    /**
     * A client connection was accepted and its protocol is known.
     *
     * @param protocol the client's protocol
     */
    default void connectionOpened(Protocol protocol) {
    }

    /**
     * A client connection closed.
     *
     * @param protocol the client's protocol
     */
    default void connectionClosed(Protocol protocol) {
    }

    /**
     * A client finished its handshake (greeting, authentication, request) after {@code duration}.
     *
     * @param protocol the client's protocol
     * @param duration from accept to the request
     */
    default void handshakeCompleted(Protocol protocol, Duration duration) {
    }

    /**
     * A login failed; {@code reason} is short and bounded (never a user name or secret).
     *
     * @param protocol the client's protocol
     * @param reason why, e.g. {@code bad_password}
     */
    default void authFailed(Protocol protocol, String reason) {
    }

    /**
     * A request was refused by a rule or a limit; {@code reason} is short and bounded.
     *
     * @param protocol the client's protocol
     * @param reason why, e.g. the rule's name
     */
    default void rejected(Protocol protocol, String reason) {
    }

    /**
     * The proxy connected to a target after {@code duration} (DNS included).
     *
     * @param protocol the client's protocol
     * @param duration from the request to the connected target
     */
    default void connected(Protocol protocol, Duration duration) {
    }

    /**
     * A session is still open: called about once a minute for each open session (the interval
     * runs on the manager's {@code Ticker}), on the session's event loop and so always before its
     * {@link #sessionClosed}, never after. The bytes are the totals so far, not increments; a
     * sink that accounts usage while sessions run subtracts what it saw last, and subtracts what
     * it saw from the summary too. Sessions reporting their bytes only when they end (each HTTP
     * request) show zero here.
     *
     * @param session the open session with its bytes so far
     */
    default void sessionProgress(LiveSession session) {
    }

    /**
     * A session ended. Called exactly once per session.
     *
     * @param summary the session's figures and outcome
     */
    default void sessionClosed(SessionSummary summary) {
    }

    /**
     * A forward-auth request was answered: {@code outcome} is {@code allowed} (200),
     * {@code denied} (401: missing, unreadable or wrong credentials), {@code locked_out} (429),
     * {@code unavailable} (503: the auth backend could not answer) or {@code forbidden} (403: a
     * caller neither on loopback nor trusted); {@code max_connections} or
     * {@code max_connections_per_client} for a connection closed at accept, over a cap.
     * Called on one of core's I/O threads.
     *
     * @param outcome what the endpoint answered
     */
    default void forwardAuth(String outcome) {
    }

    /**
     * A connect through an upstream proxy ended, before any byte was relayed: {@link Outcome#OK},
     * why that upstream failed (a failed try that was then retried on another one counts too), or
     * the target's failure as the upstream reported it.
     *
     * @param upstream the group and upstream, {@code GROUP/HOST:PORT} (bounded: configured upstreams only)
     * @param outcome  how the connect ended
     * @param duration from the start of the try to its end
     */
    default void upstreamConnect(String upstream, Outcome outcome, Duration duration) {
    }

    /**
     * An upstream proxy was marked down by its failures ({@code up} false), or answered again ({@code up} true).
     *
     * @param upstream the group and upstream, {@code GROUP/HOST:PORT}
     * @param up       its new state
     */
    default void upstreamState(String upstream, boolean up) {
    }

    /**
     * The number of open connections through an upstream proxy changed.
     *
     * @param upstream the group and upstream, {@code GROUP/HOST:PORT}
     * @param active   connections open through it now
     */
    default void upstreamActive(String upstream, int active) {
    }
}
