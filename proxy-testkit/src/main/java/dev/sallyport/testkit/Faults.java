package dev.sallyport.testkit;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.Decision;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * Faults a test switches on in a running proxy, to see how an application copes with a bad one:
 * added latency, a reset after so many bytes, a refusal with a chosen reply, or a connect that
 * never completes. {@link SallyportExtension#faults()} has them wired in; any other
 * {@code ProxyManager} gets them from {@link #wrap(ConnectionPool)} and {@link #accessRule()}.
 *
 * <pre>{@code
 * proxy.faults().latency(Duration.ofMillis(300)).resetAfter(1024, Faults.Direction.DOWN);
 * proxy.faults().refuse(Refusal.CONNECTION_REFUSED);     // SOCKS5 REP 0x05, HTTP 502
 * proxy.faults().clear();
 * }</pre>
 *
 * <p>They act on outbound connects (SOCKS CONNECT, HTTP CONNECT and forwarded HTTP requests):
 * each connect reads the faults once when it starts, so a change affects the connects that start
 * after it, never a tunnel already open. {@link Refusal#NOT_ALLOWED} is a rule's DENY and so also
 * refuses SOCKS BIND and each UDP datagram. Latency applies before the refusal or the hang.
 * {@link #refuse} and {@link #hang} replace each other. Thread-safe; each setter returns this.
 */
public final class Faults {

    /** A direction of a tunnel. */
    public enum Direction {
        /** From the client to the target. */
        UP,
        /** From the target to the client. */
        DOWN
    }

    /**
     * One consistent set of faults.
     *
     * @param latencyNanos   added before connecting; 0 for none
     * @param resetAfter     bytes after which the outbound connection is reset; -1 for never
     * @param resetDirection the direction counted; null for either
     * @param refusal        the refusal, or null
     * @param hang           whether connects never complete
     */
    record State(long latencyNanos, long resetAfter, Direction resetDirection, Refusal refusal, boolean hang) {
        static final State NONE = new State(0, -1, null, null, false);
    }

    private final AtomicReference<State> state = new AtomicReference<>(State.NONE);

    /** No faults. */
    public Faults() {
    }

    /**
     * Delays every connect by {@code delay} (on the proxy's event loop; nothing blocks), which
     * counts against the proxy's connect timeout. {@link Duration#ZERO} removes the delay.
     *
     * @param delay the delay
     * @return these faults
     */
    public Faults latency(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay: " + delay + " (expected: >= 0)");
        }
        long nanos = delay.toNanos();
        return update(s -> new State(nanos, s.resetAfter(), s.resetDirection(), s.refusal(), s.hang()));
    }

    /**
     * Resets the outbound connection (TCP RST: SO_LINGER 0, then close) once {@code bytes} passed
     * in either direction. Exactly {@code bytes} are delivered; the client then sees the tunnel
     * end and the target sees the reset.
     *
     * @param bytes the bytes to let through
     * @return these faults
     */
    public Faults resetAfter(long bytes) {
        return resetAfter(bytes, null);
    }

    /**
     * Like {@link #resetAfter(long)}, counting only {@code direction} (null for either).
     *
     * @param bytes the bytes to let through
     * @param direction the direction counted, or null for either
     * @return these faults
     */
    public Faults resetAfter(long bytes, Direction direction) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes: " + bytes + " (expected: >= 0)");
        }
        return update(s -> new State(s.latencyNanos(), bytes, direction, s.refusal(), s.hang()));
    }

    /**
     * Refuses every connect as {@code refusal} says (see {@link Refusal} for what clients see).
     *
     * @param refusal how to refuse
     * @return these faults
     */
    public Faults refuse(Refusal refusal) {
        Objects.requireNonNull(refusal, "refusal");
        return update(s -> new State(s.latencyNanos(), s.resetAfter(), s.resetDirection(), refusal, false));
    }

    /**
     * Refuses every connect so that SOCKS5 clients get REP {@code rep} ({@link Refusal#ofSocksReply}).
     *
     * @param rep the SOCKS5 reply code
     * @return these faults
     */
    public Faults refuseSocks(int rep) {
        return refuse(Refusal.ofSocksReply(rep));
    }

    /**
     * Refuses every connect so that HTTP clients get {@code status} ({@link Refusal#ofHttpStatus}).
     *
     * @param status the HTTP status
     * @return these faults
     */
    public Faults refuseHttp(int status) {
        return refuse(Refusal.ofHttpStatus(status));
    }

    /**
     * Accepts the client's request and never answers it: the connect never completes, so the
     * proxy's connect timeout refuses the request (SOCKS5 0x06, HTTP 504) unless the client's
     * connection closes first.
     *
     * @return these faults
     */
    public Faults hang() {
        return update(s -> new State(s.latencyNanos(), s.resetAfter(), s.resetDirection(), null, true));
    }

    /**
     * Removes every fault.
     *
     * @return these faults
     */
    public Faults clear() {
        state.set(State.NONE);
        return this;
    }

    /**
     * The pool that applies these faults around {@code pool}, for {@code ProxyManager.Builder.connectionPool}.
     *
     * @param pool the pool to wrap
     * @return the wrapping pool
     */
    public ConnectionPool wrap(ConnectionPool pool) {
        return new FaultyPool(this, Objects.requireNonNull(pool, "pool"));
    }

    /**
     * The rule that applies {@link Refusal#NOT_ALLOWED}, for {@code ProxyManager.Builder.accessRule}:
     * add it first so that it decides before the application's rules. Abstains otherwise.
     *
     * @return the rule
     */
    public AccessRule accessRule() {
        return AccessRule.named("testkit-faults", request -> state.get().refusal() == Refusal.NOT_ALLOWED
                ? Decision.deny("refused by the test's Faults") : Decision.abstain());
    }

    State current() {
        return state.get();
    }

    private Faults update(UnaryOperator<State> change) {
        state.updateAndGet(change);
        return this;
    }

    @Override
    public String toString() {
        return "Faults" + state.get();
    }
}
