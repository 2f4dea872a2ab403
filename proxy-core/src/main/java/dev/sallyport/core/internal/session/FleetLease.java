package dev.sallyport.core.internal.session;

import dev.sallyport.api.Outcome;
import dev.sallyport.api.SharedLimits;
import dev.sallyport.core.internal.policy.UserLimits;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;

/**
 * The fleet's part of the limits step: once this instance's {@link UserLimits} admitted a session,
 * a lease from the configured {@link SharedLimits}. The local slot is held by the session only
 * once the fleet granted too; every other answer gives it back, and a lease granted after the
 * admission ended (client gone, connect timeout, manager closing) is given back at once. A granted
 * lease is released by {@link DefaultSession} when the connection ends, on every path.
 */
final class FleetLease {

    private static final Logger log = LoggerFactory.getLogger(FleetLease.class);
    /** A release that throws is an implementation's bug: said once, not once per session. */
    private static volatile boolean releaseFailureLogged;

    private FleetLease() {
    }

    /** Asks the fleet for a lease of {@code attempt}'s user, holding {@code state}'s slot meanwhile. */
    static void acquire(Attempt attempt, UserLimits.State state) {
        DefaultSession session = attempt.session;
        CompletionStage<SharedLimits.Lease> stage;
        try {
            stage = session.services().shared().acquire(attempt.principal.name(), state.limits());
        } catch (RuntimeException e) {
            answered(attempt, state, null, e);
            return;
        }
        if (stage == null) {
            answered(attempt, state, null, new NullPointerException("acquire returned null"));
            return;
        }
        EventLoop loop = session.channel().eventLoop();
        stage.whenComplete((lease, error) -> {
            if (loop.inEventLoop()) {
                answered(attempt, state, lease, error);
                return;
            }
            try {
                loop.execute(() -> answered(attempt, state, lease, error));
            } catch (RejectedExecutionException closing) {
                // The event loops are gone: nothing runs this session again, so give both back here.
                if (lease != null && lease.refusal() == null) {
                    release(lease);
                }
                session.services().limits().release(state, session);
            }
        });
    }

    private static void answered(Attempt attempt, UserLimits.State state, SharedLimits.Lease lease, Throwable error) {
        DefaultSession session = attempt.session;
        Services services = session.services();
        if (error != null || lease == null) {
            services.limits().release(state, session);
            attempt.refuse(Outcome.ERROR, null, "fleet limits failed",
                    error != null ? error : new NullPointerException("acquire completed with null"));
            return;
        }
        SharedLimits.Refusal refusal = lease.refusal();
        if (refusal != null) {
            services.limits().release(state, session);
            services.metrics().rejected(session.protocol(), "limit");
            attempt.refuse(Outcome.LIMITED, refusal.rule(), lease.reason() != null ? lease.reason()
                    : "over the fleet's " + refusal.rule() + " limit", null);
            return;
        }
        if (session.finished() || attempt.promise.isDone()) {
            // Granted too late: the client left or the admission ended meanwhile.
            release(lease);
            services.limits().release(state, session);
            attempt.proceed();
            return;
        }
        session.hold(state);
        session.holdLease(lease);
        attempt.proceed();
    }

    /** Gives a granted lease back; an implementation that throws is logged once. */
    static void release(SharedLimits.Lease lease) {
        try {
            lease.release();
        } catch (RuntimeException e) {
            if (!releaseFailureLogged) {
                releaseFailureLogged = true;
                log.warn("Shared limits: releasing a lease failed (logged once)", e);
            }
        }
    }
}
