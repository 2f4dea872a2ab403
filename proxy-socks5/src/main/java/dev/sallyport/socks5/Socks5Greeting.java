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

    Socks5Greeting(Session session, Decoder decoder) {
        super(session, decoder);
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
            Socks5Login.Decoder decoder = new Socks5Login.Decoder();
            next(ctx, Socks5Handshake.DECODER, decoder, new Socks5Login(session, decoder));
        } else {
            ctx.writeAndFlush(Socks5.NO_AUTH);
            Socks5Request.Decoder decoder = new Socks5Request.Decoder();
            next(ctx, Socks5Handshake.DECODER, decoder, new Socks5Request(session, decoder));
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

    /** Netty's greeting decoder, noting whether the input ended inside a greeting. */
    static final class Decoder extends Socks5InitialRequestDecoder implements Truncation {
        private boolean truncated;

        @Override
        protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            truncated = in.isReadable();
            super.decodeLast(ctx, in, out);
        }

        @Override
        public boolean truncated() {
            return truncated;
        }
    }
}
