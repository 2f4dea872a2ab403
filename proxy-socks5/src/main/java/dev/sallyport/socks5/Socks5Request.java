package dev.sallyport.socks5;

import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.Session;
import dev.sallyport.core.spi.SessionException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequest;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * The request, RFC 1928 section 4 ({@code VER CMD RSV ATYP DST.ADDR DST.PORT}): CONNECT, BIND
 * (two replies) or UDP ASSOCIATE (the datagrams' header is {@link Socks5Datagrams}). A refused
 * request gets its REP code: 07 for an unknown command, 08 for an unknown address type, 04 for a
 * host name no resolver could answer for, 01 for anything malformed; admission and dial failures
 * map through {@link Socks5#status}.
 */
final class Socks5Request extends RequestPhase {

    Socks5Request(Session session) {
        super(session, Socks5Handshake.ENCODER, Socks5Handshake.DECODER);
    }

    @Override
    void read(ChannelHandlerContext ctx, Object message) {
        Socks5CommandRequest request = (Socks5CommandRequest) message;
        if (request.decoderResult().isFailure()) {
            fail(ctx, refused(request.decoderResult().cause()));
            return;
        }
        Command command = command(request.type());
        if (command == null) {
            fail(ctx, Outcome.UNSUPPORTED_COMMAND);
            return;
        }
        requested(ctx);
        ProxyRequest proxyRequest = new ProxyRequest(Protocol.SOCKS5, command, session.client(), session.listener(),
                Credentials.none(), request.dstAddr(), request.dstPort());
        switch (command) {
            case BIND -> bind(ctx, proxyRequest);
            case UDP_ASSOCIATE -> associate(ctx, proxyRequest);
            default -> connect(ctx, proxyRequest);
        }
    }

    private static Command command(Socks5CommandType type) {
        if (type.equals(Socks5CommandType.CONNECT)) {
            return Command.CONNECT;
        }
        if (type.equals(Socks5CommandType.BIND)) {
            return Command.BIND;
        }
        return type.equals(Socks5CommandType.UDP_ASSOCIATE) ? Command.UDP_ASSOCIATE : null;
    }

    /** The outcome of a request Netty's decoder refused (its REP code follows from it). */
    static Outcome refused(Throwable cause) {
        if (cause instanceof Socks5Address.Refused refused) {
            return refused.outcome();
        }
        // Netty's message type runs IDN.toASCII over a name that passed our rule: it refuses a label
        // over 63 characters (RFC 1035), a name no resolver answers for, as before the move.
        return cause.getCause() instanceof IllegalArgumentException ? Outcome.DNS_FAILED : Outcome.PROTOCOL_ERROR;
    }

    /**
     * UDP ASSOCIATE (RFC 1928 section 7): the reply carries the relay socket's address; this
     * connection then only keeps the association alive, and core relays the datagrams. The
     * request's port is the one the client will send from (0 when it does not know yet); its
     * address is not used, the client is known by the address of this connection.
     */
    private void associate(ChannelHandlerContext ctx, ProxyRequest request) {
        session.associate(request, Socks5Datagrams.INSTANCE).addListener(f -> {
            if (!connecting()) {
                return;
            }
            if (f.isSuccess()) {
                tunnel(ctx, (InetSocketAddress) f.getNow());
                // Reading goes on so that the end of this connection ends the association.
                ctx.channel().config().setAutoRead(true);
                done(ctx);
            } else {
                fail(ctx, SessionException.outcomeOf(f.cause()));
            }
        });
    }

    @Override
    Object granted(InetSocketAddress bound) {
        return Socks5.reply(Socks5CommandStatus.SUCCESS, bound);
    }

    @Override
    Object refusal(Outcome outcome) {
        return Socks5.reply(Socks5.status(outcome), null);
    }

    /** Netty's request decoder on the shared address codec, telling the handler when the input ends inside a request. */
    static final class Decoder extends Socks5CommandRequestDecoder {
        Decoder() {
            super(Socks5Address.CODEC);
        }

        @Override
        protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            super.decodeLast(ctx, in, endOfInput(in, out));
        }
    }
}
