package dev.sallyport.core;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthBackendProvider;
import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.MetricsSinkProvider;
import dev.sallyport.api.UserStore;
import dev.sallyport.core.spi.Frontend;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The configuration of one manager, sealed at start. {@link #from} is the one place that checks
 * cross-field rules.
 */
record Settings(InetAddress bind, Map<String, Integer> ports, Map<String, List<Frontend>> frontends,
                boolean authenticationRequired, List<AuthBackend> authBackends, UserStore userStore,
                List<Map.Entry<String, String>> initialUsers, List<AccessRule> accessRules,
                List<MetricsSink> metrics, ConnectionPool connectionPool, Resolver resolver,
                Duration handshakeTimeout, Duration connectTimeout, Duration idleTimeout,
                Duration drainTimeout, Duration authCacheTtl, boolean nativeTransport, int ioThreads) {

    static Settings from(ProxyManager.Builder b) {
        if (b.listeners.isEmpty()) {
            throw new IllegalStateException("listeners: none configured (expected: at least one, e.g. builder().socks5(1080))");
        }
        Map<String, List<Frontend>> frontends = new LinkedHashMap<>();
        for (String name : b.listeners.keySet()) {
            frontends.put(name, Providers.frontends(name, b.classLoader));
        }

        List<AuthBackend> backends = new ArrayList<>(b.authBackends);
        for (ProxyManager.ProviderRef ref : b.authProviders) {
            backends.add(Providers.create(AuthBackendProvider.class, "auth", ref.name(), ref.settings(), b.classLoader));
        }
        List<MetricsSink> sinks = new ArrayList<>(b.metrics);
        if (b.accessLog) {
            sinks.add(new AccessLog());
        }
        for (ProxyManager.ProviderRef ref : b.metricsProviders) {
            sinks.add(Providers.create(MetricsSinkProvider.class, "metrics", ref.name(), ref.settings(), b.classLoader));
        }

        boolean authRequired = b.requireAuthentication || !backends.isEmpty() || !b.initialUsers.isEmpty();
        if (!b.initialUsers.isEmpty() && !backends.isEmpty()) {
            throw new IllegalStateException("user: in-memory users cannot be combined with auth(...) backends "
                    + "(expected: create the users in the backend's store, or drop auth(...))");
        }
        if (!authRequired && !b.allowOpenProxy && !b.bind.isLoopbackAddress()) {
            throw new IllegalStateException("bind: " + b.bind.getHostAddress() + " is not a loopback address and no "
                    + "authentication is configured, so anyone who reaches it could use this proxy (expected: add "
                    + "user(...) or auth(...), or call allowOpenProxy(true) to run an open proxy on purpose)");
        }

        UserStore store = b.userStore;
        if (store == null) {
            for (AuthBackend backend : backends) {
                if (backend instanceof UserStore s) {
                    store = s;
                    break;
                }
            }
        }
        return new Settings(b.bind, Collections.unmodifiableMap(new LinkedHashMap<>(b.listeners)),
                Collections.unmodifiableMap(frontends), authRequired, List.copyOf(backends), store,
                List.copyOf(b.initialUsers), List.copyOf(b.accessRules), List.copyOf(sinks), b.connectionPool,
                b.resolver, b.handshakeTimeout, b.connectTimeout, b.idleTimeout, b.drainTimeout, b.authCacheTtl,
                b.nativeTransport, b.ioThreads);
    }
}
