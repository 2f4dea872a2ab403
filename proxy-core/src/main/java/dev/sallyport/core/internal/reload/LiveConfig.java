package dev.sallyport.core.internal.reload;

import dev.sallyport.core.internal.Settings;
import dev.sallyport.core.internal.policy.InMemoryUserStore;
import io.netty.handler.ssl.SslContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a reload may change in a running manager besides its rules and default limits (which
 * the engine and {@code UserLimits} hold): the listeners' TLS contexts, read once per accepted
 * connection, and the configured in-memory users. Also owns what reloads built from providers,
 * closed with the manager (a rule replaced by a reload may still be deciding for a session).
 */
public final class LiveConfig implements AutoCloseable {

    /** Serializes reloads. */
    final Object lock = new Object();
    private volatile Map<String, SslContext> tls;
    private ConfiguredUsers users;
    /** Guarded by {@link #lock}. */
    private final List<AutoCloseable> created = new ArrayList<>();

    public LiveConfig(Map<String, SslContext> tls) {
        this.tls = Map.copyOf(tls);
    }

    /** The TLS context a new connection to {@code listener} gets, or null for plaintext. */
    public SslContext tls(String listener) {
        return tls.get(listener);
    }

    Map<String, SslContext> tls() {
        return tls;
    }

    void tls(Map<String, SslContext> contexts) {
        tls = Map.copyOf(contexts);
    }

    /**
     * Puts the configuration's users into {@code store}, the in-memory store that checks logins,
     * without hashing any password (plaintext ones are hashed on their first check).
     */
    public void users(InMemoryUserStore store, List<Map.Entry<String, String>> initial, Set<String> hashed) {
        synchronized (lock) {
            users = new ConfiguredUsers(store);
            users.apply(initial, hashed);
        }
    }

    /** The configured users, or null when logins use no in-memory store. */
    ConfiguredUsers users() {
        return users;
    }

    void adopt(List<AutoCloseable> instances) {
        created.addAll(instances);
    }

    @Override
    public void close() {
        synchronized (lock) {
            Settings.closeQuietly(created);
            created.clear();
        }
    }
}
