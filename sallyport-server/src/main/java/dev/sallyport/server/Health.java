package dev.sallyport.server;

import dev.sallyport.core.Ticker;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the health endpoints answer: {@code /health} (serving: started and not draining, as
 * before), {@code /health/live} and {@code /health/ready}.
 *
 * <p>Answers never wait: {@link #check()}, run every {@link #INTERVAL} on the metrics port's own
 * event loop, starts at most one ping of each kind and the endpoints read what the pings found.
 * Live: the proxy's I/O threads all ran the last ping's task, or it has waited less than
 * {@link #LOOP_STALL} (a thread stuck in a long task). Ready: serving, and the auth backend's last
 * ping answered yes within {@link #BACKEND_TIMEOUT}. Liveness ignores the auth backend on purpose:
 * an orchestrator restarts what is not live, and restarting every instance because the shared
 * database is away helps no one. Time comes from the {@link Ticker}, so tests drive it.
 */
final class Health {

    /** How often {@link #check()} runs. */
    static final Duration INTERVAL = Duration.ofSeconds(1);
    /** How long the I/O threads may take to answer before the process counts as not live. */
    static final Duration LOOP_STALL = Duration.ofSeconds(10);
    /** How long the auth backend may take to answer before it counts as unavailable. */
    static final Duration BACKEND_TIMEOUT = Duration.ofSeconds(5);

    private final Ticker ticker;
    private final BooleanSupplier started;
    private final BooleanSupplier draining;
    private final Probe loops = new Probe(LOOP_STALL);
    private final Probe auth = new Probe(BACKEND_TIMEOUT);
    private volatile Supplier<CompletionStage<?>> loopPing;
    private volatile Supplier<CompletionStage<Boolean>> backend;

    /**
     * @param started  whether the proxy is listening
     * @param draining whether shutdown began
     */
    Health(Ticker ticker, BooleanSupplier started, BooleanSupplier draining) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.started = Objects.requireNonNull(started, "started");
        this.draining = Objects.requireNonNull(draining, "draining");
    }

    /** Health that only knows whether the proxy serves. */
    static Health serving(BooleanSupplier serving) {
        return new Health(Ticker.system(), serving, () -> false);
    }

    /**
     * From now on {@link #check()} also pings the proxy's I/O threads ({@code ProxyManager::ping})
     * and the auth backend ({@code JdbcStore::ping}; null when there is none to ask).
     */
    void watch(Supplier<CompletionStage<?>> loops, Supplier<CompletionStage<Boolean>> backend) {
        this.backend = backend;
        this.loopPing = Objects.requireNonNull(loops, "loops");
    }

    /** Starts the pings that are due; never blocks. */
    void check() {
        Supplier<CompletionStage<?>> ping = loopPing;
        if (ping != null) {
            loops.start(ticker, () -> ping.get().handle((ignored, failure) -> Boolean.TRUE));
        }
        Supplier<CompletionStage<Boolean>> store = backend;
        if (store != null) {
            auth.start(ticker, store);
        }
    }

    /** {@code /health}: started and not draining. */
    boolean serving() {
        return started.getAsBoolean() && !draining.getAsBoolean();
    }

    /** Why the process is not live, or null when it is. */
    String notLive() {
        return loops.late(ticker) ? "I/O threads did not answer within " + LOOP_STALL.toSeconds() + " s" : null;
    }

    /** Why the instance should get no new clients, or null when it is ready. */
    String notReady() {
        if (!started.getAsBoolean()) {
            return "starting";
        }
        if (draining.getAsBoolean()) {
            return "draining";
        }
        if (backend != null && (auth.late(ticker) || !auth.answer)) {
            return "auth backend unavailable";
        }
        return null;
    }

    /**
     * One kind of ping: at most one in flight; its answer, and whether it is overdue. Written by
     * the metrics loop (start) and by whichever thread completes the ping, hence volatile.
     */
    private static final class Probe {
        private final long timeoutNanos;
        /** The last answer; true until a ping says otherwise (the store was reachable at start). */
        private volatile boolean answer = true;
        private volatile boolean inFlight;
        private volatile long sentAt;

        Probe(Duration timeout) {
            this.timeoutNanos = timeout.toNanos();
        }

        void start(Ticker ticker, Supplier<? extends CompletionStage<Boolean>> ping) {
            if (inFlight) {
                return;
            }
            inFlight = true;
            sentAt = ticker.read();
            CompletionStage<Boolean> answered;
            try {
                answered = ping.get();
            } catch (RuntimeException e) {
                answer = false;
                inFlight = false;
                return;
            }
            answered.whenComplete((yes, failure) -> {
                answer = failure == null && Boolean.TRUE.equals(yes);
                inFlight = false;
            });
        }

        boolean late(Ticker ticker) {
            return inFlight && ticker.read() - sentAt > timeoutNanos;
        }
    }
}
