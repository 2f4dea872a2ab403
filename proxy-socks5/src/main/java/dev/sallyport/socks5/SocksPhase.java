package dev.sallyport.socks5;

import dev.sallyport.api.Outcome;
import dev.sallyport.core.spi.Session;
import dev.sallyport.core.spi.SessionEvent;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * One phase of a SOCKS handshake: the handler behind the phase's Netty decoder. It takes the one
 * message its decoder makes (checking {@code decoderResult()} first), answers it, and either
 * hands over to the next phase ({@link #next}) or refuses ({@link #fail}: the protocol's reply,
 * then a close). A handshake timeout or an end of input while the phase still waits for its
 * message gets the phase's refusal too; an end of input with nothing pending is a client that
 * left. A phase's decoder tells it that the input ended inside its message with
 * {@link #endOfInput}: Netty's SOCKS decoders keep an unfinished message to themselves.
 *
 * <p>Bytes that reach this handler are bytes the client sent ahead of our reply (Netty's decoders
 * pass on what follows their message): they are held, up to {@link #MAX_EARLY_DATA} before
 * reading pauses, and go to the next phase's decoder or, once the tunnel runs, to the relay.
 */
abstract class SocksPhase extends ChannelInboundHandlerAdapter {

    /** Bytes a client may send after its request, before the reply, without pausing reads. */
    static final int MAX_EARLY_DATA = 64 * 1024;

    private static final Logger log = LoggerFactory.getLogger(SocksPhase.class);

    /** What a phase's decoder passes on when the client's input ended inside its message. */
    private static final Object TRUNCATED = new Object() {
        @Override
        public String toString() {
            return "end of input inside a message";
        }
    };

    final Session session;
    private ByteBuf ahead;
    private boolean truncated;
    private boolean failed;

    SocksPhase(Session session) {
        this.session = session;
    }

    /**
     * For a phase decoder's {@code decodeLast}: when bytes of an unfinished message are left at
     * the end of input, tells the handler behind it. Returns {@code out}.
     */
    static List<Object> endOfInput(ByteBuf in, List<Object> out) {
        if (in.isReadable()) {
            out.add(TRUNCATED);
        }
        return out;
    }

    /** Handles the phase's decoded message (never called once the phase failed). */
    abstract void read(ChannelHandlerContext ctx, Object message);

    /** Whether the phase still waits for its message. */
    abstract boolean waiting();

    /** The reply that refuses this phase with {@code outcome}. */
    abstract Object refusal(Outcome outcome);

    /** Whether the handshake timeout is this phase's to answer; by default while it waits. */
    boolean answersTimeout() {
        return waiting();
    }

    /** Whether the tunnel runs: bytes still held when this handler goes belong to it. */
    boolean tunnelling() {
        return false;
    }

    final boolean failed() {
        return failed;
    }

    @Override
    public final void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg == TRUNCATED) {
            truncated = true;
        } else if (failed) {
            ReferenceCountUtil.release(msg);
        } else if (msg instanceof ByteBuf bytes) {
            hold(ctx, bytes);
        } else {
            read(ctx, msg);
        }
    }

    private void hold(ChannelHandlerContext ctx, ByteBuf bytes) {
        ahead = ahead == null ? bytes : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), ahead, bytes);
        if (ahead.readableBytes() > MAX_EARLY_DATA) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    /**
     * Ends this phase: {@code decoder} and {@code handler} take the places of this phase's decoder
     * (named {@code decoderName}) and of this handler, and bytes held go into the new decoder.
     * Bytes still on their way out of the old decoder follow them, because {@code replace} points
     * the old context at its replacement.
     */
    final void next(ChannelHandlerContext ctx, String decoderName, ChannelHandler decoder, SocksPhase handler) {
        ChannelPipeline pipeline = ctx.pipeline();
        ChannelHandlerContext previous = pipeline.context(decoderName);
        ByteBuf held = ahead;
        ahead = null;
        pipeline.replace(decoderName, decoderName, decoder);
        pipeline.replace(this, ctx.name(), handler);
        if (held != null) {
            previous.fireChannelRead(held);
            previous.fireChannelReadComplete();
        }
    }

    /** Records the outcome, sends the phase's refusal, closes once it is written, and stops reading messages. */
    final void fail(ChannelHandlerContext ctx, Outcome outcome) {
        failed = true;
        session.fail(outcome);
        release();
        ctx.writeAndFlush(refusal(outcome)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (!failed && event == SessionEvent.HANDSHAKE_TIMEOUT && answersTimeout()) {
            log.debug("{}: handshake timeout from {}", getClass().getSimpleName(), session.client());
            fail(ctx, Outcome.HANDSHAKE_TIMEOUT);
        } else if (!failed && event instanceof ChannelInputShutdownEvent && waiting()) {
            if (truncated) {
                // The client ended its output in the middle of a message: a truncated field.
                fail(ctx, Outcome.PROTOCOL_ERROR);
            } else {
                failed = true;
                session.fail(Outcome.CLIENT_CLOSED);
                ctx.close();
            }
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    /**
     * Decoders report bad input in {@code decoderResult()}; an exception out of one (a decoder
     * that broke its own contract) still gets the phase's reply rather than reaching core.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!failed && cause instanceof DecoderException && waiting()) {
            log.debug("{}: undecodable message from {}", getClass().getSimpleName(), session.client(), cause);
            fail(ctx, Outcome.PROTOCOL_ERROR);
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    @Override
    public final void handlerRemoved(ChannelHandlerContext ctx) {
        ByteBuf rest = ahead;
        ahead = null;
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
        release();
        ctx.fireChannelInactive();
    }

    private void release() {
        if (ahead != null) {
            ahead.release();
            ahead = null;
        }
    }
}
