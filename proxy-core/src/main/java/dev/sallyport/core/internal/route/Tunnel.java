package dev.sallyport.core.internal.route;

import dev.sallyport.core.Upstream;
import dev.sallyport.core.internal.net.Addresses;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.proxy.ProxyHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One connection to a member's first hop with the handshakes of its first {@code hops} hops in
 * the pipeline: hop i's handler asks hop i for a tunnel to hop i+1, the last one asks for the
 * destination. Netty's proxy handlers hold back what the handlers behind them write until their
 * own tunnel stands, so the hops shake hands one after the other on the one connection. With no
 * hop it is a plain TCP connect (a health check of a single upstream). Used on its event loop only.
 */
final class Tunnel {

    private final Promise<Channel> done;
    private final Future<Channel> connect;
    private ProxyHandler[] handlers;

    private Tunnel(RouteTable table, Member member, int hops, InetSocketAddress destination, EventLoop loop,
                   long timeoutMillis, boolean probe) {
        this.done = loop.newPromise();
        this.connect = table.dialer().open(destination, null, loop, channel -> {
            channel.config().setConnectTimeoutMillis((int) timeoutMillis);
            handlers = table.handshake(channel, member, hops, timeoutMillis);
            if (probe && hops > 0) {
                channel.pipeline().addLast(EndBeforeTunnel.NAME, EndBeforeTunnel.INSTANCE);
            }
            if (hops > 0) {
                // No handshake, no reply for bytes to follow: a plain connection starts clean.
                channel.pipeline().addLast(Leftover.NAME, new Leftover());
            }
        });
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                done.tryFailure(f.cause());
                return;
            }
            Channel channel = (Channel) f.getNow();
            if (handlers.length == 0) {
                done.trySuccess(channel);
                return;
            }
            handlers[handlers.length - 1].connectFuture().addListener(h -> {
                if (!h.isSuccess()) {
                    channel.close();
                    done.tryFailure(h.cause());
                } else if (!done.trySuccess(channel)) {
                    channel.close();
                }
            });
        });
    }

    /**
     * Opens the connection and starts the handshakes, each bounded by {@code timeoutMillis}. A
     * {@code probe} (a health check, never relayed) also fails at once when the peer closes.
     */
    static Tunnel open(RouteTable table, Member member, int hops, InetSocketAddress destination, EventLoop loop,
                       long timeoutMillis, boolean probe) {
        return new Tunnel(table, member, hops, destination, loop, timeoutMillis, probe);
    }

    /** Completes with the channel once every hop's tunnel stands, or with the first failure. */
    Future<Channel> done() {
        return done;
    }

    /**
     * Whether a failure was the last hop's answer (every hop before it stood): then the reply is
     * about the destination; otherwise a hop of the member failed.
     */
    boolean lastHopAnswered() {
        if (handlers == null || handlers.length == 0) {
            return false;
        }
        for (int i = 0; i < handlers.length - 1; i++) {
            if (!handlers[i].connectFuture().isSuccess()) {
                return false;
            }
        }
        return true;
    }

    /** Takes the handshake handlers out of a channel whose tunnels stand (TLS to an HTTPS hop stays). */
    void removeHandshakes(Channel channel) {
        for (ProxyHandler handler : handlers) {
            channel.pipeline().remove(handler);
        }
    }

    /** Gives up: fails it with {@code cause} unless it is done, and drops the connection, dialling or open. */
    void abandon(Throwable cause) {
        done.tryFailure(cause);
        connect.cancel(false);
        if (connect.isSuccess() && !done.isSuccess()) {
            ((Channel) connect.getNow()).close();
        }
    }

    /** Where a hop after the first is asked to connect: an address for a literal, else the name, unresolved. */
    static InetSocketAddress address(Upstream hop) {
        InetAddress literal = Addresses.literal(hop.host());
        return literal != null ? new InetSocketAddress(literal, hop.port())
                : InetSocketAddress.createUnresolved(hop.host(), hop.port());
    }

    /**
     * In a probe, a peer that closes before the tunnels stand fails the check at once. Outbound
     * channels allow half-closure (for the relay), so the proxy handlers see no inactive channel,
     * only this event, and would wait for their timeout. Sessions' tries keep Netty's behaviour
     * (the same handler there broke the target-speaks-first case of ScriptedUpstreamTest in full
     * runs; not understood yet, so not on the session path).
     */
    @ChannelHandler.Sharable
    private static final class EndBeforeTunnel extends ChannelInboundHandlerAdapter {
        static final String NAME = "sallyport-upstream-eof";
        static final EndBeforeTunnel INSTANCE = new EndBeforeTunnel();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.close();
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }
    }
}
