package dev.sallyport.core.internal.session;

import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.SharedLimits;
import dev.sallyport.core.Resolver;
import dev.sallyport.core.internal.CompositeMetrics;
import dev.sallyport.core.internal.Settings;
import dev.sallyport.core.internal.Transport;
import dev.sallyport.core.internal.net.OutboundDialer;
import dev.sallyport.core.internal.net.SystemResolver;
import dev.sallyport.core.internal.policy.AuthChain;
import dev.sallyport.core.internal.policy.RuleChain;
import dev.sallyport.core.internal.policy.UserLimits;
import dev.sallyport.core.internal.route.RouteTable;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * What a session uses, handed over as one immutable value instead of the whole engine: the
 * sealed settings, the transport, and the services of the admission path in the order they run.
 * The rule chain is read through a supplier because the host may replace it while running.
 */
public final class Services {

    private final Settings settings;
    private final Transport transport;
    private final AuthChain auth;
    private final Resolver resolver;
    private final Supplier<RuleChain> rules;
    private final UserLimits limits;
    private final ConnectionPool pool;
    private final OutboundDialer dialer;
    private final CompositeMetrics metrics;
    private final LiveSessions sessions;
    /** Replaced whole by a reload; a session reads it once, when it picks its route. */
    private volatile RouteTable routes;
    /** Where the route tables' health checks run. */
    private final EventLoopGroup loops;
    /** Set by {@link #close()}: no table's checks start after it. */
    private boolean closed;

    public Services(Settings settings, Transport transport, AuthChain auth, Resolver resolver,
                    Supplier<RuleChain> rules, UserLimits limits, OutboundDialer dialer, CompositeMetrics metrics,
                    LiveSessions sessions, EventLoopGroup loops) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.transport = Objects.requireNonNull(transport, "transport");
        this.auth = Objects.requireNonNull(auth, "auth");
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.rules = Objects.requireNonNull(rules, "rules");
        this.limits = Objects.requireNonNull(limits, "limits");
        // A pooled connection would carry the header of the client it was first dialled for.
        this.pool = settings.upstreamProxyProtocol() != 0 ? ConnectionPool.direct() : settings.connectionPool();
        this.dialer = Objects.requireNonNull(dialer, "dialer");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.sessions = Objects.requireNonNull(sessions, "sessions");
        this.loops = Objects.requireNonNull(loops, "loops");
        this.routes = routeTable(settings.routing());
        routes.startChecks(loops);
    }

    Settings settings() {
        return settings;
    }

    /** The transport the manager's event loops run. */
    public Transport transport() {
        return transport;
    }

    AuthChain auth() {
        return auth;
    }

    /**
     * Resolves {@code host} with the configured resolver; the future completes on {@code loop}.
     * The manager's own system resolver runs there; any other resolver's answer is handed over,
     * and a resolver that throws or answers null fails the lookup.
     */
    Future<List<InetAddress>> resolve(String host, EventLoop loop) {
        if (resolver instanceof SystemResolver system) {
            return system.resolve(host, loop);
        }
        Promise<List<InetAddress>> promise = loop.newPromise();
        CompletionStage<List<InetAddress>> stage;
        try {
            stage = resolver.resolve(host);
        } catch (RuntimeException e) {
            return promise.setFailure(e);
        }
        if (stage == null) {
            return promise.setFailure(new NullPointerException("resolver " + resolver + " returned null for " + host));
        }
        stage.whenComplete((addresses, error) -> {
            if (error != null) {
                promise.tryFailure(error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
            } else if (addresses == null || addresses.isEmpty()) {
                promise.tryFailure(new UnknownHostException(host));
            } else {
                promise.trySuccess(addresses);
            }
        });
        return promise;
    }

    /** The rule chain in force now. */
    RuleChain rules() {
        return rules.get();
    }

    UserLimits limits() {
        return limits;
    }

    /** Fleet-wide limits; {@link SharedLimits#NONE} when not configured. */
    SharedLimits shared() {
        return settings.sharedLimits();
    }

    ConnectionPool pool() {
        return pool;
    }

    OutboundDialer dialer() {
        return dialer;
    }

    CompositeMetrics metrics() {
        return metrics;
    }

    LiveSessions sessions() {
        return sessions;
    }

    /** The route rules and upstream groups in force now. */
    public RouteTable routes() {
        return routes;
    }

    /**
     * Builds the table of {@code routing} for this manager without applying it, so that a reload
     * can fail before it changes anything. Its upstreams start up, with no failures counted.
     */
    public RouteTable routeTable(dev.sallyport.core.Routing routing) {
        return RouteTable.of(routing, settings.ticker(), dialer, settings.connectTimeout(), metrics);
    }

    /**
     * Routes new sessions by {@code table}; sessions already routed keep their upstream. The
     * replaced table's health checks stop, the new one's start (unless the manager is closing).
     */
    public synchronized void routes(RouteTable table) {
        Objects.requireNonNull(table, "table");
        RouteTable old = routes;
        routes = table;
        old.stopChecks();
        if (!closed) {
            table.startChecks(loops);
        }
    }

    /** Stops the health checks for good, when the manager closes. */
    public synchronized void close() {
        closed = true;
        routes.stopChecks();
    }
}
