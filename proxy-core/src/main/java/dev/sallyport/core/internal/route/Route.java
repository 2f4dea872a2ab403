package dev.sallyport.core.internal.route;

import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.Principal;
import dev.sallyport.core.internal.net.OutboundDialer;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How an admitted request reaches its target: direct (from the kernel's or a chosen source
 * address), through an upstream group, or not at all. One per route rule, shared by its requests.
 */
public final class Route {

    /** Dial the target from this host, from the address the kernel picks. */
    public static final Route DIRECT = new Route("direct", null, List.of(), false, null);

    private final String name;
    private final Group group;
    private final List<InetAddress> egress;
    private final boolean deny;
    /** The rule that chose this route, or null for the default. */
    private final String rule;
    private final AtomicInteger nextEgress = new AtomicInteger();

    Route(String name, Group group, List<InetAddress> egress, boolean deny, String rule) {
        this.name = name;
        this.group = group;
        this.egress = egress;
        this.deny = deny;
        this.rule = rule;
    }

    /** For logs, summaries and {@code explain()}: {@code direct}, {@code direct:ADDR,...}, {@code deny} or the group's name. */
    public String name() {
        return name;
    }

    /** The match of the rule that chose it, or null for the default route. */
    public String rule() {
        return rule;
    }

    public boolean denies() {
        return deny;
    }

    /** Whether the route goes through an upstream group. */
    public boolean upstream() {
        return group != null;
    }

    /** The source address of a direct dial for {@code principal}: sticky per user, in turn for anonymous ones. */
    InetAddress egressFor(Principal principal) {
        if (egress.isEmpty()) {
            return null;
        }
        int i = principal.isAnonymous() ? nextEgress.getAndIncrement() : principal.name().hashCode();
        return egress.get(Math.floorMod(i, egress.size()));
    }

    /**
     * The dialer for one request on this route: the base dialer itself for a plain direct route
     * (nothing allocated), one bound to a source address, or a connect through the group.
     */
    public ConnectionPool.Dialer dialer(RouteTable table, String host, int port, Principal principal, InetAddress client) {
        return dialer(table, host, port, principal, client, false);
    }

    /** Like the other; {@code httpForward} for an HTTP forwarded request, which goes to an HTTP upstream untunnelled. */
    public ConnectionPool.Dialer dialer(RouteTable table, String host, int port, Principal principal, InetAddress client,
                                        boolean httpForward) {
        if (group != null) {
            return new UpstreamConnect(table, group, host, port, principal, client, httpForward);
        }
        InetAddress source = egressFor(principal);
        OutboundDialer base = table.dialer();
        if (source == null) {
            return base;
        }
        return new SourceDialer(base, new InetSocketAddress(source, 0));
    }

    /**
     * The route as the connection pool is told it: connections of one key are interchangeable,
     * so a chosen source address is part of it ({@code direct from 192.0.2.10}).
     */
    public String poolKey(ConnectionPool.Dialer dialer) {
        if (dialer instanceof UpstreamConnect upstream) {
            return upstream.poolKey(name);
        }
        return dialer instanceof SourceDialer from ? name + " from " + from.source.getAddress().getHostAddress() : name;
    }

    /** Dials from one local source address. */
    private record SourceDialer(OutboundDialer base, InetSocketAddress source) implements ConnectionPool.Dialer {
        @Override
        public Future<Channel> dial(InetSocketAddress address, EventLoop eventLoop) {
            return base.open(address, source, eventLoop, null);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
