package dev.sallyport.core.internal.session;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The idle timeout and the maximum session length of one relay or UDP association. Idle is a
 * counter of reads checked every half idle period: no clock call per read; two quiet
 * half-periods in a row mean no byte either way for at least the idle timeout.
 */
final class SessionTimers {

    private ScheduledFuture<?> idleCheck;
    private ScheduledFuture<?> maxDuration;
    private long reads;
    private long readsAtLastCheck;
    private int quietChecks;

    /**
     * Starts both timers on {@code loop}; a zero duration means none. {@code onIdle} and
     * {@code onMaxDuration} run once, on the loop, and the timers stop.
     */
    SessionTimers(EventLoop loop, Duration idleTimeout, Duration maxSessionDuration, Runnable onIdle,
                  Runnable onMaxDuration) {
        long idleNanos = idleTimeout.toNanos();
        if (idleNanos > 0) {
            long period = Math.max(idleNanos / 2, 1);
            idleCheck = loop.scheduleAtFixedRate(() -> check(onIdle), period, period, TimeUnit.NANOSECONDS);
        }
        if (!maxSessionDuration.isZero()) {
            maxDuration = loop.schedule(() -> {
                cancel();
                onMaxDuration.run();
            }, maxSessionDuration.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** Something was read: the session is not idle. */
    void read() {
        reads++;
    }

    private void check(Runnable onIdle) {
        if (reads != readsAtLastCheck) {
            readsAtLastCheck = reads;
            quietChecks = 0;
        } else if (++quietChecks >= 2) {
            cancel();
            onIdle.run();
        }
    }

    void cancel() {
        if (idleCheck != null) {
            idleCheck.cancel(false);
        }
        if (maxDuration != null) {
            maxDuration.cancel(false);
        }
    }
}
