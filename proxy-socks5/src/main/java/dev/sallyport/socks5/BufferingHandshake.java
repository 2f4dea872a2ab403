package dev.sallyport.socks5;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * What the SOCKS handshake handlers share: the bytes received and not yet decoded, decoded in
 * place. While the proxy dials, bytes the client sends early are kept for the tunnel up to a
 * bound (then reading waits); once the tunnel runs, removing the handler hands them on to the
 * relay; otherwise they are released. Subclasses say which phase they are in.
 */
abstract class BufferingHandshake extends ChannelInboundHandlerAdapter {

    /** Bytes a client may send after its request, before the reply, without pausing reads. */
    static final int MAX_EARLY_DATA = 64 * 1024;

    private ByteBuf buffered;

    /** Whether the request was sent on and the proxy is dialling (early data is being kept). */
    abstract boolean waitingForTarget();

    /** Whether the tunnel runs: bytes still held belong to it. */
    abstract boolean tunnelling();

    /** Adds {@code in} to the bytes held and returns them all. */
    final ByteBuf append(ChannelHandlerContext ctx, ByteBuf in) {
        buffered = buffered == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), buffered, in);
        if (waitingForTarget() && buffered.readableBytes() > MAX_EARLY_DATA) {
            ctx.channel().config().setAutoRead(false);
        }
        return buffered;
    }

    /** The bytes held, or {@code null}. */
    final ByteBuf buffered() {
        return buffered;
    }

    /** Whether part of a message is held: an end of input now truncates it. */
    final boolean holdsBytes() {
        return buffered != null && buffered.isReadable();
    }

    /** Drops the bytes held. */
    final void releaseBuffered() {
        if (buffered != null) {
            buffered.release();
            buffered = null;
        }
    }

    /** Drops the cumulation once everything in it was decoded. */
    final void releaseIfConsumed() {
        if (buffered != null && !buffered.isReadable()) {
            releaseBuffered();
        }
    }

    @Override
    public final void handlerRemoved(ChannelHandlerContext ctx) {
        ByteBuf rest = buffered;
        buffered = null;
        if (rest != null) {
            if (rest.isReadable() && tunnelling()) {
                ctx.fireChannelRead(rest);
                ctx.fireChannelReadComplete();
            } else {
                rest.release();
            }
        }
    }

    @Override
    public final void channelInactive(ChannelHandlerContext ctx) {
        releaseBuffered();
        ctx.fireChannelInactive();
    }
}
