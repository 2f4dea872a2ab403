package dev.sallyport.testkit;

import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.Limits;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ConnectionPools;
import dev.sallyport.core.ProxyManager;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A JUnit 5 extension that runs an in-process Sallyport on loopback, port 0, for the tests of an
 * application that talks through a proxy, with {@link Faults} to make that proxy misbehave and a
 * {@link SessionRecorder} of the sessions it saw.
 *
 * <pre>{@code
 * class DownloaderTest {
 *     @RegisterExtension
 *     static SallyportExtension proxy = SallyportExtension.socks5().user("alice", "pw").build();
 *
 *     @Test
 *     void download_survivesASlowProxy() {
 *         proxy.faults().latency(Duration.ofMillis(200));
 *         new Downloader(proxy.socks5Address(), "alice", "pw").fetch(url);
 *         SessionSummary session = proxy.awaitSessions(1, Duration.ofSeconds(10)).get(0);
 *         assertThat(session.user()).isEqualTo("alice");
 *     }
 * }
 * }</pre>
 *
 * <p>Lifecycle, chosen by where it is registered: in a {@code static} field, one proxy for the
 * whole class (the faults and the recorder are cleared before each test); in an instance field,
 * a new proxy for each test. After the last test it uses, the proxy is closed: open tunnels get
 * the drain timeout (5 s here unless the customizer sets another), then are closed.
 *
 * <p>The proxy listens only on loopback; its outbound connections go through {@link Faults#wrap}
 * around {@link ConnectionPools#direct()} (or the pool given to {@link Builder#connectionPool}),
 * and {@link Faults#accessRule()} comes before any rule the customizer adds. Which protocols can
 * be served depends on the protocol modules on the test class path ({@code proxy-socks5},
 * {@code proxy-http}); the kit depends on neither.
 *
 * <p>Accessors are thread-safe and may be called only while the proxy runs (inside a test).
 */
public final class SallyportExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {

    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);

    private final List<String> listeners;
    private final Map<String, String> users;
    private final long bandwidth;
    private final ConnectionPool pool;
    private final Consumer<ProxyManager.Builder> customizer;
    private final SessionRecorder recorder = new SessionRecorder();
    private final Faults faults = new Faults();
    private final Object lifecycle = new Object();
    private volatile ProxyManager manager;
    private final Registration registration = new Registration();
    /** Whether the running proxy came from {@link #restart}, so the next test needs the class's own. */
    private boolean restarted;

    private SallyportExtension(Builder builder) {
        this.listeners = List.copyOf(builder.listeners);
        this.users = Collections.unmodifiableMap(new LinkedHashMap<>(builder.users));
        this.bandwidth = builder.bandwidth;
        this.pool = builder.pool;
        this.customizer = builder.customizer;
    }

    /**
     * A builder for a proxy with a SOCKS5 listener (which also answers SOCKS4 and SOCKS4a).
     *
     * @return a new builder
     */
    public static Builder socks5() {
        return builder().socks5();
    }

    /**
     * A builder for a proxy with an HTTP proxy listener.
     *
     * @return a new builder
     */
    public static Builder http() {
        return builder().http();
    }

    /**
     * A builder with no listener yet.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        synchronized (lifecycle) {
            if (registration.classStarts()) {
                start(SallyportExtension::noChange);
            }
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        synchronized (lifecycle) {
            if (registration.perTest()) {
                start(SallyportExtension::noChange);
            } else if (restarted) {
                stop();
                start(SallyportExtension::noChange);
                restarted = false;
            } else {
                faults.clear();
                recorder.clear();
            }
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        synchronized (lifecycle) {
            if (registration.perTest()) {
                stop();
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        synchronized (lifecycle) {
            if (registration.classEnds()) {
                stop();
            }
        }
    }

    private static void noChange(ProxyManager.Builder builder) {
        // The extension's own configuration only.
    }

    private void start(Consumer<ProxyManager.Builder> change) {
        faults.clear();
        recorder.clear();
        ProxyManager.Builder builder = ProxyManager.builder()
                .bind(InetAddress.getLoopbackAddress())
                .drainTimeout(DRAIN_TIMEOUT)
                .metrics(recorder)
                .accessRule(faults.accessRule())
                .connectionPool(faults.wrap(pool));
        listeners.forEach(name -> builder.listener(name, 0));
        users.forEach(builder::user);
        if (bandwidth > 0) {
            builder.defaultLimits(Limits.NONE.withBandwidth(bandwidth));
        }
        customizer.accept(builder);
        change.accept(builder);
        manager = builder.start();
    }

    private void stop() {
        ProxyManager running = manager;
        manager = null;
        if (running != null) {
            running.close();
        }
    }

    /**
     * Replaces the running proxy, for the rest of this test, with one configured as the extension
     * says and then by {@code change}: for a test that needs a setting of its own (a short timeout,
     * a rule, a user). The new proxy listens on new ports; faults and recorder start empty. A
     * proxy per test is closed after the test as usual; with one per class, the next test gets
     * the class's own configuration again.
     *
     * <pre>{@code
     * proxy.restart(builder -> builder.connectTimeout(Duration.ofMillis(300)));
     * }</pre>
     *
     * @param change the change to the builder
     * @return the new proxy
     * @throws IllegalStateException when called outside a test
     * @throws RuntimeException      what {@code ProxyManager.Builder.start()} throws for the
     *                               changed configuration (no proxy runs then)
     */
    public ProxyManager restart(Consumer<ProxyManager.Builder> change) {
        Objects.requireNonNull(change, "change");
        synchronized (lifecycle) {
            manager();
            stop();
            restarted = true;
            start(change);
            return manager();
        }
    }

    /**
     * The running proxy, e.g. for {@code users()} or {@code accessRules(...)}.
     *
     * @return the running proxy
     */
    public ProxyManager manager() {
        ProxyManager running = manager;
        if (running == null) {
            throw new IllegalStateException("SallyportExtension: not running (expected: registered with "
                    + "@RegisterExtension and used inside a test)");
        }
        return running;
    }

    /**
     * The address of the listener called {@code name} ({@code socks5}, {@code http}, {@code mixed}, ...).
     *
     * @param name the listener's name
     * @return its address
     */
    public InetSocketAddress address(String name) {
        return manager().address(name);
    }

    /**
     * The SOCKS5 listener's address.
     *
     * @return the address
     */
    public InetSocketAddress socks5Address() {
        return address("socks5");
    }

    /**
     * The HTTP listener's address.
     *
     * @return the address
     */
    public InetSocketAddress httpAddress() {
        return address("http");
    }

    /**
     * The SOCKS5 listener as a JDK proxy, for {@code new Socket(proxy.socksProxy())}.
     *
     * @return the SOCKS proxy
     */
    public Proxy socksProxy() {
        return new Proxy(Proxy.Type.SOCKS, socks5Address());
    }

    /**
     * The HTTP listener as a JDK proxy, for {@code URL.openConnection(proxy.httpProxy())}.
     *
     * @return the HTTP proxy
     */
    public Proxy httpProxy() {
        return new Proxy(Proxy.Type.HTTP, httpAddress());
    }

    /**
     * The users given to the builder: name to password, in the order given.
     *
     * @return the users by name
     */
    public Map<String, String> users() {
        return users;
    }

    /**
     * The faults of this proxy; cleared before each test.
     *
     * @return the faults
     */
    public Faults faults() {
        return faults;
    }

    /**
     * What the proxy recorded; cleared before each test.
     *
     * @return the recorder
     */
    public SessionRecorder recorder() {
        return recorder;
    }

    /**
     * The sessions that ended so far in this test: {@link SessionRecorder#sessions()}.
     *
     * @return the ended sessions
     */
    public List<SessionSummary> sessions() {
        return recorder.sessions();
    }

    /**
     * Waits until {@code count} sessions ended in this test: {@link SessionRecorder#awaitSessions}.
     *
     * @param count the number of sessions
     * @param timeout how long to wait at most
     * @return the ended sessions
     */
    public List<SessionSummary> awaitSessions(int count, Duration timeout) {
        return recorder.awaitSessions(count, timeout);
    }

    @Override
    public String toString() {
        ProxyManager running = manager;
        return "SallyportExtension" + (running == null ? listeners + " (stopped)" : running.addresses());
    }

    /**
     * Configures a {@link SallyportExtension}. Each method validates its argument at once. Not
     * thread-safe.
     */
    public static final class Builder {

        private final List<String> listeners = new ArrayList<>();
        private final Map<String, String> users = new LinkedHashMap<>();
        private long bandwidth;
        private ConnectionPool pool = ConnectionPools.direct();
        private Consumer<ProxyManager.Builder> customizer = b -> { };

        private Builder() {
        }

        /**
         * Adds a SOCKS5 listener (SOCKS4 and SOCKS4a too); needs {@code proxy-socks5} on the class path.
         *
         * @return this builder
         */
        public Builder socks5() {
            return listener("socks5");
        }

        /**
         * Adds an HTTP proxy listener; needs {@code proxy-http} on the class path.
         *
         * @return this builder
         */
        public Builder http() {
            return listener("http");
        }

        /**
         * Adds a listener served by the protocol module called {@code name}, on port 0.
         *
         * @param name the protocol module's name
         * @return this builder
         */
        public Builder listener(String name) {
            Objects.requireNonNull(name, "name");
            if (listeners.contains(name)) {
                throw new IllegalStateException("listener: " + name + " (expected: each listener once)");
            }
            listeners.add(name);
            return this;
        }

        /**
         * Adds an in-memory user, which turns authentication on.
         *
         * @param name the user's name
         * @param password the password
         * @return this builder
         */
        public Builder user(String name, String password) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(password, "password");
            if (users.containsKey(name)) {
                throw new IllegalStateException("user: " + name + " (expected: each user once)");
            }
            users.put(name, password);
            return this;
        }

        /**
         * Caps every session at {@code bytesPerSecond} each way (the proxy's default limits; a
         * user's own limits, set through {@code manager().users()}, win). Default 0: no cap.
         *
         * @param bytesPerSecond bytes per second, 0 for no cap
         * @return this builder
         */
        public Builder bandwidth(long bytesPerSecond) {
            if (bytesPerSecond < 0) {
                throw new IllegalArgumentException("bytesPerSecond: " + bytesPerSecond + " (expected: >= 0, 0 for none)");
            }
            this.bandwidth = bytesPerSecond;
            return this;
        }

        /**
         * The pool the faults wrap. Default: {@link ConnectionPools#direct()}.
         *
         * @param pool the pool
         * @return this builder
         */
        public Builder connectionPool(ConnectionPool pool) {
            this.pool = Objects.requireNonNull(pool, "pool");
            return this;
        }

        /**
         * Adjusts the proxy's builder after the extension configured it (timeouts, rules,
         * resolver, TLS, more sinks...). Do not set its connection pool there: that would take the
         * faults out; use {@link #connectionPool} instead. Several customizers run in order.
         *
         * @param customizer the adjustment
         * @return this builder
         */
        public Builder customize(Consumer<ProxyManager.Builder> customizer) {
            Objects.requireNonNull(customizer, "customizer");
            this.customizer = this.customizer.andThen(customizer);
            return this;
        }

        /**
         * The extension; register it with {@code @RegisterExtension}.
         *
         * @return the extension
         * @throws IllegalStateException when no listener was added
         */
        public SallyportExtension build() {
            if (listeners.isEmpty()) {
                throw new IllegalStateException("listeners: none (expected: socks5(), http() or listener(name))");
            }
            return new SallyportExtension(this);
        }
    }
}
