package dev.sallyport.core.internal.route;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;

/**
 * Sits behind an upstream proxy's handshake handler and keeps what the target sent in the same
 * read as the upstream's last reply (a server that speaks first), until whoever uses the channel
 * asks for its first read: then hands the kept bytes over and leaves the pipeline. Also keeps a
 * failed handshake's exception from the pipeline's tail; the handshake's future carries it.
 */
final class Leftover extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(Leftover.class);

    static final String NAME = "sallyport-upstream-leftover";

    private ArrayDeque<Object> kept;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (kept == null) {
            kept = new ArrayDeque<>(2);
        }
        kept.add(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Held with the bytes; the first read hands both over.
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        ArrayDeque<Object> held = kept;
        kept = null;
        ctx.pipeline().remove(this);
        if (held == null) {
            ctx.read();
            return;
        }
        for (Object msg = held.poll(); msg != null; msg = held.poll()) {
            ctx.fireChannelRead(msg);
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("upstream handshake on {} failed", ctx.channel(), cause);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (kept != null) {
            kept.forEach(ReferenceCountUtil::release);
            kept = null;
        }
    }
}
