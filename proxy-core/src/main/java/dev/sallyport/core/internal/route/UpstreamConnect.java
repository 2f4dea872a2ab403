package dev.sallyport.core.internal.route;

import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.core.Upstream;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.spi.SessionException;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.proxy.ProxyConnectException;
import io.netty.handler.proxy.ProxyHandler;
import io.netty.handler.proxy.Socks5ProxyHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * One request's connect through an upstream group: the strategy picks the first member, a
 * member that fails before the tunnel stands (refused, timed out, a failed TLS or proxy
 * handshake, a refused login) is marked and the next available one is tried, up to the group's
 * attempts, each within its share of the connect timeout. A target the upstream itself could not
 * reach (its reply said so) ends the request at once: another upstream would not do better, and
 * the upstream is healthy. The host name goes to the upstream as the client asked for it. A
 * chain of hops is one member: any hop but the last failing is the member's failure, retried.
 *
 * <p>An HTTP forwarded request ({@code httpForward}) to a plain HTTP upstream gets no tunnel: the
 * channel is a plain connection to the upstream (through the hops before it, for a chain), marked with {@link RouteTable#HTTP_UPSTREAM}, and
 * the frontend sends its requests there in absolute-form. SOCKS5 and HTTPS upstreams tunnel.
 */
final class UpstreamConnect implements ConnectionPool.Dialer {

    private final RouteTable table;
    private final Group group;
    private final String host;
    private final int port;
    private final Principal principal;
    private final InetAddress client;
    private final boolean httpForward;
    private Promise<Channel> promise;
    private InetSocketAddress resolved;
    private int tried;

    UpstreamConnect(RouteTable table, Group group, String host, int port, Principal principal, InetAddress client,
                    boolean httpForward) {
        this.table = table;
        this.httpForward = httpForward;
        this.group = group;
        this.host = host;
        this.port = port;
        this.principal = principal;
        this.client = client;
    }

    @Override
    public Future<Channel> dial(InetSocketAddress address, EventLoop eventLoop) {
        // A literal goes as an address; a name unresolved (the rules checked the local answer).
        InetSocketAddress destination = Addresses.literal(host) != null ? address
                : InetSocketAddress.createUnresolved(host, port);
        Promise<Channel> result = eventLoop.newPromise();
        this.promise = result;
        this.resolved = address;
        this.tried = 0;
        next(group.first(principal, client, host, port), destination, eventLoop);
        return result;
    }

    private void next(int from, InetSocketAddress destination, EventLoop loop) {
        if (promise.isDone()) {
            return;
        }
        Member[] members = group.members;
        int index = -1;
        for (int k = 0; k < members.length; k++) {
            int candidate = (from + k) % members.length;
            if (members[candidate].available()) {
                index = candidate;
                break;
            }
        }
        if (index < 0) {
            if (tried == 0 && group.config.fallbackDirect()) {
                table.fallbackDirect(resolved, loop, promise);
                return;
            }
            promise.tryFailure(new SessionException(Outcome.ERROR, "upstream " + group.name(), "no upstream of group "
                    + group.name() + " is available", null));
            return;
        }
        Member member = members[index];
        tried++;
        int at = index;
        long timeoutMillis = table.tryTimeoutMillis(group);
        long startNanos = System.nanoTime();
        Upstream last = member.hops.get(member.hops.size() - 1);
        boolean plain = httpForward && last.kind() == Upstream.Kind.HTTP;
        // Plain: a connection to the (last) HTTP upstream itself, through the hops before it.
        Tunnel tunnel = plain ? Tunnel.open(table, member, member.hops.size() - 1, Tunnel.address(last), loop, timeoutMillis, false)
                : Tunnel.open(table, member, member.hops.size(), destination, loop, timeoutMillis, false);
        promise.addListener(f -> {
            if (!f.isSuccess()) {
                // Given up (timed out, client gone): drop this try, whether it is dialling or shaking hands.
                tunnel.abandon(f.cause());
            }
        });
        tunnel.done().addListener(f -> {
            if (!f.isSuccess()) {
                // Plain, the tunnel ends at the HTTP upstream: whatever failed is the member's.
                failed(member, f.cause(), !plain && tunnel.lastHopAnswered(), at, destination, loop, startNanos);
                return;
            }
            Channel channel = (Channel) f.getNow();
            tunnel.removeHandshakes(channel);
            if (plain) {
                channel.attr(RouteTable.HTTP_UPSTREAM).set(member.authorization);
            }
            connected(member, channel, startNanos);
        });
    }

    /** The try succeeded: the channel leads to the target (or, plain, to an HTTP upstream). */
    private void connected(Member member, Channel channel, long startNanos) {
        report(member, Outcome.OK, startNanos, member.succeeded());
        channel.attr(RouteTable.UPSTREAM).set(member.label);
        if (!promise.trySuccess(channel)) {
            channel.close();
            return;
        }
        MetricsSink metrics = table.metrics();
        metrics.upstreamActive(member.label, member.active.incrementAndGet());
        channel.closeFuture().addListener(c -> metrics.upstreamActive(member.label, member.active.decrementAndGet()));
    }

    /**
     * What the connection pool keys this dialer's connections by: the route; for HTTP forwarding,
     * which may get a plain connection to an HTTP upstream, a key of its own (a tunnel must never
     * be handed such a connection) with the user in it (one user's kept-alive connection to the
     * upstream never carries another's requests).
     */
    String poolKey(String route) {
        if (!httpForward) {
            return route;
        }
        return principal.isAnonymous() ? route + " forward" : route + " forward as " + principal.name();
    }

    /** Tells the metrics how a try ended and whether the member changed state. */
    private void report(Member member, Outcome outcome, long startNanos, boolean changed) {
        MetricsSink metrics = table.metrics();
        metrics.upstreamConnect(member.label, outcome, Duration.ofNanos(System.nanoTime() - startNanos));
        if (changed) {
            metrics.upstreamState(member.label, !member.down());
        }
    }

    private void failed(Member member, Throwable cause, boolean lastHopAnswered, int at, InetSocketAddress destination,
                        EventLoop loop, long startNanos) {
        if (promise.isDone()) {
            return;
        }
        // A hop before the last that could not reach the next hop is the member's failure, not the target's.
        Outcome target = lastHopAnswered ? targetFailure(cause) : null;
        if (target != null) {
            // The upstream answered: it is healthy, the target is not.
            report(member, target, startNanos, member.succeeded());
            promise.tryFailure(new SessionException(target, null, "upstream " + member.upstream.name() + " of group "
                    + group.name() + " could not reach " + host + ":" + port, cause));
            return;
        }
        report(member, outcomeOf(cause), startNanos, member.failed());
        if (tried >= group.config.attempts()) {
            promise.tryFailure(new SessionException(Outcome.ERROR, "upstream " + group.name(), "upstream "
                    + member.upstream.name() + " of group " + group.name() + " failed (" + tried + " tried)", cause));
            return;
        }
        next(at + 1, destination, loop);
    }

    /** Why a try failed, for the metrics: the connect's own failure, or an error of the handshake. */
    private static Outcome outcomeOf(Throwable cause) {
        Outcome outcome = dev.sallyport.core.internal.net.ConnectFailures.outcome(cause);
        return cause instanceof ProxyConnectException && cause.getMessage() != null && cause.getMessage().endsWith("timeout")
                ? Outcome.CONNECT_TIMEOUT : outcome;
    }

    /**
     * The outcome when the upstream answered that it could not reach the target, or null when
     * the upstream itself failed. The handshake handlers report the reply only in their message.
     */
    static Outcome targetFailure(Throwable cause) {
        if (!(cause instanceof ProxyConnectException) || cause.getMessage() == null) {
            return null;
        }
        String message = cause.getMessage();
        int at = message.lastIndexOf("status: ");
        if (at < 0) {
            return null;
        }
        String status = message.substring(at + "status: ".length());
        if (status.startsWith("CONNECTION_REFUSED")) {
            return Outcome.CONNECTION_REFUSED;
        }
        if (status.startsWith("HOST_UNREACHABLE")) {
            return Outcome.HOST_UNREACHABLE;
        }
        if (status.startsWith("NETWORK_UNREACHABLE")) {
            return Outcome.NETWORK_UNREACHABLE;
        }
        if (status.startsWith("TTL_EXPIRED") || status.startsWith("504")) {
            return Outcome.CONNECT_TIMEOUT;
        }
        if (status.startsWith("FORBIDDEN") || status.startsWith("403")) {
            return Outcome.DENIED;
        }
        // Squid answers 503 when it cannot connect to the target (ERR_CONNECT_FAIL).
        if (status.startsWith("502") || status.startsWith("503") || status.startsWith("404")) {
            return Outcome.HOST_UNREACHABLE;
        }
        return null;
    }

    /** The handshake handler for {@code upstream}, whose connect() goes to {@code proxy}. */
    static ProxyHandler handler(Upstream upstream, InetSocketAddress proxy) {
        return switch (upstream.kind()) {
            case SOCKS5 -> upstream.username() == null ? new Socks5ProxyHandler(proxy)
                    : new Socks5ProxyHandler(proxy, upstream.username(), upstream.password());
            case HTTP, HTTPS -> upstream.username() == null ? new HttpProxyHandler(proxy)
                    : new HttpProxyHandler(proxy, upstream.username(), upstream.password());
        };
    }
}
