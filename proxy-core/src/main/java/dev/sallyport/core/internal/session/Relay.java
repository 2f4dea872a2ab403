package dev.sallyport.core.internal.session;

import dev.sallyport.core.internal.ClientAddress;

import dev.sallyport.core.internal.policy.TokenBucket;
import dev.sallyport.core.internal.policy.UserLimits;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import dev.sallyport.core.spi.Shaper;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Moves bytes between a client and its target. Both channels live on one event loop, so the
 * state here needs no synchronisation.
 *
 * <ul>
 *   <li>Back-pressure: a side stops reading while its peer is not writable and resumes when the
 *       peer drains below its low water mark.</li>
 *   <li>Half-close: end of input on one side shuts down the peer's output once everything before
 *       it was written; the tunnel closes when both directions are done.</li>
 *   <li>Buffers are passed on as read, never copied; writes use the void promise, so no
 *       per-read allocation beyond the buffer itself.</li>
 *   <li>Idle: a counter of reads is checked every half idle period; no clock call per read.</li>
 * </ul>
 */
public final class Relay {

    private static final Logger log = LoggerFactory.getLogger(Relay.class);

    private final DefaultSession session;
    private final Channel client;
    private final Channel target;
    private final Side up;
    private final Side down;
    private final Duration idleTimeout;
    private final Duration maxDuration;
    private final UserLimits.State limits;
    private SessionTimers timers;
    private boolean closed;

    Relay(DefaultSession session, Channel client, Channel target, Duration idleTimeout) {
        this(session, client, target, idleTimeout, Duration.ZERO, null);
    }

    /**
     * @param maxDuration zero for none; otherwise the tunnel closes after this long
     * @param limits      the user's live limits, whose bandwidth buckets shape both directions;
     *                    null when the user has none
     */
    Relay(DefaultSession session, Channel client, Channel target, Duration idleTimeout, Duration maxDuration,
          UserLimits.State limits) {
        this.session = session;
        this.client = client;
        this.target = target;
        this.limits = limits;
        this.up = new Side(client, target, true);
        this.down = new Side(target, client, false);
        this.idleTimeout = idleTimeout;
        this.maxDuration = maxDuration;
    }

    void start(boolean clientInputAlreadyShutdown) {
        client.pipeline().addBefore(DefaultSession.GUARD, DefaultSession.RELAY, up);
        target.pipeline().addLast(DefaultSession.RELAY, down);
        timers = new SessionTimers(client.eventLoop(), idleTimeout, maxDuration, () -> {
            log.debug("Closing idle tunnel from {}", ClientAddress.of(client));
            session.idle();
            closeBoth();
        }, () -> {
            log.debug("Closing tunnel from {}: maximum session length reached", ClientAddress.of(client));
            session.fail(dev.sallyport.api.Outcome.MAX_DURATION);
            closeBoth();
        });
        if (limits != null) {
            // Shaped tunnels read in small steps so a pause lands close to where the budget ends.
            up.shapeReads();
            down.shapeReads();
        }
        if (!target.isActive()) {
            closeBoth();
            return;
        }
        if (clientInputAlreadyShutdown) {
            up.inputShutdown();
        } else {
            client.config().setAutoRead(true);
        }
        target.config().setAutoRead(true);
    }

    long bytesUp() {
        return up.bytes;
    }

    long bytesDown() {
        return down.bytes;
    }

    private void closeBoth() {
        if (closed) {
            return;
        }
        closed = true;
        if (timers != null) {
            timers.cancel();
        }
        up.cancelShaping();
        down.cancelShaping();
        flushAndClose(client);
        flushAndClose(target);
    }

    /** Closes once everything already written has reached the socket; at once when nothing is pending. */
    private static void flushAndClose(Channel channel) {
        io.netty.channel.ChannelOutboundBuffer pending = channel.unsafe().outboundBuffer();
        if (channel.isActive() && pending != null && pending.totalPendingWriteBytes() > 0) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }

    /** One direction: reads from {@code source}, writes to {@code sink}. */
    private final class Side extends ChannelInboundHandlerAdapter {
        private final Channel source;
        private final Channel sink;
        private final boolean upstream;
        long bytes;
        boolean inputDone;
        /** Pauses reading {@code source} while the user's bandwidth budget for this direction is spent. */
        private final Shaper shaper;

        Side(Channel source, Channel sink, boolean upstream) {
            this.source = source;
            this.sink = sink;
            this.upstream = upstream;
            this.shaper = BucketShaper.of(limits, upstream, source.eventLoop(), () -> source.config().setAutoRead(false),
                    this::updateReading);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf && sink.isActive()) {
                int n = buf.readableBytes();
                bytes += n;
                timers.read();
                sink.write(buf, sink.voidPromise());
                shaper.charge(n);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        void shapeReads() {
            TokenBucket bucket = upstream ? limits.up : limits.down;
            long rate = bucket == null ? 64 * 1024 : bucket.rate();
            int size = (int) Math.max(1024, Math.min(64 * 1024, rate / 50));
            source.config().setMaxMessagesPerRead(1);
            source.config().setRecvByteBufAllocator(new io.netty.channel.FixedRecvByteBufAllocator(size));
        }

        void cancelShaping() {
            shaper.cancel();
        }

        /** Reads while the sink keeps up, no shaping pause is due, and input has not ended. */
        void updateReading() {
            source.config().setAutoRead(!inputDone && !shaper.paused() && sink.isWritable() && !closed);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            sink.flush();
            if (!sink.isWritable()) {
                source.config().setAutoRead(false);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // This side's channel is the sink of the other direction.
            if (source.isWritable()) {
                (this == up ? down : up).updateReading();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent) {
                inputShutdown();
            } else {
                ctx.fireUserEventTriggered(event);
            }
        }

        void inputShutdown() {
            if (inputDone) {
                return;
            }
            inputDone = true;
            source.config().setAutoRead(false);
            Side other = this == up ? down : up;
            if (other.inputDone) {
                closeBoth();
                return;
            }
            if (sink.isActive()) {
                sink.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                    if (f.isSuccess() && sink instanceof DuplexChannel duplex && !closed) {
                        // Once the sink's output is shut, the end of its input ends the tunnel: let
                        // that EOF close the channel. With half-closure still on, the transport would
                        // shut the input of a socket TCP has already closed (TIME_WAIT after both
                        // FINs) and build an exception for the ENOTCONN, on most sessions.
                        sink.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
                        duplex.shutdownOutput();
                    }
                });
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closeBoth();
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("Tunnel from {} failed on the {} side", ClientAddress.of(client), source == client ? "client" : "target", cause);
            closeBoth();
        }
    }
}
