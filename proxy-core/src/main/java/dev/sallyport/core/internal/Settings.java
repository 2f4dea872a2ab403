package dev.sallyport.core.internal;

import dev.sallyport.core.IoTransport;
import dev.sallyport.core.ProtocolOptions;
import dev.sallyport.core.Resolver;
import dev.sallyport.core.Routing;
import dev.sallyport.core.Ticker;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.AccessRuleProvider;
import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthBackendProvider;
import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.ConnectionPoolProvider;
import dev.sallyport.api.Limits;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.MetricsSinkProvider;
import dev.sallyport.api.SessionListener;
import dev.sallyport.api.SharedLimits;
import dev.sallyport.api.UserStore;
import dev.sallyport.core.spi.Frontend;
import io.netty.handler.ssl.SslContext;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The configuration of one manager, sealed at start: the builder's {@link Config} copied into
 * named immutable fields, plus what start derives from it (frontends, backends, sinks, TLS
 * contexts). {@link #from} is the one place that checks cross-field rules.
 */
public final class Settings {

    /** {@link #maxConnectionsPerClient()} beyond loopback, unless set. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 256;
    /** {@link #maxBindListeners()} beyond loopback, unless set. */
    public static final int DEFAULT_MAX_BIND_LISTENERS = 16;

    private final InetAddress bind;
    private final Map<String, Integer> ports;
    private final Map<String, List<Frontend>> frontends;
    private final boolean authenticationRequired;
    private final List<AuthBackend> authBackends;
    private final UserStore userStore;
    private final List<Map.Entry<String, String>> initialUsers;
    private final List<AccessRule> accessRules;
    private final List<MetricsSink> metrics;
    private final ConnectionPool connectionPool;
    private final Resolver resolver;
    private final Duration handshakeTimeout;
    private final Duration connectTimeout;
    private final Duration idleTimeout;
    private final Duration drainTimeout;
    private final Duration authCacheTtl;
    private final Duration authCacheNegativeTtl;
    private final IoTransport transport;
    private final int ioThreads;
    private final List<AutoCloseable> providerInstances;
    private final Limits defaultLimits;
    private final int maxConnections;
    private final int maxConnectionsPerClient;
    private final int maxLoginFailures;
    private final Duration loginFailureWindow;
    private final Duration lockoutDuration;
    private final Duration loginBackoff;
    private final Duration maxSessionDuration;
    private final Ticker ticker;
    private final Map<Class<? extends ProtocolOptions>, ProtocolOptions> protocolOptions;
    private final Map<String, SslContext> tls;
    private final int maxLoginFailuresPerClient;
    private final int loginIpv6Prefix;
    private final int maxConcurrentLoginChecks;
    private final List<InetSocketAddress> protectedAddresses;
    private final int maxBindListeners;
    private final boolean denyLocalTargets;
    private final List<String> warnings;
    private final List<SessionListener> sessionListeners;
    private final SharedLimits sharedLimits;
    private final Map<String, ProxyProtocolPolicy> proxyProtocol;
    private final int upstreamProxyProtocol;
    private final java.util.Set<String> hashedUsers;
    private final Routing routing;

    private Settings(Config c, Map<String, List<Frontend>> frontends, boolean authenticationRequired,
                     List<AuthBackend> authBackends, UserStore userStore, List<MetricsSink> metrics,
                     List<AutoCloseable> providerInstances, Map<String, SslContext> tls,
                     List<AccessRule> accessRules, ConnectionPool connectionPool) {
        this.bind = c.bind;
        this.ports = Collections.unmodifiableMap(new LinkedHashMap<>(c.listeners));
        this.frontends = Collections.unmodifiableMap(frontends);
        this.authenticationRequired = authenticationRequired;
        this.authBackends = List.copyOf(authBackends);
        this.userStore = userStore;
        this.initialUsers = List.copyOf(c.initialUsers);
        this.accessRules = List.copyOf(accessRules);
        this.metrics = List.copyOf(metrics);
        this.connectionPool = connectionPool;
        this.resolver = c.resolver;
        this.handshakeTimeout = c.handshakeTimeout;
        this.connectTimeout = c.connectTimeout;
        this.idleTimeout = c.idleTimeout;
        this.drainTimeout = c.drainTimeout;
        this.authCacheTtl = c.authCacheTtl;
        this.authCacheNegativeTtl = c.authCacheNegativeTtl;
        this.transport = c.nativeTransport ? c.transport : IoTransport.NIO;
        this.ioThreads = c.ioThreads;
        this.providerInstances = List.copyOf(providerInstances);
        this.defaultLimits = c.defaultLimits;
        // Clients named by a PROXY header are wherever the balancer took them from: remote.
        boolean beyondLoopback = !c.bind.isLoopbackAddress() || proxyProtocolOn(c);
        this.maxConnections = c.maxConnections != Config.BY_BIND ? c.maxConnections
                : beyondLoopback ? connectionCapFor(processFileLimit()) : 0;
        this.maxConnectionsPerClient = c.maxConnectionsPerClient != Config.BY_BIND ? c.maxConnectionsPerClient
                : beyondLoopback ? DEFAULT_MAX_CONNECTIONS_PER_CLIENT : 0;
        this.maxLoginFailures = c.maxLoginFailures;
        this.loginFailureWindow = c.loginFailureWindow;
        this.lockoutDuration = c.lockoutDuration;
        this.loginBackoff = c.loginBackoff;
        this.maxSessionDuration = c.maxSessionDuration;
        this.ticker = c.ticker;
        this.protocolOptions = Map.copyOf(c.protocolOptions);
        this.tls = tls;
        this.maxLoginFailuresPerClient = c.maxLoginFailuresPerClient;
        this.loginIpv6Prefix = c.loginIpv6Prefix;
        this.maxConcurrentLoginChecks = c.maxConcurrentLoginChecks;
        this.protectedAddresses = List.copyOf(c.protectedAddresses);
        this.maxBindListeners = c.maxBindListeners != Config.BY_BIND ? c.maxBindListeners
                : beyondLoopback ? DEFAULT_MAX_BIND_LISTENERS : 0;
        this.denyLocalTargets = beyondLoopback;
        this.warnings = beyondLoopback && !authenticationRequired
                ? List.of("Open proxy on " + c.bind.getHostAddress() + (c.bind.isLoopbackAddress()
                        ? " for the remote clients that PROXY protocol headers name" : ", beyond loopback")
                        + ": anyone who reaches it may use it without logging in (allowOpenProxy(true); --allow-open-proxy)")
                : List.of();
        this.sessionListeners = List.copyOf(c.sessionListeners);
        this.sharedLimits = c.sharedLimits;
        Map<String, ProxyProtocolPolicy> policies = new LinkedHashMap<>();
        for (String listener : c.listeners.keySet()) {
            ProxyProtocolPolicy policy = c.proxyProtocol.getOrDefault(listener, c.proxyProtocolAll);
            if (policy != null) {
                policies.put(listener, policy);
            }
        }
        this.proxyProtocol = Collections.unmodifiableMap(policies);
        this.upstreamProxyProtocol = c.upstreamProxyProtocol;
        this.hashedUsers = java.util.Set.copyOf(c.hashedUsers);
        this.routing = c.routing;
    }

    /**
     * Client connections that fit in a process limit of {@code fileLimit} descriptors: two each
     * (the client's and the target's), after a reserve of a tenth of the limit, at least 256, for
     * the JVM, the listeners, DNS and the replies that refuse connections over the cap. 0 (no cap)
     * when the limit is unknown.
     */
    public static int connectionCapFor(long fileLimit) {
        if (fileLimit <= 0) {
            return 0;
        }
        long cap = (fileLimit - Math.max(256, fileLimit / 10)) / 2;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, cap));
    }

    /** The process's limit on open file descriptors, or -1 where the JVM does not tell. */
    public static long processFileLimit() {
        try {
            return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : -1;
        } catch (LinkageError notThisJvm) {
            return -1;
        }
    }

    public static Settings from(Config b) {
        if (b.listeners.isEmpty()) {
            throw new IllegalStateException("listeners: none configured (expected: at least one, e.g. builder().socks5(1080))");
        }
        for (String listener : b.proxyProtocol.keySet()) {
            if (!b.listeners.containsKey(listener)) {
                throw new IllegalStateException("proxyProtocol: no listener named '" + listener + "' (expected one of: "
                        + b.listeners.keySet() + ")");
            }
        }
        Map<String, List<Frontend>> frontends = new LinkedHashMap<>();
        for (String name : b.listeners.keySet()) {
            frontends.put(name, Providers.frontends(name, b.classLoader));
        }

        Map<String, SslContext> tls = TlsContexts.of(b);
        // Instances built from providers are ours to close; instances the host passed are not.
        // Built after every check that needs none of them; any failure from here closes them.
        List<AutoCloseable> created = new ArrayList<>();
        try {
            return from(b, frontends, tls, created);
        } catch (RuntimeException | Error e) {
            closeQuietly(created);
            throw e;
        }
    }

    /** Whether some listener reads PROXY protocol headers, whose clients are remote whatever the bind. */
    private static boolean proxyProtocolOn(Config c) {
        return c.proxyProtocolAll != null || c.proxyProtocol.keySet().stream().anyMatch(c.listeners::containsKey);
    }

    private static Settings from(Config b, Map<String, List<Frontend>> frontends, Map<String, SslContext> tls,
                                 List<AutoCloseable> created) {
        List<AuthBackend> backends = new ArrayList<>(b.authBackends);
        List<MetricsSink> sinks = new ArrayList<>(b.metrics);
        List<AccessRule> rules = new ArrayList<>(b.accessRules);
        ConnectionPool pool = b.connectionPool;
        for (Config.ProviderRef ref : b.authProviders) {
            backends.add(Providers.createOwned(AuthBackendProvider.class, ref, b.classLoader, created));
        }
        if (b.accessLog) {
            sinks.add(new AccessLog());
        }
        for (Config.ProviderRef ref : b.metricsProviders) {
            sinks.add(Providers.createOwned(MetricsSinkProvider.class, ref, b.classLoader, created));
        }
        // Each named rule goes where it was configured among the instances: after `position` of them.
        int placed = 0;
        for (Config.PlacedProvider named : b.accessRuleProviders) {
            rules.add(named.position() + placed++,
                    Providers.createOwned(AccessRuleProvider.class, named.provider(), b.classLoader, created));
        }
        if (b.connectionPoolProvider != null) {
            pool = Providers.createOwned(ConnectionPoolProvider.class, b.connectionPoolProvider, b.classLoader, created);
        }

        boolean authRequired = b.requireAuthentication || !backends.isEmpty() || !b.initialUsers.isEmpty();
        if (!b.initialUsers.isEmpty() && !backends.isEmpty()) {
            throw new IllegalStateException("user: in-memory users cannot be combined with auth(...) backends "
                    + "(expected: create the users in the backend's store, or drop auth(...))");
        }
        if (!authRequired && !b.allowOpenProxy && (!b.bind.isLoopbackAddress() || proxyProtocolOn(b))) {
            throw new IllegalStateException((b.bind.isLoopbackAddress()
                    ? "proxyProtocol: the clients that PROXY protocol headers name are remote"
                    : "bind: " + b.bind.getHostAddress() + " is not a loopback address")
                    + " and no authentication is configured, so anyone who reaches it could use this proxy (expected: "
                    + "add user(...) or auth(...), or call allowOpenProxy(true) to run an open proxy on purpose)");
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
        return new Settings(b, frontends, authRequired, backends, store, sinks, created, tls, rules, pool);
    }

    public static void closeQuietly(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception ignored) {
                // Start is failing already; the original error is the one to report.
            }
        }
    }

    public InetAddress bind() {
        return bind;
    }

    public Map<String, Integer> ports() {
        return ports;
    }

    public Map<String, List<Frontend>> frontends() {
        return frontends;
    }

    public boolean authenticationRequired() {
        return authenticationRequired;
    }

    public List<AuthBackend> authBackends() {
        return authBackends;
    }

    public UserStore userStore() {
        return userStore;
    }

    /**
     * Why no store is behind {@code users()} when none was set and no backend is one: a store
     * nobody logs in with would take users that can never log in.
     */
    public String whyNoUserStore() {
        if (!authenticationRequired) {
            return "users: authentication is off, so a user created here could never log in (expected: user(...) or "
                    + "requireAuthentication(true) for the in-memory store, userStore(...), or auth(...) with a backend "
                    + "that is a UserStore)";
        }
        return "users: no auth backend is a UserStore (backends: " + authBackends.stream().map(AuthBackend::name).toList()
                + "), so a user created here could never log in (expected: userStore(...) with the store behind the "
                + "backend, or an auth backend that is a UserStore)";
    }

    public List<Map.Entry<String, String>> initialUsers() {
        return initialUsers;
    }

    public List<AccessRule> accessRules() {
        return accessRules;
    }

    public List<MetricsSink> metrics() {
        return metrics;
    }

    public ConnectionPool connectionPool() {
        return connectionPool;
    }

    public Resolver resolver() {
        return resolver;
    }

    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration idleTimeout() {
        return idleTimeout;
    }

    public Duration drainTimeout() {
        return drainTimeout;
    }

    public Duration authCacheTtl() {
        return authCacheTtl;
    }

    public Duration authCacheNegativeTtl() {
        return authCacheNegativeTtl;
    }

    public IoTransport transport() {
        return transport;
    }

    public int ioThreads() {
        return ioThreads;
    }

    public List<AutoCloseable> providerInstances() {
        return providerInstances;
    }

    public Limits defaultLimits() {
        return defaultLimits;
    }

    public int maxConnections() {
        return maxConnections;
    }

    public int maxConnectionsPerClient() {
        return maxConnectionsPerClient;
    }

    public int maxLoginFailures() {
        return maxLoginFailures;
    }

    public Duration loginFailureWindow() {
        return loginFailureWindow;
    }

    public Duration lockoutDuration() {
        return lockoutDuration;
    }

    public Duration loginBackoff() {
        return loginBackoff;
    }

    public Duration maxSessionDuration() {
        return maxSessionDuration;
    }

    public Ticker ticker() {
        return ticker;
    }

    public Map<Class<? extends ProtocolOptions>, ProtocolOptions> protocolOptions() {
        return protocolOptions;
    }

    public Map<String, SslContext> tls() {
        return tls;
    }

    public int maxLoginFailuresPerClient() {
        return maxLoginFailuresPerClient;
    }

    public int loginIpv6Prefix() {
        return loginIpv6Prefix;
    }

    public int maxConcurrentLoginChecks() {
        return maxConcurrentLoginChecks;
    }

    /** Host addresses denied as targets like the listeners. */
    public List<InetSocketAddress> protectedAddresses() {
        return protectedAddresses;
    }

    /** BIND listeners waiting at once per user (per client IP without authentication); 0 for no cap. */
    public int maxBindListeners() {
        return maxBindListeners;
    }

    /** Whether loopback and the host's own addresses are denied as targets (a listener beyond loopback). */
    public boolean denyLocalTargets() {
        return denyLocalTargets;
    }

    /** Operator-actionable problems with this configuration, logged at WARN at start. */
    public List<String> warnings() {
        return warnings;
    }

    /** The host's session listeners, in the order added. */
    public List<SessionListener> sessionListeners() {
        return sessionListeners;
    }

    /** Fleet-wide limits on top of the per-instance ones; {@link SharedLimits#NONE} when not configured. */
    public SharedLimits sharedLimits() {
        return sharedLimits;
    }

    /** PROXY protocol by listener name; a listener without an entry speaks none. */
    public Map<String, ProxyProtocolPolicy> proxyProtocol() {
        return proxyProtocol;
    }

    /** The PROXY protocol version written to targets: 0 for none, 1 or 2. */
    public int upstreamProxyProtocol() {
        return upstreamProxyProtocol;
    }

    /** The names among {@link #initialUsers()} given as a password hash. */
    public java.util.Set<String> hashedUsers() {
        return hashedUsers;
    }

    public Routing routing() {
        return routing;
    }
}
