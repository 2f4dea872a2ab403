package dev.sallyport.core;

import dev.sallyport.core.internal.net.PoolingConnectionPool;

import dev.sallyport.api.ConnectionPool;

import java.time.Duration;
import java.util.Objects;

/**
 * The {@link ConnectionPool}s core provides, for {@link ProxyManager.Builder#connectionPool}.
 *
 * <pre>{@code
 * ProxyManager proxy = ProxyManager.builder()
 *     .http(8080)
 *     .connectionPool(ConnectionPools.pooled(8, Duration.ofSeconds(60)))
 *     .start();
 * }</pre>
 */
public final class ConnectionPools {

    /** The longest idle timeout accepted: far beyond any origin's own keep-alive timeout. */
    private static final Duration MAX_IDLE_TIMEOUT = Duration.ofDays(365);

    private ConnectionPools() {
    }

    /**
     * Dials a new connection for every session and closes it on release: {@link ConnectionPool#direct()}.
     *
     * @return the pool
     */
    public static ConnectionPool direct() {
        return ConnectionPool.direct();
    }

    /**
     * A pool that keeps keep-alive origin connections for reuse by later requests (HTTP forward
     * proxying; tunnels are never returned as reusable and always get a connection of their own).
     *
     * <ul>
     *   <li>Idle connections are kept per I/O thread and per resolved origin address (IP and
     *       port): a request reuses a connection only to the exact address its access rules
     *       checked, and only one on its own event loop.</li>
     *   <li>At most {@code maxIdlePerOrigin} idle connections per origin and I/O thread; returning
     *       one more closes the oldest. The most recently used connection is lent first.</li>
     *   <li>An idle connection is closed after {@code idleTimeout}, and at once when the origin
     *       closes it or sends anything unasked, so such a connection is never lent out.</li>
     *   <li>A connection given back as not reusable (a response not read to its end, an error,
     *       {@code Connection: close}) is closed, never kept.</li>
     * </ul>
     *
     * <p>Thread-safe; one instance may serve several proxies. Idle connections close with the
     * event loops they are registered on.
     *
     * @param maxIdlePerOrigin idle connections kept per origin address and I/O thread; at least 1
     * @param idleTimeout      how long an unused connection is kept; positive, at most 365 days
     * @return the pool
     * @throws IllegalArgumentException when {@code maxIdlePerOrigin < 1} or {@code idleTimeout} is
     *                                  zero, negative or longer than 365 days
     * @throws NullPointerException     when {@code idleTimeout} is null
     */
    public static ConnectionPool pooled(int maxIdlePerOrigin, Duration idleTimeout) {
        if (maxIdlePerOrigin < 1) {
            throw new IllegalArgumentException("maxIdlePerOrigin: " + maxIdlePerOrigin + " (expected: >= 1)");
        }
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: > 0)");
        }
        if (idleTimeout.compareTo(MAX_IDLE_TIMEOUT) > 0) {
            throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: <= " + MAX_IDLE_TIMEOUT + ")");
        }
        return new PoolingConnectionPool(maxIdlePerOrigin, idleTimeout);
    }
}
