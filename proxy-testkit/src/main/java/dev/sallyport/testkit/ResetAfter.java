package dev.sallyport.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;

import java.nio.channels.ClosedChannelException;

/**
 * Resets an outbound connection once a number of bytes passed: lets exactly that many through,
 * drops the rest, then closes with SO_LINGER 0 so the kernel sends RST instead of FIN. Sits at
 * the head of the pipeline, so it counts the bytes on the wire whatever codecs the frontend adds.
 */
final class ResetAfter extends ChannelDuplexHandler {

    static final String NAME = "sallyport-testkit-reset";

    private final long limit;
    private final Faults.Direction direction;
    private long up;
    private long down;
    private boolean fired;

    private ResetAfter(long limit, Faults.Direction direction) {
        this.limit = limit;
        this.direction = direction;
    }

    /** Puts a fresh counter on {@code channel} (replacing one left by an earlier use of it). */
    static void install(Channel channel, long limit, Faults.Direction direction) {
        remove(channel);
        channel.pipeline().addFirst(NAME, new ResetAfter(limit, direction));
    }

    /** Takes the counter off {@code channel}; returns whether it had reset the connection. */
    static boolean remove(Channel channel) {
        ResetAfter handler = (ResetAfter) channel.pipeline().get(NAME);
        if (handler == null) {
            return false;
        }
        channel.pipeline().remove(handler);
        return handler.fired;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf) || direction == Faults.Direction.UP) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (fired) {
            buf.release();
            return;
        }
        long allowed = Math.min(buf.readableBytes(), limit - down);
        down += allowed;
        if (down < limit) {
            ctx.fireChannelRead(buf);
            return;
        }
        ByteBuf head = buf.readRetainedSlice((int) allowed);
        buf.release();
        ctx.fireChannelRead(head);
        ctx.fireChannelReadComplete();
        reset(ctx);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf) || direction == Faults.Direction.DOWN) {
            ctx.write(msg, promise);
            return;
        }
        if (fired) {
            ReferenceCountUtil.release(msg);
            fail(promise);
            return;
        }
        int readable = buf.readableBytes();
        long allowed = Math.min(readable, limit - up);
        up += allowed;
        if (up < limit) {
            ctx.write(buf, promise);
            return;
        }
        fired = true;
        boolean whole = allowed == readable;
        ByteBuf head = buf;
        if (!whole) {
            head = buf.readRetainedSlice((int) allowed);
            buf.release();
        }
        // The allowed bytes reach the socket first; only then the reset.
        ctx.writeAndFlush(head).addListener(f -> {
            if (whole && f.isSuccess()) {
                promise.trySuccess();
            } else {
                fail(promise);
            }
            reset(ctx);
        });
    }

    private void reset(ChannelHandlerContext ctx) {
        fired = true;
        if (ctx.channel().isOpen()) {
            ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
            ctx.channel().close();
        }
    }

    private static void fail(ChannelPromise promise) {
        // A void promise would turn the failure into an exceptionCaught event.
        if (!promise.isVoid()) {
            promise.tryFailure(new ClosedChannelException());
        }
    }
}
