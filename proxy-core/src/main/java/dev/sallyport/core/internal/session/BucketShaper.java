package dev.sallyport.core.internal.session;

import dev.sallyport.core.internal.policy.TokenBucket;
import dev.sallyport.core.internal.policy.UserLimits;
import dev.sallyport.core.spi.Shaper;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * The one shaper of core, used by the TCP relay, UDP associations and HTTP forwarding: charges the
 * user's {@link TokenBucket} for one direction (shared by all of the user's sessions, and read
 * afresh on every charge so that a live limit change applies at once) and pauses the caller's
 * reads until the debt is paid back.
 */
final class BucketShaper implements Shaper {

    private final UserLimits.State limits;
    private final boolean upstream;
    private final EventExecutor executor;
    private final Runnable pause;
    private final Runnable resume;
    private ScheduledFuture<?> pending;

    private BucketShaper(UserLimits.State limits, boolean upstream, EventExecutor executor, Runnable pause,
                         Runnable resume) {
        this.limits = limits;
        this.upstream = upstream;
        this.executor = executor;
        this.pause = pause;
        this.resume = resume;
    }

    /**
     * A shaper for one direction ({@code upstream}: client to target) of the user whose live
     * limits are {@code limits}, or {@link Shaper#NONE} when the session holds no limits.
     */
    static Shaper of(UserLimits.State limits, boolean upstream, EventExecutor executor, Runnable pause,
                     Runnable resume) {
        return limits == null ? NONE : new BucketShaper(limits, upstream, executor, pause, resume);
    }

    @Override
    public boolean charge(long bytes) {
        TokenBucket bucket = upstream ? limits.up : limits.down;
        if (bytes <= 0 || bucket == null) {
            return pending != null;
        }
        // Charged even while paused: bytes read before the pause took effect are the user's too.
        long nanos = bucket.consume(bytes);
        if (nanos > 0 && pending == null) {
            pause.run();
            pending = executor.schedule(this::resume, nanos, TimeUnit.NANOSECONDS);
        }
        return pending != null;
    }

    private void resume() {
        pending = null;
        resume.run();
    }

    @Override
    public boolean paused() {
        return pending != null;
    }

    @Override
    public void cancel() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }
}
