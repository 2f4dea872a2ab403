package dev.sallyport.core.internal;

import dev.sallyport.api.LiveSession;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** Fans events out to every sink; a sink that throws is logged once and never breaks a session. */
public final class CompositeMetrics implements MetricsSink {

    private static final Logger log = LoggerFactory.getLogger(CompositeMetrics.class);

    private final MetricsSink[] sinks;
    private final AtomicBoolean[] reported;

    CompositeMetrics(List<MetricsSink> sinks) {
        this.sinks = sinks.toArray(MetricsSink[]::new);
        this.reported = new AtomicBoolean[this.sinks.length];
        for (int i = 0; i < reported.length; i++) {
            reported[i] = new AtomicBoolean();
        }
    }

    private void each(Consumer<MetricsSink> call) {
        for (int i = 0; i < sinks.length; i++) {
            try {
                call.accept(sinks[i]);
            } catch (RuntimeException e) {
                if (reported[i].compareAndSet(false, true)) {
                    log.warn("Metrics sink {} threw; further failures of this sink are not logged", sinks[i], e);
                }
            }
        }
    }

    boolean isEmpty() {
        return sinks.length == 0;
    }

    @Override
    public void connectionOpened(Protocol protocol) {
        if (sinks.length > 0) {
            each(s -> s.connectionOpened(protocol));
        }
    }

    @Override
    public void connectionClosed(Protocol protocol) {
        if (sinks.length > 0) {
            each(s -> s.connectionClosed(protocol));
        }
    }

    @Override
    public void handshakeCompleted(Protocol protocol, Duration duration) {
        if (sinks.length > 0) {
            each(s -> s.handshakeCompleted(protocol, duration));
        }
    }

    @Override
    public void authFailed(Protocol protocol, String reason) {
        if (sinks.length > 0) {
            each(s -> s.authFailed(protocol, reason));
        }
    }

    @Override
    public void rejected(Protocol protocol, String reason) {
        if (sinks.length > 0) {
            each(s -> s.rejected(protocol, reason));
        }
    }

    @Override
    public void connected(Protocol protocol, Duration duration) {
        if (sinks.length > 0) {
            each(s -> s.connected(protocol, duration));
        }
    }

    @Override
    public void sessionProgress(LiveSession session) {
        if (sinks.length > 0) {
            each(s -> s.sessionProgress(session));
        }
    }

    @Override
    public void sessionClosed(SessionSummary summary) {
        if (sinks.length > 0) {
            each(s -> s.sessionClosed(summary));
        }
    }

    @Override
    public void forwardAuth(String outcome) {
        if (sinks.length > 0) {
            each(s -> s.forwardAuth(outcome));
        }
    }

    @Override
    public void upstreamConnect(String upstream, Outcome outcome, Duration duration) {
        if (sinks.length > 0) {
            each(s -> s.upstreamConnect(upstream, outcome, duration));
        }
    }

    @Override
    public void upstreamState(String upstream, boolean up) {
        if (sinks.length > 0) {
            each(s -> s.upstreamState(upstream, up));
        }
    }

    @Override
    public void upstreamActive(String upstream, int active) {
        if (sinks.length > 0) {
            each(s -> s.upstreamActive(upstream, active));
        }
    }
}
