package dev.sallyport.socks5;

import dev.sallyport.api.Outcome;
import dev.sallyport.core.spi.Session;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequest;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;

import java.util.List;

/**
 * Method selection, RFC 1928 section 3 ({@code VER NMETHODS METHODS}): picks username/password
 * (RFC 1929) when the proxy requires authentication, "no authentication" otherwise, and X'FF' with
 * a close when the client offers neither, sends a version other than 5, or offers no method.
 */
final class Socks5Greeting extends SocksPhase {

    Socks5Greeting(Session session) {
        super(session);
    }

    @Override
    void read(ChannelHandlerContext ctx, Object message) {
        Socks5InitialRequest greeting = (Socks5InitialRequest) message;
        if (greeting.decoderResult().isFailure()) {
            // Netty's message type refuses an empty method list (IllegalArgumentException): no method
            // offered is no acceptable method, as before. Anything else is a malformed greeting.
            boolean noMethods = greeting.decoderResult().cause().getCause() instanceof IllegalArgumentException;
            fail(ctx, noMethods ? Outcome.AUTH_FAILED : Outcome.PROTOCOL_ERROR);
            return;
        }
        boolean password = session.authenticationRequired();
        if (!greeting.authMethods().contains(password ? Socks5AuthMethod.PASSWORD : Socks5AuthMethod.NO_AUTH)) {
            fail(ctx, Outcome.AUTH_FAILED);
            return;
        }
        if (password) {
            ctx.writeAndFlush(Socks5.PASSWORD);
            next(ctx, Socks5Handshake.DECODER, new Socks5Login.Decoder(), new Socks5Login(session));
        } else {
            ctx.writeAndFlush(Socks5.NO_AUTH);
            next(ctx, Socks5Handshake.DECODER, new Socks5Request.Decoder(), new Socks5Request(session));
        }
    }

    @Override
    boolean waiting() {
        return true;
    }

    @Override
    Object refusal(Outcome outcome) {
        return Socks5.NO_ACCEPTABLE_METHOD;
    }

    /** Netty's greeting decoder, telling the handler when the input ends inside a greeting. */
    static final class Decoder extends Socks5InitialRequestDecoder {
        @Override
        protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            super.decodeLast(ctx, in, endOfInput(in, out));
        }
    }
}
