package dev.sallyport.core.internal.session;

import dev.sallyport.api.Outcome;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.spi.SessionEvent;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Core's handler at the tail of every client pipeline: ends the {@link DefaultSession} when the
 * channel closes, drops bytes nobody consumed, and decides what a drain, a handshake timeout, a
 * half-close or an error means for the connection in the state it is in.
 */
final class SessionGuard extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(DefaultSession.class);

    private final DefaultSession session;

    SessionGuard(DefaultSession session) {
        this.session = session;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        session.finish();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Bytes nobody consumed (a frontend that already gave up): drop them.
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == SessionEvent.DRAINING) {
            // Shutting down: a connection still in its handshake has nothing to finish.
            if (session.inHandshake()) {
                session.fail(Outcome.SHUTDOWN);
                ctx.close();
            }
            return;
        }
        if (event == SessionEvent.HANDSHAKE_TIMEOUT) {
            ctx.close();
        } else if (event instanceof ChannelInputShutdownEvent) {
            inputShutdown(ctx);
        } else {
            ReferenceCountUtil.release(event);
        }
    }

    private void inputShutdown(ChannelHandlerContext ctx) {
        if (session.associated()) {
            // A UDP association lives as long as its control connection: its end ends it.
            ctx.close();
        } else if (session.relaying()) {
            return;
        } else if (session.bindWaiting() || !session.hasRequest()) {
            // A client that stops sending while its BIND waits has given up (or gone): stop
            // listening. Half-closed before making a request: nothing more can come.
            session.fail(Outcome.CLIENT_CLOSED);
            ctx.close();
        } else {
            session.clientInputShutdown();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{}: connection from {} failed", session.protocol().id(), Addresses.format(session.client()), cause);
        session.fail(Outcome.ERROR);
        ctx.close();
    }
}
