package dev.sallyport.core.internal;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.net.OutboundDialer;
import dev.sallyport.core.internal.net.SystemResolver;
import dev.sallyport.core.internal.policy.AuthChain;
import dev.sallyport.core.internal.policy.DefaultRules;
import dev.sallyport.core.internal.policy.InMemoryUserStore;
import dev.sallyport.core.internal.policy.LoginGuard;
import dev.sallyport.core.internal.policy.LoginQueue;
import dev.sallyport.core.internal.policy.RuleChain;
import dev.sallyport.core.internal.policy.UserChanges;
import dev.sallyport.core.internal.policy.UserLimits;
import dev.sallyport.core.internal.reload.LiveConfig;
import dev.sallyport.core.internal.session.DefaultSession;
import dev.sallyport.core.internal.session.LiveSessions;
import dev.sallyport.core.internal.session.SessionProgress;
import dev.sallyport.core.internal.session.Services;
import dev.sallyport.core.internal.session.ShutdownCut;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.api.SharedLimits;
import dev.sallyport.api.UserStore;
import dev.sallyport.core.spi.Frontend;
import dev.sallyport.core.spi.SessionEvent;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/** The running state behind a {@link ProxyManager}: event loops, listeners and shared services. */
public final class Engine {

    private static final Logger log = LoggerFactory.getLogger(ProxyManager.class);
    private static final AtomicInteger MANAGERS = new AtomicInteger();

    /** Explicit water marks: a slow reader stops the other side's reads at 256 KiB pending. */
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(128 * 1024, 256 * 1024);

    private final Settings settings;
    /** {@code sallyport-N}, N counting managers in this JVM: the prefix of this manager's thread names. */
    private final String name = "sallyport-" + MANAGERS.incrementAndGet();
    private final Transport transport;
    /** Why AUTO passed over the faster transports, for the startup line. */
    private final List<String> passedOver;
    private final EventLoopGroup group;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final List<Channel> serverChannels = new ArrayList<>();
    private final Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
    private final ChannelGroup connections = new DefaultChannelGroup("sallyport-connections", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger open = new AtomicInteger();
    private final ClientCounts perClient;
    /** Set on a connection accepted over a connection cap: its request is refused as LIMITED. */
    public static final io.netty.util.AttributeKey<String> OVER_CAPACITY = io.netty.util.AttributeKey.valueOf("sallyport.overCapacity");
    private final UserLimits userLimits;
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private final Object closeLock = new Object();
    private volatile boolean closing;
    private boolean closed;

    private Resolver resolver;
    private UserStore users;
    private AuthChain auth;
    private volatile RuleChain rules;
    private volatile List<InetSocketAddress> boundListeners = List.of();
    private final CompositeMetrics metrics;
    private Services services;
    private LiveSessions sessions;
    private final OutboundDialer dialer;
    private final LiveConfig live;

    private Engine(Settings settings) {
        this.settings = settings;
        // Provider-built instances close last, after every session reported its summary.
        this.owned.addAll(settings.providerInstances());
        this.live = new LiveConfig(settings.tls());
        this.owned.add(live);
        Transport.Choice choice = Transport.choose(settings.transport());
        this.transport = choice.transport();
        this.passedOver = choice.passedOver();
        this.metrics = new CompositeMetrics(settings.metrics());
        this.dialer = new OutboundDialer(transport, settings.connectTimeout());
        this.userLimits = new UserLimits(settings.ticker(), settings.defaultLimits());
        if (settings.sharedLimits() != SharedLimits.NONE) {
            settings.sharedLimits().start(userLimits::share);
        }
        this.perClient = new ClientCounts(settings.maxConnectionsPerClient());
        // Last: from here on close() releases everything, the event loops included.
        this.group = new MultiThreadIoEventLoopGroup(settings.ioThreads(), Threads.daemon(name + "-io-"),
                transport.ioHandlerFactory());
    }

    /**
     * Starts a manager on sealed settings, which hand over the provider-built instances: on
     * failure, everything created so far is closed in reverse order and every bound port released.
     */
    public static Engine start(Settings settings) {
        Engine engine;
        try {
            engine = new Engine(settings);
        } catch (RuntimeException | Error e) {
            Settings.closeQuietly(settings.providerInstances());
            throw e;
        }
        try {
            engine.startServices();
            engine.bindListeners();
        } catch (RuntimeException | Error e) {
            engine.close(Duration.ZERO);
            throw e;
        }
        return engine;
    }

    private void startServices() {
        settings.warnings().forEach(log::warn);
        if (settings.denyLocalTargets()) {
            log.info("Beyond loopback: this host's own addresses are denied as targets; caps: {} connections, {} per "
                    + "client IP, {} BIND listeners per user (0: none)", settings.maxConnections(),
                    settings.maxConnectionsPerClient(), settings.maxBindListeners());
        }
        log.info("Using the {} transport with {} I/O thread(s){}", transport.id(), settings.ioThreads(),
                passedOver.isEmpty() ? "" : " (" + String.join("; ", passedOver) + ")");
        if (settings.resolver() == Resolver.system()) {
            SystemResolver system = new SystemResolver(transport, group);
            owned.add(system);
            resolver = system;
        } else {
            resolver = settings.resolver();
        }

        // Without a store of the host's, users() is the store logins are checked against, or
        // nothing: a store nobody logs in with would take users that can never log in.
        users = settings.userStore();
        List<AuthBackend> backends = settings.authBackends();
        if (settings.authenticationRequired() && backends.isEmpty()) {
            InMemoryUserStore memory = new InMemoryUserStore(Threads.daemon(name + "-auth-"));
            owned.add(memory);
            if (users == null) {
                users = memory;
            }
            backends = List.of(memory);
            live.users(memory, settings.initialUsers(), settings.hashedUsers());
        }
        LoginGuard guard = new LoginGuard(settings.ticker(), settings.maxLoginFailures(),
                settings.maxLoginFailuresPerClient(), settings.loginFailureWindow(), settings.lockoutDuration(),
                settings.loginBackoff(), settings.loginIpv6Prefix());
        auth = new AuthChain(settings.authenticationRequired(), backends, settings.authCacheTtl(),
                settings.authCacheNegativeTtl(), settings.ticker(), guard,
                new LoginQueue(settings.ticker(), settings.maxConcurrentLoginChecks()));
        if (users != null) {
            users.addListener(new UserChanges(users, auth, userLimits));
        }
        // Closed after the event loops, once every session reported: its events are delivered by then.
        sessions = new LiveSessions(settings.sessionListeners(), name + "-events");
        owned.add(sessions);
        if (!metrics.isEmpty()) {
            // Stops with the event loops.
            SessionProgress.start(group.next(), sessions, metrics, settings.ticker());
        }
        services = new Services(settings, transport, auth, resolver, () -> rules, userLimits, dialer, metrics, sessions,
                group);
    }

    /**
     * Sockets that all set SO_REUSEPORT share a port without complaint, so a second server (another
     * Sallyport, say) on the same port would silently take half of the connections. A plain socket,
     * bound and released first, fails as a taken port should.
     */
    private static void ensureFree(String name, InetSocketAddress address) {
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.bind(address, 1);
        } catch (java.io.IOException e) {
            throw cannotListen(name, address, e);
        }
    }

    private static IllegalStateException cannotListen(String name, InetSocketAddress address, Throwable cause) {
        return new IllegalStateException(name + ": cannot listen on " + Addresses.format(address) + " ("
                + cause.getMessage() + "; expected: a free port, or 0 for any)", cause);
    }

    private void bindListeners() {
        // The self-loop rule learns each real port as soon as its listener is bound.
        List<InetSocketAddress> boundSoFar = new CopyOnWriteArrayList<>();
        boundListeners = boundSoFar;
        rules = new RuleChain(settings.accessRules(), defaultRules(boundSoFar));
        for (Map.Entry<String, List<Frontend>> entry : settings.frontends().entrySet()) {
            String name = entry.getKey();
            InetSocketAddress requested = new InetSocketAddress(settings.bind(), settings.ports().get(name));
            ListenerInitializer initializer = new ListenerInitializer(this, name, entry.getValue(),
                    settings.proxyProtocol().get(name));
            if (entry.getValue().size() > 1) {
                log.debug("{}: routing on the first bytes between {}", name,
                        entry.getValue().stream().map(Frontend::name).toList());
            }
            // Natively, every I/O thread gets its own listening socket on the port (SO_REUSEPORT):
            // the kernel spreads connections over them and each connection stays on the thread that
            // accepted it, with no hand-over between threads. NIO has one shared acceptor.
            List<io.netty.channel.EventLoop> acceptors = new ArrayList<>();
            if (transport != Transport.NIO) {
                for (io.netty.util.concurrent.EventExecutor executor : group) {
                    acceptors.add((io.netty.channel.EventLoop) executor);
                }
            }
            if (!acceptors.isEmpty() && requested.getPort() != 0) {
                ensureFree(name, requested);
            }
            InetSocketAddress actual = null;
            int copies = Math.max(1, acceptors.size());
            for (int i = 0; i < copies; i++) {
                ServerBootstrap bootstrap = new ServerBootstrap()
                        .channel(transport.serverChannelClass())
                        .option(ChannelOption.SO_BACKLOG, 1024)
                        .option(ChannelOption.SO_REUSEADDR, true)
                        // TCP_NODELAY is already on: Netty sets it when it creates the channel.
                        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                        .childHandler(initializer);
                if (acceptors.isEmpty()) {
                    bootstrap.group(group);
                } else {
                    transport.reusePort(bootstrap.group(acceptors.get(i), acceptors.get(i)));
                }
                InetSocketAddress address = actual == null ? requested : new InetSocketAddress(requested.getAddress(), actual.getPort());
                ChannelFuture bound = bootstrap.bind(address).awaitUninterruptibly();
                if (!bound.isSuccess()) {
                    throw cannotListen(name, address, bound.cause());
                }
                Channel server = bound.channel();
                serverChannels.add(server);
                if (actual == null) {
                    actual = (InetSocketAddress) server.localAddress();
                }
            }
            if (actual.getAddress().isAnyLocalAddress() && settings.bind().isAnyLocalAddress()) {
                // A dual-stack socket reports "::" for a bind to 0.0.0.0: report what was asked for.
                actual = new InetSocketAddress(settings.bind(), actual.getPort());
            }
            boundSoFar.add(actual);
            addresses.put(name, actual);
        }
        for (Map.Entry<String, InetSocketAddress> entry : addresses.entrySet()) {
            log.info("Listening {} {}", entry.getKey(), Addresses.format(entry.getValue()));
        }
    }

    /**
     * Registers a newly accepted client connection; false when shutting down. A connection over a
     * cap is still registered (so its frontend can answer with its protocol's refusal) and marked.
     * {@code countClient} false leaves the per-client count to {@link #countClient}, once a PROXY
     * protocol header has named the client: the balancer is not one client.
     */
    boolean register(Channel channel, boolean countClient) {
        if (closing) {
            return false;
        }
        int total = open.incrementAndGet();
        if (settings.maxConnections() > 0 && total > settings.maxConnections()) {
            channel.attr(OVER_CAPACITY).set("max-connections");
        }
        java.net.InetAddress client = countClient ? ClientAddress.of(channel).getAddress() : null;
        AtomicInteger fromClient = countClient ? perClient.add(channel, client) : null;
        connections.add(channel);
        if (closing) {
            // close() began after the check above and may have missed this one: tell it too, once
            // its pipeline is complete (a second DRAINING changes nothing).
            channel.eventLoop().execute(() -> channel.pipeline().fireUserEventTriggered(SessionEvent.DRAINING));
        }
        // One listener for both counts: a connection without PROXY protocol costs what it always did.
        channel.closeFuture().addListener(f -> {
            if (fromClient != null) {
                perClient.remove(client, fromClient);
            }
            if (open.decrementAndGet() == 0 && closing) {
                drained.complete(null);
            }
        });
        return true;
    }

    /** Counts a registered connection against the cap of the client a PROXY protocol header named. */
    void countClient(Channel channel) {
        perClient.addUntilClosed(channel);
    }

    public long pendingWriteBytes() {
        long total = 0;
        for (Channel connection : connections) {
            io.netty.channel.ChannelOutboundBuffer buffer = connection.unsafe().outboundBuffer();
            if (buffer != null) {
                total += buffer.totalPendingWriteBytes();
            }
        }
        return total;
    }

    public UserLimits userLimits() {
        return userLimits;
    }

    public void close(Duration drainTimeout) {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
            closing = true;
        }
        if (services != null) {
            services.close();
        }
        for (Channel server : serverChannels) {
            server.close().awaitUninterruptibly();
        }
        if (open.get() == 0) {
            drained.complete(null);
        }
        for (Channel connection : connections) {
            connection.pipeline().fireUserEventTriggered(SessionEvent.DRAINING);
        }
        if (!drainTimeout.isZero() && open.get() > 0) {
            log.info("Draining {} open connection(s) for up to {}", open.get(), drainTimeout);
        }
        try {
            drained.get(drainTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.info("Closing {} connection(s) still open after the drain timeout", open.get());
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // What is still open now is cut by the shutdown, and its summary says so.
        connections.forEach(ShutdownCut::mark);
        connections.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly();
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                log.warn("Failed to close {}", owned.get(i), e);
            }
        }
        if (!addresses.isEmpty()) {
            log.info("Stopped listening on {}", addresses.values().stream().map(Addresses::format).toList());
        }
    }

    public Settings settings() {
        return settings;
    }

    /** The bound listeners; throws once closing began (they are gone). */
    public Map<String, InetSocketAddress> addresses() {
        if (closing) {
            throw new IllegalStateException("closed: " + name + " no longer listens (expected: a running manager)");
        }
        return Collections.unmodifiableMap(addresses);
    }

    /** Whether close began: from then on nothing is accepted. */
    public boolean isClosed() {
        return closing;
    }

    /** {@code sallyport-N}: tells this manager's threads from other managers' in one JVM. */
    public String name() {
        return name;
    }

    /** {@code (sallyport-N)} and the listeners, or {@code closed}; never throws. */
    @Override
    public String toString() {
        return "(" + name + ")" + (closing ? " closed" : addresses);
    }

    /** The user store; fails, saying why and what to configure, when logins use none. */
    public UserStore users() {
        if (users == null) {
            throw new IllegalStateException(settings.whyNoUserStore());
        }
        return users;
    }

    public int openConnections() {
        return open.get();
    }

    /** Completes once every I/O thread ran a task submitted now; exceptionally once the threads are gone. */
    public CompletableFuture<Void> ping() {
        return Threads.ping(group);
    }

    /** One of the I/O threads, for work that needs an event loop but no channel (a forward-auth check). */
    public io.netty.channel.EventLoop nextLoop() {
        return group.next();
    }

    public Resolver resolver() {
        return resolver;
    }

    public AuthChain auth() {
        return auth;
    }

    public RuleChain rules() {
        return rules;
    }

    public CompletableFuture<ProxyManager.Explanation> explain(ProxyRequest request, Principal principal) {
        return Explain.explain(rules, resolver, request, principal, services.routes());
    }

    /** Replaces the host's rules atomically; core's defaults stay after them. */
    /** The services sessions use; the reload replaces its route table. */
    public Services services() {
        return services;
    }

    public void replaceRules(List<AccessRule> accessRules) {
        rules = new RuleChain(accessRules, defaultRules(boundListeners));
    }

    private List<AccessRule> defaultRules(List<InetSocketAddress> listeners) {
        return DefaultRules.all(listeners, settings.protectedAddresses(), settings.denyLocalTargets());
    }

    /** The sessions open now, and the host's session listeners. */
    public LiveSessions sessions() {
        return sessions;
    }

    public CompositeMetrics metrics() {
        return metrics;
    }

    public OutboundDialer dialer() {
        return dialer;
    }

    /** What a reload may change: TLS contexts and configured users. */
    public LiveConfig live() {
        return live;
    }

    /** Starts a session of {@code frontend} on a newly accepted (or newly routed) connection. */
    DefaultSession startSession(Channel channel, Frontend frontend) {
        DefaultSession session = new DefaultSession(services, frontend.protocol(), channel);
        frontend.initChannel(channel, session);
        channel.pipeline().addLast(DefaultSession.GUARD, session.guard());
        session.start();
        return session;
    }
}
