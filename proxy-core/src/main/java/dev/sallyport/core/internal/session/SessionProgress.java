package dev.sallyport.core.internal.session;

import dev.sallyport.api.MetricsSink;
import dev.sallyport.core.Ticker;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Tells the metrics sinks, once per {@link #INTERVAL} of the manager's {@link Ticker}, the bytes
 * each open session relayed so far ({@link MetricsSink#sessionProgress}), so that a sink can
 * account a long session while it runs. A check every {@link #CHECK} on one event loop reads the
 * ticker once; when an interval has passed, each open session gets one task on its own event
 * loop, where it is reported only while still open: its progress can never follow its summary.
 * Nothing runs on the relay path: the counts are the ones the relay keeps anyway.
 */
public final class SessionProgress {

    /** How often each open session is reported. */
    public static final Duration INTERVAL = Duration.ofMinutes(1);
    /** How often the ticker is read; a fake ticker moved forward is noticed within this. */
    static final Duration CHECK = Duration.ofSeconds(1);

    private final LiveSessions sessions;
    private final MetricsSink sink;
    private final Ticker ticker;
    private final long intervalNanos;
    private long lastNanos;
    private ScheduledFuture<?> check;

    private SessionProgress(LiveSessions sessions, MetricsSink sink, Ticker ticker, Duration interval) {
        this.sessions = sessions;
        this.sink = sink;
        this.ticker = ticker;
        this.intervalNanos = interval.toNanos();
        this.lastNanos = ticker.read();
    }

    /** Starts the checks on {@code loop}; they stop when the loop shuts down. */
    public static SessionProgress start(EventLoop loop, LiveSessions sessions, MetricsSink sink, Ticker ticker) {
        SessionProgress progress = new SessionProgress(sessions, sink, ticker, INTERVAL);
        long check = CHECK.toNanos();
        progress.check = loop.scheduleAtFixedRate(progress::check, check, check, TimeUnit.NANOSECONDS);
        return progress;
    }

    /** On the checking loop only. */
    private void check() {
        long now = ticker.read();
        if (now - lastNanos < intervalNanos) {
            return;
        }
        lastNanos = now;
        for (Attempt attempt : sessions.openAttempts()) {
            try {
                attempt.session.channel().eventLoop().execute(() -> {
                    if (sessions.isOpen(attempt)) {
                        sink.sessionProgress(attempt.snapshot());
                    }
                });
            } catch (RejectedExecutionException shuttingDown) {
                return;
            }
        }
    }

    /** Stops the checks. */
    public void stop() {
        if (check != null) {
            check.cancel(false);
        }
    }
}
