package dev.sallyport.socks5;

import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.Session;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.socksx.v4.DefaultSocks4CommandResponse;
import io.netty.handler.codec.socksx.v4.Socks4CommandRequest;
import io.netty.handler.codec.socksx.v4.Socks4CommandResponse;
import io.netty.handler.codec.socksx.v4.Socks4CommandStatus;
import io.netty.handler.codec.socksx.v4.Socks4CommandType;
import io.netty.handler.codec.socksx.v4.Socks4ServerEncoder;

import java.net.Inet4Address;
import java.net.InetSocketAddress;

/**
 * The server side of SOCKS4 and SOCKS4a CONNECT and BIND on Netty's codec:
 * {@code VN CD DSTPORT DSTIP USERID NUL}, and for 4a a destination IP of 0.0.0.x followed by
 * {@code HOSTNAME NUL} (each field at most 255 bytes, see {@link Socks4RequestDecoder}). Replies 0x5A
 * (granted) or 0x5B (rejected or failed), then the relay or a close. BIND replies twice: 0x5A
 * with the listening socket's address, then 0x5A with the peer's once it connected (or 0x5B and
 * a close). SOCKS4 cannot carry a password: with authentication on, every request gets 0x5B.
 */
final class Socks4Handshake extends RequestPhase {

    static final String ENCODER = "socks4-encoder";
    static final String DECODER = "socks4-decoder";
    static final String HANDLER = "socks4-handshake";

    private static final Socks4CommandResponse REJECTED =
            new DefaultSocks4CommandResponse(Socks4CommandStatus.REJECTED_OR_FAILED);

    Socks4Handshake(Session session) {
        super(session, ENCODER, DECODER);
    }

    /** Starts the handshake on a new client channel. */
    static void start(Channel channel, Session session) {
        channel.pipeline()
                .addLast(ENCODER, Socks4ServerEncoder.INSTANCE)
                .addLast(DECODER, new Socks4RequestDecoder())
                .addLast(HANDLER, new Socks4Handshake(session));
    }

    @Override
    void read(ChannelHandlerContext ctx, Object message) {
        Socks4CommandRequest request = (Socks4CommandRequest) message;
        if (request.decoderResult().isFailure()) {
            fail(ctx, Outcome.PROTOCOL_ERROR);
            return;
        }
        if (!Socks5Address.validName(request.dstAddr())) {
            // Only a 4a host name can fail this (DSTIP is always a literal), an empty one too: the
            // name as the client sent it, no resolver could answer for it.
            fail(ctx, Outcome.DNS_FAILED);
            return;
        }
        Command command = request.type().equals(Socks4CommandType.CONNECT) ? Command.CONNECT
                : request.type().equals(Socks4CommandType.BIND) ? Command.BIND : null;
        if (command == null) {
            fail(ctx, Outcome.UNSUPPORTED_COMMAND);
            return;
        }
        if (session.authenticationRequired()) {
            // SOCKS4 has no password field: with authentication on, nothing can be admitted.
            fail(ctx, Outcome.AUTH_FAILED);
            return;
        }
        requested(ctx);
        ProxyRequest proxyRequest = new ProxyRequest(Protocol.SOCKS4, command, session.client(), session.listener(),
                Credentials.none(), request.dstAddr(), request.dstPort());
        if (command == Command.BIND) {
            bind(ctx, proxyRequest);
        } else {
            ctx.channel().config().setAutoRead(false);
            connect(ctx, proxyRequest);
        }
    }

    /** VN=0 CD=0x5A DSTPORT DSTIP: the bound address when it is IPv4 (SOCKS4 has no room for IPv6), zero otherwise. */
    @Override
    Socks4CommandResponse granted(InetSocketAddress bound) {
        if (bound != null && bound.getAddress() instanceof Inet4Address ipv4) {
            return new DefaultSocks4CommandResponse(Socks4CommandStatus.SUCCESS, ipv4.getHostAddress(), bound.getPort());
        }
        return new DefaultSocks4CommandResponse(Socks4CommandStatus.SUCCESS);
    }

    @Override
    Object refusal(Outcome outcome) {
        return REJECTED;
    }
}
