package dev.sallyport.socks5;

import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.Session;
import dev.sallyport.core.spi.SessionException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.function.Function;

/**
 * The last phase of a SOCKS4 or SOCKS5 handshake: the request, then the wait for core to dial
 * (or to see the BIND peer), then the success reply and the tunnel. Once the request is read its
 * decoder goes, so that what the client sends next reaches this handler as the tunnel's bytes;
 * when the tunnel runs, the encoder and this handler go too and those bytes flow on to the relay.
 */
abstract class RequestPhase extends SocksPhase {

    private enum State { REQUEST, CONNECTING, DONE }

    private final String encoderName;
    private final String decoderName;
    private State state = State.REQUEST;

    RequestPhase(Session session, String encoderName, String decoderName) {
        super(session);
        this.encoderName = encoderName;
        this.decoderName = decoderName;
    }

    /** The success reply, carrying {@code bound}. */
    abstract Object granted(InetSocketAddress bound);

    /** The request was read and admitted by the frontend: its decoder goes, core takes over. */
    final void requested(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(decoderName);
        state = State.CONNECTING;
    }

    /** Whether a verdict from core is still awaited (it is ignored after a failure or a timeout). */
    final boolean connecting() {
        return state == State.CONNECTING && !failed();
    }

    /** CONNECT: the reply carries the outbound socket's local address, then the tunnel runs. */
    final void connect(ChannelHandlerContext ctx, ProxyRequest request) {
        session.connect(request).addListener(f -> relayOrFail(ctx, f, Channel::localAddress));
    }

    /**
     * BIND (RFC 1928 section 4; SOCKS4 alike): the first reply carries the listening socket's
     * address, the second the peer's once it connected; then the tunnel runs. The request's
     * address is the peer expected to connect (0.0.0.0 or :: for any). Reading goes on while
     * waiting, so that a client giving up ends the wait.
     */
    final void bind(ChannelHandlerContext ctx, ProxyRequest request) {
        session.bind(request, listening -> {
            if (connecting()) {
                ctx.writeAndFlush(granted(listening));
            }
        }).addListener(f -> relayOrFail(ctx, f, Channel::remoteAddress));
    }

    /** Core's verdict: a channel to relay to, announced with its {@code bound} address, or a refusal. */
    private void relayOrFail(ChannelHandlerContext ctx, Future<?> verdict, Function<Channel, SocketAddress> bound) {
        if (!connecting()) {
            return;
        }
        if (verdict.isSuccess()) {
            Channel channel = (Channel) verdict.getNow();
            tunnel(ctx, (InetSocketAddress) bound.apply(channel));
            session.relay(channel);
            done(ctx);
        } else {
            fail(ctx, SessionException.outcomeOf(verdict.cause()));
        }
    }

    /** The success reply; from here on the bytes held are the tunnel's. */
    final void tunnel(ChannelHandlerContext ctx, InetSocketAddress bound) {
        state = State.DONE;
        ctx.writeAndFlush(granted(bound));
    }

    /** Leaves the pipeline to core: the encoder wrote its last reply; bytes held go on. */
    final void done(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(encoderName);
        ctx.pipeline().remove(this);
    }

    @Override
    final boolean waiting() {
        return state == State.REQUEST;
    }

    @Override
    final boolean tunnelling() {
        return state == State.DONE;
    }
}
