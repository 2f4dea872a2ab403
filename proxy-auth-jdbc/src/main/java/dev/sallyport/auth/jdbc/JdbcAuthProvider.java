package dev.sallyport.auth.jdbc;

import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthBackendProvider;

import java.util.Map;

/**
 * The {@code jdbc} auth provider, for {@code ProxyManager.builder().auth("jdbc", settings)} and
 * {@code serve --auth jdbc}. Builds a {@link JdbcStore} (which is also the manager's user store)
 * over a HikariCP pool of its own and migrates the schema.
 *
 * <p>Settings: {@code url} (required, {@code jdbc:postgresql://HOST[:PORT]/DATABASE}),
 * {@code user}, {@code password}, {@code threads}, {@code migrate} ({@code true}/{@code false}),
 * and for accounting {@code batchSize}, {@code bufferSize}, {@code flushIntervalMillis},
 * {@code maxBackoffMillis}, and for the pool {@code poolSize}, {@code connectionTimeoutMillis},
 * {@code maxLifetimeMillis} (see {@link JdbcStore#fromSettings}).
 * An unknown or malformed setting throws {@link IllegalArgumentException} naming it.
 *
 * <p>Public only because {@link java.util.ServiceLoader} requires it; use {@link JdbcStore} in code.
 */
public final class JdbcAuthProvider implements AuthBackendProvider {

    /** For {@link java.util.ServiceLoader}. */
    public JdbcAuthProvider() {
    }

    @Override
    public String name() {
        return "jdbc";
    }

    @Override
    public AuthBackend create(Map<String, String> settings) {
        return ProviderSettings.store("auth jdbc", settings);
    }
}
