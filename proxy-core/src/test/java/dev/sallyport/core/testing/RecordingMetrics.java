package dev.sallyport.core.testing;

import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A metrics sink that records what it is told, for assertions. */
public final class RecordingMetrics implements MetricsSink {

    private final BlockingQueue<SessionSummary> summaries = new LinkedBlockingQueue<>();
    private final List<String> authFailures = new CopyOnWriteArrayList<>();
    private final List<String> rejections = new CopyOnWriteArrayList<>();

    @Override
    public void authFailed(Protocol protocol, String reason) {
        authFailures.add(protocol.id() + ":" + reason);
    }

    @Override
    public void rejected(Protocol protocol, String reason) {
        rejections.add(protocol.id() + ":" + reason);
    }

    @Override
    public void sessionClosed(SessionSummary summary) {
        summaries.add(summary);
    }

    /** The next session summary, waiting up to 10 s. */
    public SessionSummary nextSummary() throws InterruptedException {
        SessionSummary summary = summaries.poll(10, TimeUnit.SECONDS);
        if (summary == null) {
            throw new AssertionError("no session summary within 10 s");
        }
        return summary;
    }

    /** A summary if one is already there. */
    public SessionSummary pollSummary(Duration wait) throws InterruptedException {
        return summaries.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    public List<String> authFailures() {
        return authFailures;
    }

    public List<String> rejections() {
        return rejections;
    }
}
