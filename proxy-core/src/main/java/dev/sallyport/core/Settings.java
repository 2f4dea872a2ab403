package dev.sallyport.core;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthBackendProvider;
import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.Limits;
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
                Duration drainTimeout, Duration authCacheTtl, boolean nativeTransport, int ioThreads,
                List<AutoCloseable> providerInstances, Limits defaultLimits, int maxConnections,
                int maxConnectionsPerClient, int maxLoginFailures, Duration loginFailureWindow, Duration lockoutDuration,
                Duration loginBackoff, Duration maxSessionDuration, Ticker ticker, Map<String, String> frontendOptions,
                Map<String, io.netty.handler.ssl.SslContext> tls, Duration authCacheNegativeTtl) {

    static Settings from(ProxyManager.Builder b) {
        if (b.listeners.isEmpty()) {
            throw new IllegalStateException("listeners: none configured (expected: at least one, e.g. builder().socks5(1080))");
        }
        Map<String, List<Frontend>> frontends = new LinkedHashMap<>();
        for (String name : b.listeners.keySet()) {
            frontends.put(name, Providers.frontends(name, b.classLoader));
        }

        // Instances built from providers are ours to close; instances the host passed are not.
        List<AutoCloseable> created = new ArrayList<>();
        List<AuthBackend> backends = new ArrayList<>(b.authBackends);
        List<MetricsSink> sinks = new ArrayList<>(b.metrics);
        try {
            for (ProxyManager.ProviderRef ref : b.authProviders) {
                AuthBackend backend = Providers.create(AuthBackendProvider.class, "auth", ref.name(), ref.settings(), b.classLoader);
                backends.add(backend);
                if (backend instanceof AutoCloseable closeable) {
                    created.add(closeable);
                }
            }
            if (b.accessLog) {
                sinks.add(new AccessLog());
            }
            for (ProxyManager.ProviderRef ref : b.metricsProviders) {
                MetricsSink sink = Providers.create(MetricsSinkProvider.class, "metrics", ref.name(), ref.settings(), b.classLoader);
                sinks.add(sink);
                if (sink instanceof AutoCloseable closeable) {
                    created.add(closeable);
                }
            }
        } catch (RuntimeException | Error e) {
            closeQuietly(created);
            throw e;
        }

        boolean authRequired = b.requireAuthentication || !backends.isEmpty() || !b.initialUsers.isEmpty();
        if (!b.initialUsers.isEmpty() && !backends.isEmpty()) {
            closeQuietly(created);
            throw new IllegalStateException("user: in-memory users cannot be combined with auth(...) backends "
                    + "(expected: create the users in the backend's store, or drop auth(...))");
        }
        if (!authRequired && !b.allowOpenProxy && !b.bind.isLoopbackAddress()) {
            closeQuietly(created);
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
                b.nativeTransport, b.ioThreads, List.copyOf(created), b.defaultLimits, b.maxConnections,
                b.maxConnectionsPerClient, b.maxLoginFailures, b.loginFailureWindow, b.lockoutDuration, b.loginBackoff,
                b.maxSessionDuration, b.ticker, Map.copyOf(b.frontendOptions), tlsContexts(b), b.authCacheNegativeTtl);
    }

    private static Map<String, io.netty.handler.ssl.SslContext> tlsContexts(ProxyManager.Builder b) {
        Map<String, io.netty.handler.ssl.SslContext> contexts = new LinkedHashMap<>();
        for (Map.Entry<String, ProxyManager.TlsSource> entry : b.tls.entrySet()) {
            String listener = entry.getKey();
            if (!b.listeners.containsKey(listener)) {
                throw new IllegalStateException("tls: no listener named '" + listener + "' (expected one of: "
                        + b.listeners.keySet() + ")");
            }
            ProxyManager.TlsSource source = entry.getValue();
            try {
                io.netty.handler.ssl.SslContextBuilder builder;
                if (source.keyStore() != null) {
                    javax.net.ssl.KeyManagerFactory keys = javax.net.ssl.KeyManagerFactory.getInstance(
                            javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
                    keys.init(source.keyStore(), source.keyPassword());
                    builder = io.netty.handler.ssl.SslContextBuilder.forServer(keys);
                } else {
                    builder = io.netty.handler.ssl.SslContextBuilder.forServer(source.certificateChainPem().toFile(),
                            source.privateKeyPem().toFile());
                }
                contexts.put(listener, builder.sslProvider(io.netty.handler.ssl.SslProvider.JDK).build());
            } catch (javax.net.ssl.SSLException | java.security.GeneralSecurityException | IllegalArgumentException e) {
                throw new IllegalStateException("tls: cannot load the key and certificates of listener '" + listener
                        + "' (" + e.getMessage() + "; expected: a PEM certificate chain and a PKCS#8 PEM key, "
                        + "or a key store holding one key entry)", e);
            }
        }
        return Map.copyOf(contexts);
    }

    static void closeQuietly(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception ignored) {
                // Start is failing already; the original error is the one to report.
            }
        }
    }
}
