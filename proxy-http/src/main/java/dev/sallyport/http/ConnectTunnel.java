package dev.sallyport.http;

import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.Session;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;

/**
 * The CONNECT phase of a client connection (RFC 9110 section 9.3.6). Once a CONNECT head is read,
 * it takes the place of {@link ClientHandler} and the HTTP codec leaves the pipeline, since every
 * later byte belongs to the tunnel. It holds the bytes the client sends early while core admits
 * and dials, answers {@code 200 Connection established} or the refusal, then hands the connection
 * to core's relay and leaves too, passing the early bytes on.
 */
final class ConnectTunnel extends ChannelInboundHandlerAdapter {

    static final String NAME = "http-connect";

    private final Session session;
    private final ProxyRequest request;
    private ChannelHandlerContext ctx;
    /** Bytes after the CONNECT head (the codec's leftovers or new reads), for the relay. */
    private ByteBuf early;
    /** The dial ended or the client left: nothing more to do here. */
    private boolean settled;

    private ConnectTunnel(Session session, ProxyRequest request) {
        this.session = session;
        this.request = request;
    }

    /**
     * Ends the HTTP phase of the connection of {@code client}, the context of the handler that read
     * the CONNECT head: a tunnel takes that handler's place, the codec named {@code codec} goes, and
     * core admits and dials {@code request}.
     */
    static void begin(ChannelHandlerContext client, String codec, Session session, ProxyRequest request) {
        client.channel().config().setAutoRead(false);
        ConnectTunnel tunnel = new ConnectTunnel(session, request);
        client.pipeline().replace(client.handler(), NAME, tunnel);
        // The codec's unread bytes now flow into the tunnel.
        client.pipeline().remove(codec);
        // Dial once the codec's current read is through: what it decoded after the head (at least
        // its empty LastHttpContent) still comes here and is dropped, even when core admits at
        // once; a tunnel already handed to the relay would pass it on there (found by fuzzing).
        client.executor().execute(tunnel::dial);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    private void dial() {
        if (settled) {
            return;
        }
        session.connect(request).addListener(f -> {
            if (settled) {
                return;
            }
            settled = true;
            if (f.isSuccess()) {
                ctx.writeAndFlush(Replies.established(ctx.alloc()));
                session.relay((Channel) f.getNow());
                ctx.pipeline().remove(this);
            } else {
                Refusal refusal = Replies.refusal(f.cause(), request);
                releaseEarly();
                ctx.writeAndFlush(Replies.raw(ctx.alloc(), refusal.status(), refusal.text()))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!settled && msg instanceof ByteBuf buf && buf.isReadable()) {
            early = early == null ? buf : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), early, buf);
        } else {
            // What the codec decoded after the head, or anything once the tunnel failed.
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        settled = true;
        releaseEarly();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        ByteBuf rest = early;
        early = null;
        if (rest != null) {
            if (ctx.channel().isActive()) {
                // The relay, now next in line, takes them.
                ctx.fireChannelRead(rest);
                ctx.fireChannelReadComplete();
            } else {
                rest.release();
            }
        }
    }

    private void releaseEarly() {
        if (early != null) {
            early.release();
            early = null;
        }
    }
}
