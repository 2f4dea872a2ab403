package dev.sallyport.auth.jdbc;

import dev.sallyport.api.LiveSession;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.MetricsSinkProvider;
import dev.sallyport.api.SessionSummary;

import java.util.Map;

/**
 * The {@code jdbc} metrics provider, for {@code ProxyManager.builder().metrics("jdbc", settings)}:
 * the access log and hourly usage of {@link JdbcStore#accounting()}, with the same settings as
 * {@link JdbcAuthProvider}. The sink it returns is {@link AutoCloseable}; closing it writes what
 * is buffered and stops its store.
 *
 * <p>Public only because {@link java.util.ServiceLoader} requires it; use {@link JdbcStore} in code.
 */
public final class JdbcAccountingProvider implements MetricsSinkProvider {

    /** For {@link java.util.ServiceLoader}. */
    public JdbcAccountingProvider() {
    }

    @Override
    public String name() {
        return "jdbc";
    }

    @Override
    public MetricsSink create(Map<String, String> settings) {
        return new OwningSink(ProviderSettings.store("metrics jdbc", settings));
    }

    /** The accounting sink of a store it owns. */
    private static final class OwningSink implements MetricsSink, AutoCloseable {
        private final JdbcStore store;
        private final MetricsSink sink;

        OwningSink(JdbcStore store) {
            this.store = store;
            this.sink = store.accounting();
        }

        @Override
        public void sessionProgress(LiveSession session) {
            sink.sessionProgress(session);
        }

        @Override
        public void sessionClosed(SessionSummary summary) {
            sink.sessionClosed(summary);
        }

        @Override
        public void close() {
            store.close();
        }

        @Override
        public String toString() {
            return "JdbcAccountingSink";
        }
    }
}
