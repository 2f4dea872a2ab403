package dev.sallyport.core;

import dev.sallyport.core.internal.Checks;
import dev.sallyport.core.internal.Config;
import dev.sallyport.core.internal.Engine;
import dev.sallyport.core.internal.NettyVersionCheck;
import dev.sallyport.core.internal.ProxyProtocolPolicy;
import dev.sallyport.core.internal.Settings;
import dev.sallyport.core.internal.forward.ForwardAuthOptions;
import dev.sallyport.core.internal.forward.ForwardAuthServer;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.reload.Reloader;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.AccessRuleProvider;
import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthBackendProvider;
import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.ConnectionPoolProvider;
import dev.sallyport.api.Decision;
import dev.sallyport.api.Limits;
import dev.sallyport.api.LiveSession;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.api.SessionListener;
import dev.sallyport.api.SharedLimits;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.MetricsSinkProvider;
import dev.sallyport.api.PasswordHashes;
import dev.sallyport.api.UserStore;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * A running set of proxy listeners: SOCKS5, HTTP, or any protocol module on the class path.
 *
 * <pre>{@code
 * try (ProxyManager proxy = ProxyManager.builder().socks5(1080).start()) {
 *     InetSocketAddress address = proxy.address("socks5");
 *     ...
 * }
 * }</pre>
 *
 * <p>Every listener shares one event-loop group (native io_uring or epoll where available, NIO otherwise).
 * A connection is accepted, its protocol module decodes the handshake, core authenticates the
 * client and checks the access rules, dials the target from the same event loop, and relays
 * bytes both ways with back-pressure until both sides are done; then one
 * {@link dev.sallyport.api.SessionSummary} goes to every {@link MetricsSink} and
 * {@link SessionListener}; {@link #sessions()} lists the sessions open meanwhile.
 *
 * <p>Thread-safe. {@link #close()} closes connections still in their handshake at once, drains
 * open tunnels and requests up to the drain timeout, and is idempotent. The manager's threads are
 * daemon threads named {@code sallyport-N-io-M} (N tells managers in one JVM apart): close each
 * manager, as a forgotten one holds its ports and threads, though it no longer keeps the JVM alive.
 */
public final class ProxyManager implements AutoCloseable {

    private final Engine engine;
    private final InetSocketAddress forwardAuth;

    private ProxyManager(Engine engine, InetSocketAddress forwardAuth) {
        this.engine = engine;
        this.forwardAuth = forwardAuth;
    }

    /**
     * A builder with safe defaults: loopback only, no listeners yet.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The addresses the listeners actually bound, by listener name ({@code socks5}, {@code http}),
     * in the order they were configured. A port configured as 0 shows the port the system chose.
     *
     * @return the bound addresses by listener name
     * @throws IllegalStateException once {@link #close()} began ({@link #isClosed()}): the
     *                               listeners are gone, and their ports may belong to others
     */
    public Map<String, InetSocketAddress> addresses() {
        return engine.addresses();
    }

    /**
     * The address the named listener bound.
     *
     * @param listener the listener's name
     * @return its bound address
     * @throws IllegalArgumentException when no such listener is configured
     * @throws IllegalStateException    once {@link #close()} began
     */
    public InetSocketAddress address(String listener) {
        InetSocketAddress address = engine.addresses().get(listener);
        if (address == null) {
            throw new IllegalArgumentException("listener: " + listener + " (expected one of: "
                    + engine.addresses().keySet() + ")");
        }
        return address;
    }

    /**
     * The address the forward-auth listener bound ({@link Builder#forwardAuth}).
     *
     * @return its bound address
     * @throws IllegalStateException when forward auth is off, or once {@link #close()} began
     */
    public InetSocketAddress forwardAuthAddress() {
        engine.addresses();
        return ForwardAuthServer.require(forwardAuth);
    }

    /** The running engine; for {@link ForwardAuth#of}. */
    Engine engine() {
        return engine;
    }

    /**
     * The user store: the one set with {@link Builder#userStore}, else the auth backend that is a
     * {@link UserStore}, else the in-memory store of {@link Builder#user} and
     * {@link Builder#requireAuthentication}.
     *
     * @return the user store
     * @throws IllegalStateException when logins use no store: authentication is off, or no auth
     *                               backend is a {@code UserStore} and none was set (a user
     *                               created in some other store could never log in)
     */
    public UserStore users() {
        return engine.users();
    }

    /**
     * Replaces the access rules the builder configured (by instance and by name), atomically:
     * every request admitted after this call sees the new list, none sees a mix. Core's defaults
     * (see {@link Builder#accessRule}) still follow. Open tunnels are not re-evaluated. Rules built
     * by providers are closed by {@link #close()}, not here.
     *
     * @param rules the new rules, in order
     */
    public void accessRules(List<AccessRule> rules) {
        Objects.requireNonNull(rules, "rules");
        for (AccessRule rule : rules) {
            Objects.requireNonNull(rule, "rules: null element");
        }
        engine.replaceRules(List.copyOf(rules));
    }

    /**
     * Decides {@code request} for {@code principal} without connecting: resolves the target like
     * a real request (IP literals as they are) and evaluates the rules against every address.
     * Completes with the verdict and the rule that made it; a name that does not resolve
     * completes exceptionally with {@link java.net.UnknownHostException}.
     *
     * @param request the request to decide
     * @param principal the user to decide it for
     * @return completes with the verdict
     */
    public CompletionStage<Explanation> explain(ProxyRequest request, Principal principal) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(principal, "principal");
        return engine.explain(request, principal);
    }

    /**
     * What {@link #explain} found.
     *
     * @param verdict  ALLOW or DENY
     * @param rule     the name of the deciding rule, {@code default} when none decided
     * @param reason   the rule's reason
     * @param address  the resolved address the decision is about (the first denied one, if any)
     * @param route    for an allowed request, the route it would take ({@code direct}, {@code deny} or
     *                 an upstream group's name); null when denied
     */
    public record Explanation(Decision.Verdict verdict, String rule, String reason, InetAddress address, String route) {

        /**
         * An explanation without a route (the shape before routing).
         *
         * @param verdict ALLOW or DENY
         * @param rule    the deciding rule
         * @param reason  the rule's reason
         * @param address the address the decision is about
         */
        public Explanation(Decision.Verdict verdict, String rule, String reason, InetAddress address) {
            this(verdict, rule, reason, address, null);
        }
    }

    /**
     * Bytes written to client connections but not yet taken by their sockets: what slow readers
     * make the proxy hold. Bounded per connection by the write-buffer water mark. Approximate (a
     * sum of values that change while it is read); cheap enough for a metrics gauge.
     *
     * @return the bytes held
     */
    public long pendingWriteBytes() {
        return engine.pendingWriteBytes();
    }

    /**
     * Client connections currently open (handshaking or relaying).
     *
     * @return the number of open client connections
     */
    public int openConnections() {
        return engine.openConnections();
    }

    /**
     * Completes once each of the manager's I/O threads has run a task submitted now: a liveness
     * check for health endpoints (a thread stuck in a long task answers late or never). Never
     * blocks; completes exceptionally once the threads have stopped after {@link #close()}.
     *
     * @return completes when every I/O thread answered
     */
    public CompletionStage<Void> ping() {
        return engine.ping();
    }

    /**
     * The sessions open now, oldest first: those admission let through (the ones a
     * {@link SessionListener} heard {@code opened}), until they close. An immutable snapshot;
     * the byte counts are those of the moment each session was read. Cheap enough to poll.
     *
     * @return the open sessions
     */
    public List<LiveSession> sessions() {
        return engine.sessions().snapshot();
    }

    /**
     * Closes the open session {@code id} ({@link LiveSession#id()}): the client connection and
     * the target's, as if the client had left. Its summary says {@link Outcome#CLOSED_BY_HOST}.
     * Returns at once; the close happens on the session's I/O thread right after.
     *
     * @param id the session's id
     * @return whether a session of that id was open
     */
    public boolean closeSession(long id) {
        return engine.sessions().close(id);
    }

    /**
     * Stops accepting, closes connections that have not completed their handshake, waits up to
     * the drain timeout for open tunnels and requests to finish, closes what is left, and releases
     * every resource the manager created. Idempotent; returns when the listening ports are free.
     */
    @Override
    public void close() {
        engine.close(engine.settings().drainTimeout());
    }

    /**
     * Whether {@link #close()} was called: from then on no connection is accepted and
     * {@link #addresses()} throws. Close may still be draining; once it returns, everything the
     * manager created is released.
     *
     * @return whether close began
     */
    public boolean isClosed() {
        return engine.isClosed();
    }

    /**
     * Like {@link #close()} with an explicit drain deadline; {@link Duration#ZERO} closes at once.
     *
     * @param drainTimeout how long to wait for open connections
     */
    public void close(Duration drainTimeout) {
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout: " + drainTimeout + " (expected: >= 0)");
        }
        engine.close(drainTimeout);
    }

    /**
     * Applies {@code configuration} to this running manager, for new sessions at once: the access
     * rules (providers named by the builder are built anew), the in-memory users of
     * {@link Builder#user} and {@link Builder#userHash}, the default limits and the listeners' TLS
     * keys and certificates. Open sessions keep running unless the change revokes them: those of
     * a user removed or given another password close, as after {@link UserStore#delete}. Nothing
     * is applied when something in {@code configuration} fails (rules are built, certificates
     * loaded, before the first change). Reloads run one at a time. Settings that apply only at a
     * start (the bind address, listener ports, timeouts, backends) are left as they run; the
     * listener and bind changes among them are logged in one WARN and returned.
     *
     * @param configuration a builder configured as for a start, e.g. from the same file
     * @return what changed but needs a restart, e.g. {@code socks5: port 1080 -> 1081}; empty when nothing
     * @throws IllegalStateException when the configuration cannot be applied; the running one is unchanged
     */
    public List<String> reload(Builder configuration) {
        Objects.requireNonNull(configuration, "configuration");
        return Reloader.reload(engine, configuration.c);
    }

    @Override
    public String toString() {
        return "ProxyManager" + engine;
    }

    /**
     * Configures and starts a {@link ProxyManager}. Every method validates its argument at once:
     * {@link NullPointerException} for null, {@link IllegalArgumentException} for a bad value,
     * {@link IllegalStateException} for a conflict. {@link #start()} runs the cross-field checks.
     * Not thread-safe; a builder may start several managers.
     */
    public static final class Builder {

        private final Config c = new Config();

        private Builder() {
        }

        /** What this builder collected so far; for tests in this package. */
        Config config() {
            return c;
        }

        /**
         * The local address every listener binds. Default: the loopback address. An IP literal,
         * {@code localhost}, or {@code 0.0.0.0}/{@code ::} for all interfaces; names are not
         * looked up. A non-loopback address needs authentication or {@link #allowOpenProxy}, and
         * turns on the defaults for clients the host does not control:
         * <ul>
         *   <li>loopback and every address of this host are denied as targets (rule
         *       {@code deny-local}); a rule of the host's that allows them wins, e.g.
         *       {@code accessRule(AccessRules.allowDestinations("127.0.0.1/32"))};</li>
         *   <li>caps on connections in total ({@link #maxConnections}), per client IP
         *       ({@link #maxConnectionsPerClient}) and on waiting BIND listeners per user
         *       ({@link #maxBindListeners}), each changed by its own method.</li>
         * </ul>
         *
         * @param address an IP literal or {@code localhost}
         * @return this builder
         */
        public Builder bind(String address) {
            Objects.requireNonNull(address, "address");
            c.bind = Addresses.parseBindAddress(address);
            return this;
        }

        /**
         * Like {@link #bind(String)} with an address object.
         *
         * @param address the address
         * @return this builder
         */
        public Builder bind(InetAddress address) {
            c.bind = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * A SOCKS5 listener on {@code port} (0 for any free port); it answers SOCKS4 and SOCKS4a
         * clients too. Needs {@code proxy-socks5}.
         *
         * @param port the port, 0 for any free port
         * @return this builder
         */
        public Builder socks5(int port) {
            return listener("socks5", port);
        }

        /**
         * An HTTP proxy listener on {@code port} (0 for any free port). Needs {@code proxy-http}.
         *
         * @param port the port, 0 for any free port
         * @return this builder
         */
        public Builder http(int port) {
            return listener("http", port);
        }

        /**
         * One port for every protocol on the class path (0 for any free port): core reads the
         * client's first byte and hands the connection to the frontend that claims it (0x05
         * SOCKS5, 0x04 SOCKS4, an HTTP method name HTTP). Reported as listener {@code mixed}.
         *
         * @param port the port, 0 for any free port
         * @return this builder
         */
        public Builder mixed(int port) {
            return listener("mixed", port);
        }

        /**
         * A listener served by the protocol module called {@code name} on {@code port}
         * (0 for any free port). One listener per name.
         *
         * @param name the protocol module's name
         * @param port the port, 0 for any free port
         * @return this builder
         */
        public Builder listener(String name, int port) {
            c.addListener(name, port);
            return this;
        }

        /**
         * Adds an authentication backend to the chain (first answer wins) and turns
         * authentication on. Without any, the in-memory user store is used when authentication
         * is on.
         *
         * @param backend the backend
         * @return this builder
         */
        public Builder auth(AuthBackend backend) {
            c.authBackends.add(Objects.requireNonNull(backend, "backend"));
            return this;
        }

        /**
         * Adds the authentication backend built from {@code settings} by the
         * {@link AuthBackendProvider} called {@code provider} (found with
         * {@link java.util.ServiceLoader} at {@link #start()}, which fails naming the providers
         * found when none has that name) and turns authentication on. A backend that is
         * {@link AutoCloseable} is closed by {@link ProxyManager#close()}, or by {@link #start()}
         * when it fails.
         *
         * @param provider the provider's name
         * @param settings the provider's settings
         * @return this builder
         */
        public Builder auth(String provider, Map<String, String> settings) {
            c.authProviders.add(new Config.ProviderRef("auth", provider, settings));
            return this;
        }

        /**
         * Adds a user to the in-memory store and turns authentication on. For real deployments
         * use {@link #users()} at run time or a persistent backend.
         *
         * @param name the user's name
         * @param password the user's password
         * @return this builder
         * @throws IllegalArgumentException for a bad name or password, or a name added before
         */
        public Builder user(String name, String password) {
            c.addUser(name, password, false);
            return this;
        }

        /**
         * Requires authentication even when no user or backend is configured yet. Default: off.
         *
         * @param required true to require authentication
         * @return this builder
         */
        public Builder requireAuthentication(boolean required) {
            c.requireAuthentication = required;
            return this;
        }

        /**
         * The store behind {@link ProxyManager#users()}. Default: the backend if it is also a
         * {@link UserStore}, otherwise the in-memory store when logins use it (users given with
         * {@link #user}, or {@link #requireAuthentication}); with neither, {@code users()} fails.
         *
         * @param store the store
         * @return this builder
         */
        public Builder userStore(UserStore store) {
            c.userStore = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * Appends an access rule. Rules run in the order added (by instance or
         * {@link #accessRule(String, Map) by name}), before the built-in defaults (deny link-local
         * targets, the proxy's own listeners, {@link #protectedAddress protected addresses} and,
         * beyond loopback, the host's own addresses); the first non-abstaining rule decides, so a
         * host rule that allows a target overrides the defaults; no decision means allow. A rule
         * that throws or returns null denies the request (the latter is logged once per rule).
         *
         * @param rule the rule
         * @return this builder
         */
        public Builder accessRule(AccessRule rule) {
            c.accessRules.add(Objects.requireNonNull(rule, "rule"));
            return this;
        }

        /**
         * Adds a metrics sink; several may be active at once. Default: none.
         *
         * @param sink the sink
         * @return this builder
         */
        public Builder metrics(MetricsSink sink) {
            c.metrics.add(Objects.requireNonNull(sink, "sink"));
            return this;
        }

        /**
         * Writes one line per session to the SLF4J logger {@code sallyport.access} at INFO, as
         * {@code key=value} pairs (time, user, client, protocol, command, target, outcome, rule,
         * bytes up and down, duration). Never a credential. Default: off.
         *
         * @param enabled true to write the access log
         * @return this builder
         */
        public Builder accessLog(boolean enabled) {
            c.accessLog = enabled;
            return this;
        }

        /**
         * Adds the sink built from {@code settings} by the {@link MetricsSinkProvider} called
         * {@code provider}, found like {@link #auth(String, Map)}'s; closed like it when it is
         * {@link AutoCloseable}.
         *
         * @param provider the provider's name
         * @param settings the provider's settings
         * @return this builder
         */
        public Builder metrics(String provider, Map<String, String> settings) {
            c.metricsProviders.add(new Config.ProviderRef("metrics", provider, settings));
            return this;
        }

        /**
         * How outbound connections are obtained. Default: {@code ConnectionPools.pooled(8, 60 s)}:
         * HTTP forwarding reuses idle keep-alive origin connections (at most 8 idle per origin and
         * I/O thread, closed after 60 s idle); CONNECT tunnels and SOCKS sessions always get a
         * fresh connection. {@link ConnectionPool#direct()} dials every time. There is one pool:
         * the last {@code connectionPool(...)} call wins, by instance or
         * {@link #connectionPool(String, Map) by name}.
         *
         * @param pool the pool
         * @return this builder
         */
        public Builder connectionPool(ConnectionPool pool) {
            c.connectionPool = Objects.requireNonNull(pool, "pool");
            c.connectionPoolProvider = null;
            return this;
        }

        /**
         * How target names are resolved. Default: {@link Resolver#system()}.
         *
         * @param resolver the resolver
         * @return this builder
         */
        public Builder resolver(Resolver resolver) {
            c.resolver = Objects.requireNonNull(resolver, "resolver");
            return this;
        }

        /**
         * Time a client has from connecting to completing its request. Default 10 s; must be positive.
         *
         * @param timeout the timeout
         * @return this builder
         */
        public Builder handshakeTimeout(Duration timeout) {
            c.handshakeTimeout = Checks.requirePositive("handshakeTimeout", timeout);
            return this;
        }

        /**
         * Time to resolve and connect to a target. Default 10 s; must be positive.
         *
         * @param timeout the timeout
         * @return this builder
         */
        public Builder connectTimeout(Duration timeout) {
            c.connectTimeout = Checks.requirePositive("connectTimeout", timeout);
            if (timeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("connectTimeout: " + timeout + " (expected: <= " + Integer.MAX_VALUE + " ms)");
            }
            return this;
        }

        /**
         * A tunnel with no bytes either way for this long is closed. Default 1 h; zero for none.
         *
         * @param timeout the timeout, zero for none
         * @return this builder
         */
        public Builder idleTimeout(Duration timeout) {
            c.idleTimeout = Checks.requireNotNegative("idleTimeout", timeout);
            return this;
        }

        /**
         * How long {@link ProxyManager#close()} waits for open connections. Default 30 s; zero closes at once.
         *
         * @param timeout the timeout, zero to close at once
         * @return this builder
         */
        public Builder drainTimeout(Duration timeout) {
            c.drainTimeout = Checks.requireNotNegative("drainTimeout", timeout);
            return this;
        }

        /**
         * How long a successful login is remembered, so repeat logins skip the slow password hash.
         * Default 5 min; zero disables the cache. Any change to a user invalidates it.
         *
         * @param ttl how long to remember, zero for no cache
         * @return this builder
         */
        public Builder authCacheTtl(Duration ttl) {
            c.authCacheTtl = Checks.requireNotNegative("authCacheTtl", ttl);
            return this;
        }

        /**
         * How long refused credentials are remembered, so repeating a wrong password does not
         * cost a slow hash or a database query each time. Default 10 s; zero disables it. Any
         * change to a user invalidates it.
         *
         * @param ttl how long to remember, zero for no cache
         * @return this builder
         */
        public Builder authCacheNegativeTtl(Duration ttl) {
            c.authCacheNegativeTtl = Checks.requireNotNegative("authCacheNegativeTtl", ttl);
            return this;
        }

        /**
         * Allows listening on a non-loopback address without authentication: an open proxy that
         * anyone who can reach it may use; {@link #start()} then logs a WARN naming the address.
         * Default: refused at {@link #start()}.
         *
         * @param allow true to allow an open proxy
         * @return this builder
         */
        public Builder allowOpenProxy(boolean allow) {
            c.allowOpenProxy = allow;
            return this;
        }

        /**
         * Limits for every user, field by field, where the principal's own {@link Limits} say 0
         * (no limit). Sessions without authentication are limited per client IP. Default: none.
         *
         * @param limits the limits
         * @return this builder
         */
        public Builder defaultLimits(Limits limits) {
            c.defaultLimits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * Client connections open at once, all listeners together; the next one is refused with
         * the protocol's "not allowed" reply (SOCKS 0x02, HTTP 429), at its login if it logs in
         * (SOCKS5 login failure status, HTTP 429), before any password is checked. 0 for no cap.
         * Default: none on loopback; beyond loopback, what fits in the process's file-descriptor
         * limit with headroom for the JVM and for refusing (two descriptors a connection after
         * reserving a tenth of the limit, at least 256), so that a flood is refused rather than
         * breaking every connection when descriptors run out; none where the JVM does not report
         * the limit.
         *
         * @param connections the cap, 0 for none
         * @return this builder
         */
        public Builder maxConnections(int connections) {
            c.maxConnections = Checks.requireNotNegative("maxConnections", connections);
            return this;
        }

        /**
         * Like {@link #maxConnections} for each client IP address; 0 for no cap. Default: none on
         * loopback, 256 beyond loopback.
         *
         * @param connections the cap per client IP, 0 for none
         * @return this builder
         */
        public Builder maxConnectionsPerClient(int connections) {
            c.maxConnectionsPerClient = Checks.requireNotNegative("maxConnectionsPerClient", connections);
            return this;
        }

        /**
         * Failed logins of one user name from one client (an IP address, an IPv6
         * {@link #loginIpv6Prefix prefix}) within {@link #loginFailureWindow} that lock that name
         * out from that client for {@link #lockoutDuration}; during the lockout every login of it
         * fails with the ordinary failure reply. Checks still running count, so concurrent guesses
         * cannot overtake the limit. A success of that name clears its count, never another
         * name's. Default 10; 0 turns brute-force protection off (and {@link #maxLoginFailuresPerClient}).
         *
         * @param failures the failures that lock a name out
         * @return this builder
         */
        public Builder maxLoginFailures(int failures) {
            c.maxLoginFailures = Checks.requireNotNegative("maxLoginFailures", failures);
            return this;
        }

        /**
         * The window in which {@link #maxLoginFailures} are counted. Default 1 min; must be positive.
         *
         * @param window the window
         * @return this builder
         */
        public Builder loginFailureWindow(Duration window) {
            c.loginFailureWindow = Checks.requirePositive("loginFailureWindow", window);
            return this;
        }

        /**
         * How long a locked-out client IP stays locked out. Default 5 min; must be positive.
         *
         * @param duration the lockout
         * @return this builder
         */
        public Builder lockoutDuration(Duration duration) {
            c.lockoutDuration = Checks.requirePositive("lockoutDuration", duration);
            return this;
        }

        /**
         * Delay of the reply to a failed login, doubling with each further failure of the same
         * user name from the same client, up to 2 s. Default 100 ms; zero for none.
         *
         * @param backoff the first delay, zero for none
         * @return this builder
         */
        public Builder loginBackoff(Duration backoff) {
            c.loginBackoff = Checks.requireNotNegative("loginBackoff", backoff);
            return this;
        }

        /**
         * Tunnels are closed after this long, busy or not. Default zero: no maximum.
         *
         * @param duration the maximum, zero for none
         * @return this builder
         */
        public Builder maxSessionDuration(Duration duration) {
            c.maxSessionDuration = Checks.requireNotNegative("maxSessionDuration", duration);
            return this;
        }

        /**
         * The time source of limits, lockouts and the auth cache. Default: {@link Ticker#system()}.
         *
         * @param ticker the time source
         * @return this builder
         */
        public Builder ticker(Ticker ticker) {
            c.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /**
         * Serves listener {@code listener} over TLS (e.g. an HTTPS proxy: clients speak TLS to the
         * proxy, as {@code curl --proxy https://...} does), with a certificate chain and a PKCS#8
         * private key in PEM files. The files are read at {@link #start()}.
         *
         * @param listener the listener's name
         * @param certificateChainPem the certificate chain, PEM
         * @param privateKeyPem the PKCS#8 private key, PEM
         * @return this builder
         * @throws IllegalArgumentException when a file does not exist or is not readable
         */
        public Builder tls(String listener, Path certificateChainPem, Path privateKeyPem) {
            Objects.requireNonNull(listener, "listener");
            Checks.requireReadable("certificateChainPem", certificateChainPem);
            Checks.requireReadable("privateKeyPem", privateKeyPem);
            c.tls.put(listener, new Config.TlsSource(certificateChainPem, privateKeyPem, null, null));
            return this;
        }

        /**
         * Like {@link #tls(String, Path, Path)} with the key and chain in a key store.
         *
         * @param listener the listener's name
         * @param keyStore the key store with the key and its chain
         * @param keyPassword the key's password
         * @return this builder
         */
        public Builder tls(String listener, java.security.KeyStore keyStore, char[] keyPassword) {
            Objects.requireNonNull(listener, "listener");
            Objects.requireNonNull(keyStore, "keyStore");
            Objects.requireNonNull(keyPassword, "keyPassword");
            c.tls.put(listener, new Config.TlsSource(null, null, keyStore, keyPassword.clone()));
            return this;
        }

        /**
         * Settings owned by a protocol module, such as {@code HttpOptions} from {@code proxy-http};
         * one object per type, the last one set wins. The module validated them when they were
         * built. Default: each module's own defaults.
         *
         * @param options the module's settings
         * @return this builder
         */
        public Builder options(ProtocolOptions options) {
            Objects.requireNonNull(options, "options");
            c.protocolOptions.put(options.getClass(), options);
            return this;
        }

        /**
         * Number of I/O threads. Default: the number of available processors.
         *
         * @param threads the number of threads, at least 1
         * @return this builder
         */
        public Builder ioThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("ioThreads: " + threads + " (expected: >= 1)");
            }
            c.ioThreads = threads;
            return this;
        }

        /**
         * Whether to use a native transport (see {@link #transport}) when available. Default: true.
         *
         * @param enabled false for NIO only
         * @return this builder
         */
        public Builder nativeTransport(boolean enabled) {
            c.nativeTransport = enabled;
            return this;
        }

        /**
         * The class loader that finds protocol modules and providers. Default: core's own.
         *
         * @param loader the class loader
         * @return this builder
         */
        public Builder classLoader(ClassLoader loader) {
            c.classLoader = Objects.requireNonNull(loader, "loader");
            return this;
        }

        /**
         * Failed logins from one client (an IP address, an IPv6 {@link #loginIpv6Prefix prefix}),
         * all user names together, within {@link #loginFailureWindow} that lock every name out from
         * that client for {@link #lockoutDuration}: guessing across many names. Successes do not
         * reset it. Default 100; 0 for no such lockout.
         *
         * @param failures the failures that lock a client out
         * @return this builder
         */
        public Builder maxLoginFailuresPerClient(int failures) {
            c.maxLoginFailuresPerClient = Checks.requireNotNegative("maxLoginFailuresPerClient", failures);
            return this;
        }

        /**
         * Leading bits of an IPv6 client address that make one client for the login lockout and
         * the password-check queue (a host usually holds a whole /64). IPv4 counts by address.
         * Default 64; 32 to 128.
         *
         * @param bits the prefix length, 32 to 128
         * @return this builder
         */
        public Builder loginIpv6Prefix(int bits) {
            if (bits < 32 || bits > 128) {
                throw new IllegalArgumentException("loginIpv6Prefix: " + bits + " (expected: 32-128)");
            }
            c.loginIpv6Prefix = bits;
            return this;
        }

        /**
         * Denies {@code address} as a proxy target, like the proxy's own listeners: for the host's
         * other servers (a metrics, health or admin port) that proxy users must not reach through
         * the proxy. An unspecified address ({@code 0.0.0.0}, {@code ::}) covers every address of
         * this host on that port, a loopback address every loopback address. Repeatable; a rule of
         * the host's that allows the target overrides it. Default: none.
         *
         * @param address the address to protect
         * @return this builder
         * @throws IllegalArgumentException when the address is unresolved or the port is 0
         */
        public Builder protectedAddress(InetSocketAddress address) {
            Objects.requireNonNull(address, "address");
            if (address.isUnresolved() || address.getPort() == 0) {
                throw new IllegalArgumentException("protectedAddress: " + Addresses.format(address)
                        + " (expected: an IP address and a port 1-65535)");
            }
            c.protectedAddresses.add(address);
            return this;
        }

        /**
         * Password checks the auth backends run at once; the others wait in a queue that takes
         * clients in turn (at most 32 waiting per client, 1024 in all; beyond that a login is
         * refused as unavailable, not counted as failed). A waiting check whose client left or
         * timed out is dropped. Default 4; must be positive.
         *
         * @param checks the number of checks, at least 1
         * @return this builder
         */
        public Builder maxConcurrentLoginChecks(int checks) {
            if (checks < 1) {
                throw new IllegalArgumentException("maxConcurrentLoginChecks: " + checks + " (expected: >= 1)");
            }
            c.maxConcurrentLoginChecks = checks;
            return this;
        }

        /**
         * BIND requests (SOCKS) waiting for their peer at once, per user (per client IP without
         * authentication); the next is refused with SOCKS reply 0x02 until one ends. Each
         * connection carries at most one BIND, its one request. 0 for no cap. Default: none on
         * loopback, 16 beyond loopback.
         *
         * @param listeners the cap, 0 for none
         * @return this builder
         */
        public Builder maxBindListeners(int listeners) {
            c.maxBindListeners = Checks.requireNotNegative("maxBindListeners", listeners);
            return this;
        }

        /**
         * Appends the access rule built from {@code settings} by the {@link AccessRuleProvider}
         * called {@code provider}, found with {@link java.util.ServiceLoader} at {@link #start()},
         * which fails naming the providers found when none has that name. The rule keeps its place
         * among the {@link #accessRule(AccessRule) rules added by instance}: order of configuration.
         * A rule that is {@link AutoCloseable} is closed by {@link ProxyManager#close()}, or by
         * {@link #start()} when it fails.
         *
         * @param provider the provider's name
         * @param settings the provider's settings
         * @return this builder
         * @throws IllegalArgumentException when {@code provider} is blank
         * @throws NullPointerException     when an argument, a setting's key or its value is null
         */
        public Builder accessRule(String provider, Map<String, String> settings) {
            c.accessRuleProviders.add(new Config.PlacedProvider(c.accessRules.size(),
                    new Config.ProviderRef("accessRule", provider, settings)));
            return this;
        }

        /**
         * Uses the pool built from {@code settings} by the {@link ConnectionPoolProvider} called
         * {@code provider}, found with {@link java.util.ServiceLoader} at {@link #start()}, which
         * fails naming the providers found when none has that name. Replaces any pool set before
         * by {@link #connectionPool(ConnectionPool) instance} or by name: the last call wins. A
         * pool that is {@link AutoCloseable} is closed by {@link ProxyManager#close()} (after the
         * I/O threads stopped), or by {@link #start()} when it fails.
         *
         * @param provider the provider's name
         * @param settings the provider's settings
         * @return this builder
         * @throws IllegalArgumentException when {@code provider} is blank
         * @throws NullPointerException     when an argument, a setting's key or its value is null
         */
        public Builder connectionPool(String provider, Map<String, String> settings) {
            c.connectionPoolProvider = new Config.ProviderRef("connectionPool", provider, settings);
            return this;
        }

        /**
         * Adds a listener that hears every session open and close (see {@link SessionListener}
         * for which events, their order and their thread); several may be added. Default: none,
         * and then no event is built.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder events(SessionListener listener) {
            c.sessionListeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Counts the per-user {@link Limits} across a fleet of instances too: each session of an
         * authenticated user with a limit takes a lease from {@code limits} once this instance's
         * own limits admitted it, and gives it back when it ends; the fleet may re-shape the
         * user's bandwidth here (see {@link SharedLimits}). Default {@link SharedLimits#NONE}:
         * limits per instance only, and no extra work on the admission path. The host owns
         * {@code limits} and closes it after this manager.
         *
         * @param limits the fleet's limits, e.g. {@code JdbcStore.fleetLimits()}
         * @return this builder
         * @throws NullPointerException when {@code limits} is null
         */
        public Builder sharedLimits(SharedLimits limits) {
            c.sharedLimits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * Speaks the PROXY protocol (v1 or v2, told apart per connection) on listener
         * {@code listener}, for running behind L4 load balancers such as HAProxy
         * ({@code send-proxy}, {@code send-proxy-v2}). The client address of a trusted header is
         * what everything sees: access rules, connection caps, login lockout, the access log,
         * metrics and session events.
         *
         * <ul>
         *   <li>A header is believed only from a source in {@code trustedCidrs}. A connection from
         *       any other source that starts with a header is closed, so nobody else can choose
         *       the client address.</li>
         *   <li>{@link ProxyProtocolMode#REQUIRED}: a trusted source's connection must start with
         *       a header; a connection from an untrusted source is closed at once (fail
         *       closed). {@link ProxyProtocolMode#OPTIONAL}: a connection without a header, from
         *       anywhere, is served with its own peer address.</li>
         *   <li>A malformed header, a connection closed mid-header, or no complete header within
         *       the handshake timeout closes the connection (logged at DEBUG, counted as a
         *       {@code proxy_protocol_*} rejection).</li>
         *   <li>A v2 {@code LOCAL} command (health checks) and v1 {@code UNKNOWN} mean "use the
         *       peer's own address".</li>
         *   <li>The per-client connection cap counts the header's client, not the balancer.</li>
         *   <li>UDP ASSOCIATE expects datagrams from the header's client, straight to this
         *       instance: a TCP balancer does not carry them.</li>
         * </ul>
         * A listener without this setting reads no header and pays nothing for the feature.
         * Default: off. The last call for a listener wins over {@link #proxyProtocol(ProxyProtocolMode, String...)}.
         *
         * @param listener the listener's name ({@code socks5}, {@code http}, {@code mixed} or one
         *                 given to {@link #listener}); checked at {@link #start()}
         * @param mode whether trusted sources must send a header
         * @param trustedCidrs the balancers' addresses or CIDRs, at least one
         * @return this builder
         * @throws IllegalArgumentException when there is no CIDR or one is not an address or CIDR
         * @throws NullPointerException when an argument is null
         */
        public Builder proxyProtocol(String listener, ProxyProtocolMode mode, String... trustedCidrs) {
            Objects.requireNonNull(listener, "listener");
            c.proxyProtocol.put(listener, ProxyProtocolPolicy.of("proxyProtocol", mode, trustedCidrs));
            return this;
        }

        /**
         * {@link #proxyProtocol(String, ProxyProtocolMode, String...)} for every listener not
         * configured by name.
         *
         * @param mode whether trusted sources must send a header
         * @param trustedCidrs the balancers' addresses or CIDRs, at least one
         * @return this builder
         * @throws IllegalArgumentException when there is no CIDR or one is not an address or CIDR
         */
        public Builder proxyProtocol(ProxyProtocolMode mode, String... trustedCidrs) {
            c.proxyProtocolAll = ProxyProtocolPolicy.of("proxyProtocol", mode, trustedCidrs);
            return this;
        }

        /**
         * Writes a PROXY protocol header of {@code version} (1: text, 2: binary) on every
         * connection to a target before any relayed byte, carrying the client's address (the
         * one the rules saw) and this proxy's listener address. While on, target connections
         * are never pooled (a reused connection would carry another client's header). Default:
         * 0, off.
         *
         * @param version 0 for off, 1 or 2
         * @return this builder
         * @throws IllegalArgumentException when {@code version} is not 0, 1 or 2
         */
        public Builder upstreamProxyProtocol(int version) {
            c.upstreamProxyProtocol = Checks.requireProxyProtocolVersion("upstreamProxyProtocol", version);
            return this;
        }

        /**
         * The I/O transport. Default: {@link IoTransport#AUTO}, the first that runs here of
         * io_uring, epoll and NIO. {@code nativeTransport(false)} still means NIO.
         *
         * @param transport the transport; a native one that cannot run here fails {@link #start()}
         * @return this builder
         */
        public Builder transport(IoTransport transport) {
            c.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        /**
         * Like {@link #user(String, String)} with the password given as a hash of
         * {@link PasswordHashes#hash} (as {@code JdbcStore} stores them), so that no plaintext
         * password needs to be written down.
         *
         * @param name the user's name
         * @param passwordHash the password's hash, {@code pbkdf2-sha256$ITERATIONS$SALT$HASH}
         * @return this builder
         * @throws IllegalArgumentException for a bad name, a text that is not such a hash, or a name added before
         */
        public Builder userHash(String name, String passwordHash) {
            c.addUser(name, passwordHash, true);
            return this;
        }

        /**
         * Serves forward authentication ({@link ForwardAuth}) as {@code GET /auth} on a listener
         * of its own at {@code address} (port 0 for any; see {@link ProxyManager#forwardAuthAddress}),
         * for a reverse proxy's {@code forwardAuth}, {@code auth_request} or {@code ext_authz}. The
         * manager must require logins. Needs io.netty:netty-codec-http (proxy-http brings it).
         * Default: off. Only callers on loopback or in {@code trustedCidrs} get answers (403 to
         * others), so an address beyond loopback needs trusted CIDRs. A fixed port is also denied
         * as a proxy target ({@link #protectedAddress}); port 0 is not (its port is chosen later).
         *
         * @param address      where to listen, e.g. {@code new InetSocketAddress("127.0.0.1", 9180)}
         * @param trustedCidrs the direct callers whose {@code X-Forwarded-For} is believed; none: the caller is the client
         * @return this builder
         * @throws IllegalArgumentException when {@code address} is unresolved, beyond loopback without
         *                                  trusted CIDRs, or a CIDR cannot be parsed or is a /0 (trusting every caller)
         * @throws IllegalStateException    when netty-codec-http is missing
         */
        public Builder forwardAuth(InetSocketAddress address, String... trustedCidrs) {
            c.forwardAuth = ForwardAuthOptions.of(address, trustedCidrs);
            if (address.getPort() != 0) {
                c.protectedAddresses.add(address);
            }
            return this;
        }

        /**
         * Sets how admitted requests reach their targets: route rules, upstream proxy groups and
         * source addresses ({@link Routing}). Default: {@link Routing#direct()}, every request
         * dialled directly from the address the kernel picks.
         *
         * @param routing the routing
         * @return this builder
         * @throws NullPointerException when {@code routing} is null
         */
        public Builder routing(Routing routing) {
            c.routing = Objects.requireNonNull(routing, "routing");
            return this;
        }

        /**
         * Checks the configuration as a whole, binds every listener and returns once they accept
         * connections.
         *
         * @return the running proxy
         * @throws IllegalStateException when the configuration is inconsistent (no listener, an
         *                               open proxy on a public address, a missing protocol module
         *                               or provider, forward auth without logins) or a port
         *                               cannot be bound; first of all
         *                               when the class path holds a Netty that is not the 4.2
         *                               line (the message names both versions)
         */
        public ProxyManager start() {
            NettyVersionCheck.requireSupported();
            Settings settings = Settings.from(c);
            Engine engine = Engine.start(settings);
            return new ProxyManager(engine, ForwardAuthServer.start(engine, c.forwardAuth));
        }
    }
}
