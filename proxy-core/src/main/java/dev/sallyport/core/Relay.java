package dev.sallyport.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

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
final class Relay {

    private static final Logger log = LoggerFactory.getLogger(Relay.class);

    private final DefaultSession session;
    private final Channel client;
    private final Channel target;
    private final Side up;
    private final Side down;
    private final long idleNanos;
    private ScheduledFuture<?> idleCheck;
    private long reads;
    private long readsAtLastCheck;
    private int idleChecks;
    private boolean closed;

    Relay(DefaultSession session, Channel client, Channel target, Duration idleTimeout) {
        this.session = session;
        this.client = client;
        this.target = target;
        this.up = new Side(client, target);
        this.down = new Side(target, client);
        this.idleNanos = idleTimeout.toNanos();
    }

    void start(boolean clientInputAlreadyShutdown) {
        client.pipeline().addBefore(DefaultSession.GUARD, DefaultSession.RELAY, up);
        target.pipeline().addLast(DefaultSession.RELAY, down);
        if (idleNanos > 0) {
            long period = Math.max(idleNanos / 2, 1);
            idleCheck = client.eventLoop().scheduleAtFixedRate(this::checkIdle, period, period, TimeUnit.NANOSECONDS);
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

    private void checkIdle() {
        if (reads != readsAtLastCheck) {
            readsAtLastCheck = reads;
            idleChecks = 0;
            return;
        }
        // Two quiet half-periods in a row: no byte either way for at least the idle timeout.
        if (++idleChecks >= 2) {
            log.debug("Closing idle tunnel from {}", client.remoteAddress());
            session.idle();
            closeBoth();
        }
    }

    private void closeBoth() {
        if (closed) {
            return;
        }
        closed = true;
        if (idleCheck != null) {
            idleCheck.cancel(false);
        }
        flushAndClose(client);
        flushAndClose(target);
    }

    private static void flushAndClose(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }

    /** One direction: reads from {@code source}, writes to {@code sink}. */
    private final class Side extends ChannelInboundHandlerAdapter {
        private final Channel source;
        private final Channel sink;
        long bytes;
        boolean inputDone;

        Side(Channel source, Channel sink) {
            this.source = source;
            this.sink = sink;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf && sink.isActive()) {
                bytes += buf.readableBytes();
                reads++;
                sink.write(buf, sink.voidPromise());
            } else {
                ReferenceCountUtil.release(msg);
            }
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
                Channel other = source == client ? target : client;
                Side otherSide = source == client ? down : up;
                if (!otherSide.inputDone) {
                    other.config().setAutoRead(true);
                }
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
            log.debug("Tunnel from {} failed on the {} side", client.remoteAddress(), source == client ? "client" : "target", cause);
            closeBoth();
        }
    }
}
