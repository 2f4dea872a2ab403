package dev.sallyport.core.internal.net;

import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.OutboundRequest;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Keeps idle keep-alive connections per event loop and per resolved origin address, for
 * {@link ConnectionPools#pooled}. Each event loop has its own idle lists, touched only on that
 * loop, so lending and returning take no lock; a channel is only ever lent to a caller on the
 * loop it is registered on.
 *
 * <p>While a connection is idle, a watcher handler reads from it: an end of input, a close, an
 * error or any unsolicited byte from the origin evicts and closes it at once, so a connection the
 * origin has closed is never lent out. Idle connections are also closed after the idle timeout.
 * The most recently returned connection is lent first (the others age out); when an origin has
 * {@code maxIdlePerOrigin} idle connections, returning one more closes the oldest.
 */
public final class PoolingConnectionPool implements ConnectionPool {

    private static final Logger log = LoggerFactory.getLogger(PoolingConnectionPool.class);

    /** Which pool lent a channel and for which address: set on every channel this pool hands out. */
    private static final AttributeKey<Lent> LENT = AttributeKey.valueOf("sallyport.pool.lent");

    private static final String WATCHER = "sallyport-pool-idle";

    private record Lent(PoolingConnectionPool pool, Object key) {
    }

    private final int maxIdlePerOrigin;
    private final long idleNanos;
    /** The idle connections of each event loop; an entry goes away when its loop has none idle. */
    private final Map<EventLoop, LoopIdle> loops = new ConcurrentHashMap<>();

    public PoolingConnectionPool(int maxIdlePerOrigin, Duration idleTimeout) {
        this.maxIdlePerOrigin = maxIdlePerOrigin;
        this.idleNanos = idleTimeout.toNanos();
    }

    @Override
    public Future<Channel> acquire(OutboundRequest request, EventLoop eventLoop, Dialer dialer) {
        // Connections along other routes (a source address, an upstream) are kept apart from direct ones.
        return acquire(request.route().equals("direct") ? request.address() : new RouteKey(request.address(),
                request.route()), eventLoop, dialer, request.address());
    }

    /** Idle connections to one address along one route other than plain direct. */
    private record RouteKey(InetSocketAddress address, String route) {
    }

    @Override
    public Future<Channel> acquire(InetSocketAddress address, EventLoop eventLoop, Dialer dialer) {
        return acquire(address, eventLoop, dialer, address);
    }

    private Future<Channel> acquire(Object key, EventLoop eventLoop, Dialer dialer, InetSocketAddress address) {
        if (!eventLoop.inEventLoop()) {
            // The contract says callers are on the loop; hop there rather than touch its lists.
            Promise<Channel> promise = eventLoop.newPromise();
            eventLoop.execute(() -> acquire(key, eventLoop, dialer, address).addListener(f -> {
                if (f.isSuccess()) {
                    Channel channel = (Channel) f.getNow();
                    if (!promise.trySuccess(channel)) {
                        release(channel, false);
                    }
                } else {
                    promise.tryFailure(f.cause());
                }
            }));
            return promise;
        }
        LoopIdle idle = loops.get(eventLoop);
        Channel reused = idle == null ? null : idle.take(key);
        if (reused != null) {
            return eventLoop.newSucceededFuture(reused);
        }
        Future<Channel> dial = dialer.dial(address, eventLoop);
        Lent lent = new Lent(this, key);
        dial.addListener(f -> {
            if (f.isSuccess()) {
                ((Channel) f.getNow()).attr(LENT).set(lent);
            }
        });
        return dial;
    }

    @Override
    public void release(Channel channel, boolean reusable) {
        EventLoop loop = channel.eventLoop();
        if (!loop.inEventLoop()) {
            loop.execute(() -> release(channel, reusable));
            return;
        }
        Lent lent = channel.attr(LENT).get();
        if (!reusable || lent == null || lent.pool != this || !usable(channel) || channel.pipeline().first() != null) {
            // Not at a clean boundary, not ours, already closing, or handlers left behind: never reuse.
            channel.close();
            return;
        }
        loops.computeIfAbsent(loop, LoopIdle::new).put(lent.key, channel);
    }

    @Override
    public String toString() {
        return "ConnectionPools.pooled(maxIdlePerOrigin=" + maxIdlePerOrigin + ", idleTimeout="
                + Duration.ofNanos(idleNanos) + ")";
    }

    private static boolean usable(Channel channel) {
        return channel.isActive() && !(channel instanceof DuplexChannel duplex && duplex.isInputShutdown());
    }

    /** The idle connections of one event loop; confined to it. */
    private final class LoopIdle {
        private final EventLoop loop;
        private final Map<Object, ArrayDeque<Watcher>> byOrigin = new HashMap<>();

        LoopIdle(EventLoop loop) {
            this.loop = loop;
        }

        /** The most recently returned usable connection to {@code address}, or null. */
        Channel take(Object address) {
            ArrayDeque<Watcher> idle = byOrigin.get(address);
            Channel found = null;
            while (found == null && idle != null && !idle.isEmpty()) {
                Watcher watcher = idle.pollLast();
                Channel channel = watcher.channel;
                watcher.detach();
                if (usable(channel)) {
                    found = channel;
                } else {
                    channel.close();
                }
            }
            forgetIfEmpty(address, idle);
            return found;
        }

        void put(Object address, Channel channel) {
            ArrayDeque<Watcher> idle = byOrigin.computeIfAbsent(address, a -> new ArrayDeque<>());
            while (idle.size() >= maxIdlePerOrigin) {
                Watcher oldest = idle.pollFirst();
                oldest.detach();
                oldest.channel.close();
            }
            Watcher watcher = new Watcher(this, address, channel);
            idle.addLast(watcher);
            channel.pipeline().addLast(WATCHER, watcher);
            if (!watcher.removed) {
                // Reading while idle is how an origin's close (or stray bytes) is noticed at once.
                channel.config().setAutoRead(true);
            }
        }

        /** Evicts a watcher's channel from its idle list (it closed, timed out or misbehaved). */
        void evict(Watcher watcher) {
            ArrayDeque<Watcher> idle = byOrigin.get(watcher.address);
            if (idle != null) {
                idle.remove(watcher);
                forgetIfEmpty(watcher.address, idle);
            }
        }

        private void forgetIfEmpty(Object address, ArrayDeque<Watcher> idle) {
            if (idle != null && idle.isEmpty()) {
                byOrigin.remove(address);
                if (byOrigin.isEmpty()) {
                    loops.remove(loop, this);
                }
            }
        }
    }

    /** Sits in an idle channel's pipeline: notices the origin closing it, stray bytes, and the idle timeout. */
    private final class Watcher extends ChannelInboundHandlerAdapter {
        final LoopIdle owner;
        /** The origin address, or the address with its route. */
        final Object address;
        final Channel channel;
        private ScheduledFuture<?> timeout;
        boolean removed;

        Watcher(LoopIdle owner, Object address, Channel channel) {
            this.owner = owner;
            this.address = address;
            this.channel = channel;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (!ctx.channel().isActive()) {
                evictAndClose("closed");
                return;
            }
            timeout = ctx.executor().schedule(() -> evictAndClose("idle timeout"), idleNanos, TimeUnit.NANOSECONDS);
        }

        /** Leaves the pipeline clean for the next user: no watcher, no timer, no reading. */
        void detach() {
            if (removed) {
                return;
            }
            removed = true;
            cancelTimeout();
            channel.config().setAutoRead(false);
            if (channel.pipeline().context(this) != null) {
                channel.pipeline().remove(this);
            }
        }

        private void cancelTimeout() {
            if (timeout != null) {
                timeout.cancel(false);
                timeout = null;
            }
        }

        private void evictAndClose(String why) {
            if (removed) {
                return;
            }
            log.debug("Closing idle pooled connection to {}: {}", address instanceof InetSocketAddress a ? Addresses.format(a) : address, why);
            owner.evict(this);
            detach();
            channel.close();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            // An origin that speaks while nobody asked is out of step: the connection is spoiled.
            ReferenceCountUtil.release(msg);
            evictAndClose("unsolicited bytes");
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent || event == ChannelInputShutdownReadComplete.INSTANCE) {
                evictAndClose("closed by the origin");
            } else {
                ReferenceCountUtil.release(event);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            evictAndClose("closed");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("Idle pooled connection to {} failed", address instanceof InetSocketAddress a ? Addresses.format(a) : address, cause);
            evictAndClose("error");
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            cancelTimeout();
        }
    }
}
