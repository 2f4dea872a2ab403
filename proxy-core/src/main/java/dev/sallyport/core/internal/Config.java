package dev.sallyport.core.internal;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.Limits;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.PasswordHashes;
import dev.sallyport.api.SessionListener;
import dev.sallyport.api.SharedLimits;
import dev.sallyport.api.UserNames;
import dev.sallyport.api.UserStore;
import dev.sallyport.core.ConnectionPools;
import dev.sallyport.core.IoTransport;
import dev.sallyport.core.ProtocolOptions;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.core.Routing;
import dev.sallyport.core.Ticker;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link ProxyManager.Builder} collected, one named field per setting, each already
 * validated by its builder method; {@link Settings#from} seals it. The defaults live here.
 */
public final class Config {

    private static final java.util.regex.Pattern LISTENER_NAME = java.util.regex.Pattern.compile("[a-z][a-z0-9-]{0,31}");
    /** A cap left to {@link Settings#from}: none on loopback, a default beyond it. */
    public static final int BY_BIND = -1;

    public InetAddress bind = InetAddress.getLoopbackAddress();
    public final Map<String, Integer> listeners = new LinkedHashMap<>();
    public final List<AuthBackend> authBackends = new ArrayList<>();
    public final List<ProviderRef> authProviders = new ArrayList<>();
    public final List<Map.Entry<String, String>> initialUsers = new ArrayList<>();
    public boolean requireAuthentication;
    public UserStore userStore;
    public final List<AccessRule> accessRules = new ArrayList<>();
    public final List<MetricsSink> metrics = new ArrayList<>();
    public final List<ProviderRef> metricsProviders = new ArrayList<>();
    public ConnectionPool connectionPool = ConnectionPools.pooled(8, Duration.ofSeconds(60));
    public Resolver resolver = Resolver.system();
    public Duration handshakeTimeout = Duration.ofSeconds(10);
    public Duration connectTimeout = Duration.ofSeconds(10);
    public Duration idleTimeout = Duration.ofHours(1);
    public Duration drainTimeout = Duration.ofSeconds(30);
    public Duration authCacheTtl = Duration.ofMinutes(5);
    public Duration authCacheNegativeTtl = Duration.ofSeconds(10);
    public boolean allowOpenProxy;
    public boolean accessLog;
    public Limits defaultLimits = Limits.NONE;
    public int maxConnections = BY_BIND;
    public int maxConnectionsPerClient = BY_BIND;
    public int maxLoginFailures = 10;
    public Duration loginFailureWindow = Duration.ofMinutes(1);
    public Duration lockoutDuration = Duration.ofMinutes(5);
    public Duration loginBackoff = Duration.ofMillis(100);
    public Duration maxSessionDuration = Duration.ZERO;
    public Ticker ticker = Ticker.system();
    public final Map<Class<? extends ProtocolOptions>, ProtocolOptions> protocolOptions = new LinkedHashMap<>();
    public final Map<String, TlsSource> tls = new LinkedHashMap<>();
    public boolean nativeTransport = true;
    public int ioThreads = Runtime.getRuntime().availableProcessors();
    public ClassLoader classLoader = ProxyManager.class.getClassLoader();
    public int maxLoginFailuresPerClient = 100;
    public int loginIpv6Prefix = 64;
    public int maxConcurrentLoginChecks = 4;
    public final List<InetSocketAddress> protectedAddresses = new ArrayList<>();
    public int maxBindListeners = BY_BIND;
    /** Rules built by providers at start, each placed among {@link #accessRules} where it was configured. */
    public final List<PlacedProvider> accessRuleProviders = new ArrayList<>();
    /** The provider of the connection pool when the last {@code connectionPool(...)} call named one. */
    public ProviderRef connectionPoolProvider;
    public final List<SessionListener> sessionListeners = new ArrayList<>();
    public SharedLimits sharedLimits = SharedLimits.NONE;
    /** PROXY protocol per listener name; {@link #proxyProtocolAll} covers the listeners not named here. */
    public final Map<String, ProxyProtocolPolicy> proxyProtocol = new LinkedHashMap<>();
    public ProxyProtocolPolicy proxyProtocolAll;
    /** The PROXY protocol version written to targets before any relayed byte: 0 for none, 1 or 2. */
    public int upstreamProxyProtocol;
    /** The names among {@link #initialUsers} whose value is a {@code PasswordHashes} hash, not a password. */
    public final java.util.Set<String> hashedUsers = new java.util.HashSet<>();
    /** The forward-auth listener, or null for none. */
    public dev.sallyport.core.internal.forward.ForwardAuthOptions forwardAuth;
    /** How admitted requests reach their targets. */
    public Routing routing = Routing.direct();

    /** Adds listener {@code name} on {@code port}; for {@code Builder.listener}, whose messages these are. */
    public void addListener(String name, int port) {
        Objects.requireNonNull(name, "name");
        if (!LISTENER_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("listener: '" + name + "' (expected: lowercase letters, digits, '-')");
        }
        Checks.requirePort(name, port);
        if (listeners.containsKey(name)) {
            throw new IllegalStateException(name + ": already configured on port " + listeners.get(name)
                    + " (expected: one listener per protocol)");
        }
        listeners.put(name, port);
    }

    /** Adds a configured user with a password, or with its {@code PasswordHashes} hash when {@code hashed}. */
    public void addUser(String name, String secret, boolean hashed) {
        UserNames.validate(name);
        if (hashed) {
            Objects.requireNonNull(secret, "passwordHash");
            if (!PasswordHashes.isHash(secret)) {
                throw new IllegalArgumentException("passwordHash: not a hash for user " + name
                        + " (expected: pbkdf2-sha256$ITERATIONS$SALT$HASH, as PasswordHashes.hash makes)");
            }
        } else {
            Objects.requireNonNull(secret, "password");
            if (secret.isEmpty()) {
                throw new IllegalArgumentException("password: empty for user " + name + " (expected: at least one character)");
            }
            UserNames.validatePassword(secret);
        }
        for (Map.Entry<String, String> user : initialUsers) {
            if (user.getKey().equals(name)) {
                throw new IllegalArgumentException("user: " + name + " added twice (expected: each user name once)");
            }
        }
        initialUsers.add(Map.entry(name, secret));
        if (hashed) {
            hashedUsers.add(name);
        }
    }

    /** Where a listener's TLS key and certificates come from. */
    @SuppressWarnings("ArrayRecordComponent") // never compared; the password stays a char[] to be clearable
    public record TlsSource(Path certificateChainPem, Path privateKeyPem, java.security.KeyStore keyStore,
                            char[] keyPassword) {
    }

    public IoTransport transport = IoTransport.AUTO;

    /** A provider chosen by name, resolved at start; {@code kind} is the builder method, named in messages. */
    public record ProviderRef(String kind, String name, Map<String, String> settings) {
        public ProviderRef {
            Objects.requireNonNull(name, kind + " provider");
            Objects.requireNonNull(settings, "settings");
            if (name.isBlank()) {
                throw new IllegalArgumentException(kind + ": provider '" + name + "' (expected: a provider name)");
            }
            settings.forEach((key, value) -> {
                Objects.requireNonNull(key, "settings: null key");
                Objects.requireNonNull(value, "settings: null value of '" + key + "'");
            });
            settings = Map.copyOf(settings);
        }
    }

    /** A provider configured after {@code position} rules given as instances. */
    public record PlacedProvider(int position, ProviderRef provider) {
    }
}
