package dev.sallyport.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Per-user {@link Limits} counted across several proxy instances (a fleet sharing one database),
 * on top of the limits each instance enforces on its own.
 *
 * <p>Core calls {@link #acquire} for a session of an authenticated user with at least one limit,
 * once that instance's own limits admitted it, and {@link Lease#release()} exactly once for every
 * granted lease when the session ends, however it ends (client close, error, revocation, drain,
 * shutdown, or an admission that gave up before the answer came). A refused lease answers the
 * client as the instance's own limit would: SOCKS5 reply 0x02, HTTP 429, outcome
 * {@link Outcome#LIMITED} with the refusal's rule. A stage that completes exceptionally (or a
 * call that throws) refuses the session with {@link Outcome#ERROR}: an implementation that
 * prefers availability falls back to the per-instance limits itself, as the JDBC one does.
 *
 * <p>Threading: {@link #acquire} is called on a network event loop and must not block; the stage
 * may complete on any thread, and core resumes on the event loop. {@link Lease#release()} is
 * called on an event loop too and must not block either. Without an instance configured, core
 * does no extra work on the admission path.
 *
 * <pre>{@code
 * ProxyManager.builder().auth(store).sharedLimits(store.fleetLimits()).start();
 * }</pre>
 */
public interface SharedLimits {

    /** No fleet: every lease is granted by the instance's own limits alone. */
    SharedLimits NONE = (user, limits) -> CompletableFuture.completedFuture(Lease.GRANTED);

    /**
     * Takes a fleet-wide concurrent-session slot and a token of the fleet-wide session rate for
     * one new session of {@code user}.
     *
     * @param user   the authenticated user's name
     * @param limits the user's effective limits (the principal's, defaults filled in); never
     *               {@link Limits#NONE}
     * @return completes with a granted lease, or one whose {@link Lease#refusal()} says why not
     */
    CompletionStage<Lease> acquire(String user, Limits limits);

    /**
     * Called once by core before the first {@link #acquire}, with where to report the share of
     * a user's bandwidth this instance may use. Default: ignored (each instance uses the whole
     * limit).
     *
     * @param shares core's bandwidth shares
     */
    default void start(Shares shares) {
    }

    /** A limit of the fleet that refuses a session, named as core names its own. */
    enum Refusal {
        /** {@link Limits#maxSessions()} reached across the fleet. */
        MAX_SESSIONS("max-sessions"),
        /** {@link Limits#sessionsPerSecond()} reached across the fleet. */
        SESSIONS_PER_SECOND("sessions-per-second");

        private final String rule;

        Refusal(String rule) {
            this.rule = rule;
        }

        /**
         * The rule name recorded in the session's summary and the access log.
         *
         * @return the rule's name
         */
        public String rule() {
            return rule;
        }
    }

    /** One session's hold on the fleet's limits. */
    interface Lease {

        /** A granted lease with nothing to give back. */
        Lease GRANTED = () -> { };

        /**
         * Gives the slot back. Core calls it exactly once per granted lease, never for a refused
         * one; it must be fast and must not throw.
         */
        void release();

        /**
         * Why the lease was refused; null when it was granted.
         *
         * @return the refusing limit, or null
         */
        default Refusal refusal() {
            return null;
        }

        /**
         * A short reason for the operator's log (never a credential), or null.
         *
         * @return the reason, or null
         */
        default String reason() {
            return null;
        }

        /**
         * A refused lease.
         *
         * @param refusal the limit that refused
         * @param reason  a short reason for the log, e.g. {@code "user has 3 of 3 sessions open in the fleet"}
         * @return the refused lease
         */
        static Lease refused(Refusal refusal, String reason) {
            java.util.Objects.requireNonNull(refusal, "refusal");
            return new Lease() {
                @Override
                public void release() {
                }

                @Override
                public Refusal refusal() {
                    return refusal;
                }

                @Override
                public String reason() {
                    return reason;
                }
            };
        }
    }

    /** Core's side: the share of a user's bandwidth this instance may use. */
    @FunctionalInterface
    interface Shares {

        /**
         * Re-shapes the open sessions of {@code user} on this instance to {@code fraction} of the
         * user's bandwidth limits each way (at least 1 byte/s). Any thread; fast; a user without
         * open sessions here is ignored.
         *
         * @param user     the user's name
         * @param fraction the share, in (0, 1]; 1 restores the whole limit
         * @throws IllegalArgumentException when {@code fraction} is not in (0, 1]
         */
        void share(String user, double fraction);
    }
}
