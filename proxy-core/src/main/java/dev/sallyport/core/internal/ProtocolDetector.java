package dev.sallyport.core.internal;

import dev.sallyport.core.internal.session.DefaultSession;

import dev.sallyport.core.spi.Frontend;
import dev.sallyport.core.spi.SessionEvent;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * On a listener served by several frontends, waits for the client's first bytes, hands the
 * connection to the first frontend that claims them and replays those bytes to it. Bytes nobody
 * claims, silence past the handshake timeout and an early end of input go to the listener's
 * primary frontend (the first one), which answers them with its own protocol's error reply.
 */
public final class ProtocolDetector extends ChannelInboundHandlerAdapter {

    static final String NAME = "sallyport-detector";
    private static final Logger log = LoggerFactory.getLogger(ProtocolDetector.class);

    private final Engine engine;
    private final List<Frontend> frontends;
    private ScheduledFuture<?> timeout;

    ProtocolDetector(Engine engine, List<Frontend> frontends) {
        this.engine = engine;
        this.frontends = frontends;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeout = ctx.executor().schedule(() -> {
            log.debug("No protocol spoken by {} within the handshake timeout", ClientAddress.of(ctx.channel()));
            handOver(ctx, frontends.get(0)).handshakeTimedOut();
        }, engine.settings().handshakeTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf first) || !first.isReadable()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        timeout.cancel(false);
        for (Frontend frontend : frontends) {
            boolean claimed;
            try {
                claimed = frontend.claims(first);
            } catch (RuntimeException e) {
                log.warn("Frontend {} failed to classify a connection", frontend.name(), e);
                claimed = false;
            }
            if (claimed) {
                handOver(ctx, frontend);
                ctx.channel().pipeline().fireChannelRead(first);
                return;
            }
        }
        log.debug("No frontend claims the first byte 0x{} from {}", Integer.toHexString(first.getUnsignedByte(first.readerIndex())),
                ClientAddress.of(ctx.channel()));
        handOver(ctx, frontends.get(0));
        ctx.channel().pipeline().fireChannelRead(first);
    }

    /** Starts the frontend's session and leaves the pipeline to it (replays go from the head). */
    private DefaultSession handOver(ChannelHandlerContext ctx, Frontend frontend) {
        timeout.cancel(false);
        DefaultSession session = engine.startSession(ctx.channel(), frontend);
        ctx.pipeline().remove(this);
        return session;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
            handOver(ctx, frontends.get(0));
            ctx.channel().pipeline().fireUserEventTriggered(event);
        } else if (event == SessionEvent.DRAINING) {
            // Shutting down before the client said anything: nothing to finish.
            timeout.cancel(false);
            ctx.close();
        } else {
            ReferenceCountUtil.release(event);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        timeout.cancel(false);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("Connection from {} failed before its protocol was known", ClientAddress.of(ctx.channel()), cause);
        ctx.close();
    }
}
