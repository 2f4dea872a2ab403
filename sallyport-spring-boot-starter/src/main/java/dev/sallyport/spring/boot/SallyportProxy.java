package dev.sallyport.spring.boot;

import dev.sallyport.core.ProxyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The proxy of a Spring application: starts with the application context and drains on its
 * shutdown. Inject it to reach the running {@link ProxyManager}:
 *
 * <pre>{@code
 * InetSocketAddress socks = sallyportProxy.manager().address("socks5");
 * sallyportProxy.manager().users().create("alice");
 * }</pre>
 *
 * <p>Shutdown ({@link #stop(Runnable)}) stops accepting, lets open tunnels and requests finish
 * for up to the drain timeout ({@code sallyport.drain-timeout}, else
 * {@code spring.lifecycle.timeout-per-shutdown-phase}, else 30 s) on a thread of its own, and
 * then tells the context it is done. It runs in the phase of the web server's graceful shutdown.
 * Thread-safe.
 */
public final class SallyportProxy implements SmartLifecycle, DisposableBean {

    /**
     * The phase of Spring Boot's web server graceful shutdown: the proxy drains while the web
     * server finishes its requests, and both are done before the server stops and before any
     * bean (a {@code DataSource}) is destroyed.
     */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1024;

    private static final Logger log = LoggerFactory.getLogger(SallyportProxy.class);

    private final Supplier<ProxyManager> starter;
    private final Duration drainTimeout;
    private volatile ProxyManager manager;
    private volatile boolean draining;

    SallyportProxy(Supplier<ProxyManager> starter, Duration drainTimeout) {
        this.starter = Objects.requireNonNull(starter, "starter");
        this.drainTimeout = Objects.requireNonNull(drainTimeout, "drainTimeout");
    }

    /**
     * The running proxy.
     *
     * @return the manager
     * @throws IllegalStateException before the context started it and after it stopped
     */
    public ProxyManager manager() {
        ProxyManager current = manager;
        if (current == null || current.isClosed()) {
            throw new IllegalStateException("sallyport: not running (expected: a started application context)");
        }
        return current;
    }

    /**
     * Whether shutdown began and open connections are still draining.
     *
     * @return whether the proxy is draining
     */
    public boolean isDraining() {
        return draining;
    }

    /**
     * How long shutdown waits for open connections.
     *
     * @return the drain timeout
     */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    /** Builds and starts the proxy: its listeners accept connections when this returns. */
    @Override
    public synchronized void start() {
        if (manager == null) {
            ProxyManager started = starter.get();
            manager = started;
            log.info("Sallyport proxy started: {}", started.addresses());
        }
    }

    /** Stops accepting and drains open connections, returning when they are closed. */
    @Override
    public void stop() {
        ProxyManager current = beginStop();
        if (current != null) {
            drain(current);
        }
    }

    /**
     * Stops accepting and drains open connections on a thread of its own; {@code callback} runs
     * once they are closed.
     *
     * @param callback told when the proxy stopped
     */
    @Override
    public void stop(Runnable callback) {
        ProxyManager current = beginStop();
        if (current == null) {
            callback.run();
            return;
        }
        Thread thread = new Thread(() -> {
            try {
                drain(current);
            } finally {
                callback.run();
            }
        }, "sallyport-drain");
        thread.setDaemon(true);
        thread.start();
    }

    private synchronized ProxyManager beginStop() {
        ProxyManager current = manager;
        if (current != null && !draining) {
            draining = true;
            log.info("Sallyport proxy draining (up to {})", drainTimeout);
            return current;
        }
        return null;
    }

    private void drain(ProxyManager current) {
        try {
            current.close(drainTimeout);
        } finally {
            synchronized (this) {
                draining = false;
                manager = null;
            }
            log.info("Sallyport proxy stopped");
        }
    }

    /**
     * Whether the proxy was started and has not finished stopping.
     *
     * @return whether it runs
     */
    @Override
    public boolean isRunning() {
        return manager != null;
    }

    /**
     * The phase of the web server's graceful shutdown.
     *
     * @return the lifecycle phase
     */
    @Override
    public int getPhase() {
        return PHASE;
    }

    /** Closes the proxy at once if the context is destroyed without having stopped it. */
    @Override
    public void destroy() {
        ProxyManager current = manager;
        if (current != null && !draining) {
            current.close(Duration.ZERO);
            manager = null;
        }
    }

    @Override
    public String toString() {
        ProxyManager current = manager;
        return "SallyportProxy" + (current == null ? "(stopped)" : current.toString().substring("ProxyManager".length()));
    }
}
