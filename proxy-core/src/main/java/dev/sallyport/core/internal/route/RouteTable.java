package dev.sallyport.core.internal.route;

import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.Principal;
import dev.sallyport.core.Routing;
import dev.sallyport.core.Ticker;
import dev.sallyport.core.Upstream;
import dev.sallyport.core.UpstreamGroup;
import dev.sallyport.core.internal.net.OutboundDialer;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.proxy.ProxyHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import javax.net.ssl.SSLException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The route rules in force: the first rule whose match holds picks the route; none holds, the
 * request goes direct (from the default source addresses, if any). Built once at start from
 * {@link Routing}; thread-safe (the groups' health is their own).
 */
public final class RouteTable {

    /** The group and upstream an outbound channel was opened through, for summaries and logs. */
    public static final AttributeKey<String> UPSTREAM = AttributeKey.valueOf("sallyport.route.upstream");
    /** On a plain connection to an HTTP upstream: the Proxy-Authorization value for it, "" without a login. */
    public static final AttributeKey<String> HTTP_UPSTREAM = AttributeKey.valueOf("sallyport.route.http-upstream");

    private record Entry(RouteMatch match, Route route) {
    }

    private final List<Entry> entries;
    private final Route fallback;
    private final Map<String, Group> groups;
    private final OutboundDialer dialer;
    private final long connectTimeoutMillis;
    private final SslContext tls;
    private final MetricsSink metrics;
    private final HealthChecks checks;

    private RouteTable(List<Entry> entries, Route fallback, Map<String, Group> groups, OutboundDialer dialer,
                       long connectTimeoutMillis, SslContext tls, MetricsSink metrics) {
        this.entries = entries;
        this.fallback = fallback;
        this.groups = groups;
        this.dialer = dialer;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.tls = tls;
        this.metrics = metrics;
        this.checks = new HealthChecks(this, groups.values(), connectTimeoutMillis);
    }

    /** Starts the groups' active health checks on {@code loops}; call once, when the table is put in force. */
    public void startChecks(EventLoopGroup loops) {
        checks.start(loops);
    }

    /** Stops the active health checks, when the table is replaced or the manager closes; idempotent. */
    public void stopChecks() {
        checks.stop();
    }

    /** The table of {@code routing}; upstream host names are resolved here, once. */
    public static RouteTable of(Routing routing, Ticker ticker, OutboundDialer dialer, Duration connectTimeout,
                                MetricsSink metrics) {
        Map<String, Group> groups = new LinkedHashMap<>();
        boolean https = false;
        for (UpstreamGroup group : routing.groups().values()) {
            groups.put(group.name(), new Group(group, ticker));
            https |= group.upstreams().stream().flatMap(u -> u.hops().stream())
                    .anyMatch(u -> u.kind() == Upstream.Kind.HTTPS);
        }
        List<Entry> entries = new ArrayList<>();
        for (Routing.Rule rule : routing.rules()) {
            entries.add(new Entry(RouteMatch.parse(rule.match()), route(rule, groups, routing.egress())));
        }
        Route fallback = routing.egress().isEmpty() ? Route.DIRECT
                : new Route("direct", null, routing.egress(), false, null);
        return new RouteTable(List.copyOf(entries), fallback, groups, dialer, connectTimeout.toMillis(),
                https ? clientTls(routing.trust()) : null, metrics);
    }

    private static Route route(Routing.Rule rule, Map<String, Group> groups, List<InetAddress> egress) {
        String target = rule.target();
        if (target.equals("deny")) {
            return new Route("deny", null, List.of(), true, rule.match());
        }
        if (target.equals("direct")) {
            return new Route("direct", null, egress, false, rule.match());
        }
        if (target.startsWith("direct:")) {
            return new Route(target, null, RouteMatch.addresses("route " + rule.match(),
                    target.substring("direct:".length())), false, rule.match());
        }
        return new Route(target, groups.get(target), List.of(), false, rule.match());
    }

    private static SslContext clientTls(List<X509Certificate> trust) {
        try {
            SslContextBuilder builder = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS");
            if (!trust.isEmpty()) {
                builder.trustManager(trust.toArray(X509Certificate[]::new));
            }
            return builder.build();
        } catch (SSLException e) {
            throw new IllegalStateException("routing: cannot set up TLS for HTTPS upstreams: " + e.getMessage(), e);
        }
    }

    /** Whether every request goes direct from the kernel's address: no rules, no source addresses. */
    public boolean directOnly() {
        return entries.isEmpty() && fallback == Route.DIRECT;
    }

    /** The route of a request; {@code address} is the one to be dialled, or null when nothing was resolved. */
    public Route route(String host, int port, InetAddress address, Principal principal, InetAddress client) {
        for (int i = 0; i < entries.size(); i++) {
            Entry entry = entries.get(i);
            if (entry.match().matches(host, port, address, principal, client)) {
                return entry.route();
            }
        }
        return fallback;
    }

    OutboundDialer dialer() {
        return dialer;
    }

    MetricsSink metrics() {
        return metrics;
    }

    /** Each try of a group gets its share of the connect timeout, so a black hole leaves time for the next. */
    long tryTimeoutMillis(Group group) {
        return Math.max(1, connectTimeoutMillis / Math.min(group.config.attempts(), group.members.length));
    }

    /**
     * Adds the handshakes with the first {@code hops} hops of {@code member} to a new channel's
     * pipeline, in order (TLS first for an HTTPS hop); returns their handlers.
     */
    ProxyHandler[] handshake(Channel channel, Member member, int hops, long timeoutMillis) {
        ProxyHandler[] handlers = new ProxyHandler[hops];
        for (int i = 0; i < hops; i++) {
            Upstream hop = member.hops.get(i);
            if (hop.kind() == Upstream.Kind.HTTPS) {
                SslHandler ssl = tls.newHandler(channel.alloc(), hop.host(), hop.port());
                ssl.setHandshakeTimeoutMillis(timeoutMillis);
                channel.pipeline().addLast("sallyport-upstream-tls-" + i, ssl);
            }
            handlers[i] = UpstreamConnect.handler(hop, i == 0 ? member.address : Tunnel.address(hop));
            handlers[i].setConnectTimeoutMillis(timeoutMillis);
            channel.pipeline().addLast("sallyport-upstream-" + i, handlers[i]);
        }
        return handlers;
    }

    /** A group with no upstream up whose rule allows it: dialled direct instead. */
    void fallbackDirect(InetSocketAddress address, EventLoop loop, Promise<Channel> promise) {
        Future<Channel> direct = dialer.dial(address, loop);
        direct.addListener(f -> {
            if (f.isSuccess()) {
                if (!promise.trySuccess((Channel) f.getNow())) {
                    ((Channel) f.getNow()).close();
                }
            } else {
                promise.tryFailure(f.cause());
            }
        });
    }

    /** The upstream groups' states, for metrics and listings: group/upstream to whether it is up. */
    public Map<String, Boolean> health() {
        Map<String, Boolean> states = new LinkedHashMap<>();
        groups.values().forEach(g -> {
            for (Member m : g.members) {
                states.put(g.name() + "/" + m.upstream.name(), !m.down());
            }
        });
        return states;
    }
}
