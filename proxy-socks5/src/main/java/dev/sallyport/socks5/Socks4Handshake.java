package dev.sallyport.socks5;

import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.Session;
import dev.sallyport.core.spi.SessionEvent;
import dev.sallyport.core.spi.SessionException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The server side of SOCKS4 and SOCKS4a CONNECT and BIND: {@code VN CD DSTPORT DSTIP USERID NUL},
 * and for 4a a destination IP of 0.0.0.x followed by {@code HOSTNAME NUL}. Replies 0x5A (granted)
 * or 0x5B (rejected or failed), then the relay or a close. BIND replies twice: 0x5A with the
 * listening socket's address, then 0x5A with the peer's once it connected (or 0x5B and a close).
 */
final class Socks4Handshake extends BufferingHandshake {

    static final String NAME = "socks4-handshake";
    static final int VERSION = 0x04;
    static final int GRANTED = 0x5A;
    static final int REJECTED = 0x5B;
    private static final int CMD_CONNECT = 0x01;
    private static final int CMD_BIND = 0x02;
    /** USERID and HOSTNAME are each at most 255 bytes before their NUL. */
    private static final int MAX_FIELD = 255;

    private enum State { REQUEST, CONNECTING, DONE, FAILED }

    private final Session session;
    private State state = State.REQUEST;

    Socks4Handshake(Session session) {
        this.session = session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in) || state == State.FAILED) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ByteBuf all = append(ctx, in);
        if (state == State.REQUEST) {
            request(ctx, all);
        }
    }

    @Override
    boolean waitingForTarget() {
        return state == State.CONNECTING;
    }

    @Override
    boolean tunnelling() {
        return state == State.DONE;
    }

    private void request(ChannelHandlerContext ctx, ByteBuf in) {
        if (in.readableBytes() < 9) {
            return;
        }
        int start = in.readerIndex();
        if (in.getUnsignedByte(start) != VERSION) {
            fail(ctx, Outcome.PROTOCOL_ERROR);
            return;
        }
        int userEnd = in.indexOf(start + 8, Math.min(in.writerIndex(), start + 8 + MAX_FIELD + 1), (byte) 0);
        if (userEnd < 0) {
            if (in.readableBytes() > 8 + MAX_FIELD) {
                fail(ctx, Outcome.PROTOCOL_ERROR);
            }
            return;
        }
        int ip = in.getInt(start + 4);
        boolean socks4a = (ip & 0xFFFFFF00) == 0 && ip != 0;
        String host;
        int end = userEnd + 1;
        if (socks4a) {
            int hostEnd = in.indexOf(end, Math.min(in.writerIndex(), end + MAX_FIELD + 1), (byte) 0);
            if (hostEnd < 0) {
                if (in.writerIndex() - end > MAX_FIELD) {
                    fail(ctx, Outcome.PROTOCOL_ERROR);
                }
                return;
            }
            host = in.toString(end, hostEnd - end, StandardCharsets.US_ASCII);
            end = hostEnd + 1;
            if (host.isEmpty() || !Socks5Handshake.validName(host)) {
                fail(ctx, Outcome.DNS_FAILED);
                return;
            }
        } else {
            host = ((ip >>> 24) & 0xff) + "." + ((ip >>> 16) & 0xff) + "." + ((ip >>> 8) & 0xff) + "." + (ip & 0xff);
        }
        int command = in.getUnsignedByte(start + 1);
        int port = in.getUnsignedShort(start + 2);
        in.readerIndex(end);
        if (command != CMD_CONNECT && command != CMD_BIND) {
            fail(ctx, Outcome.UNSUPPORTED_COMMAND);
            return;
        }
        if (session.authenticationRequired()) {
            // SOCKS4 has no password field: with authentication on, nothing can be admitted.
            fail(ctx, Outcome.AUTH_FAILED);
            return;
        }
        state = State.CONNECTING;
        if (command == CMD_BIND) {
            bind(ctx, host, port);
            return;
        }
        Channel channel = ctx.channel();
        channel.config().setAutoRead(false);
        ProxyRequest request = new ProxyRequest(Protocol.SOCKS4, Command.CONNECT, session.client(), session.listener(),
                Credentials.none(), host, port);
        session.connect(request).addListener(f -> {
            if (state != State.CONNECTING) {
                return;
            }
            if (f.isSuccess()) {
                Channel outbound = (Channel) f.getNow();
                state = State.DONE;
                ctx.writeAndFlush(reply(ctx.alloc(), GRANTED, (InetSocketAddress) outbound.localAddress()));
                session.relay(outbound);
                ctx.pipeline().remove(this);
            } else {
                fail(ctx, f.cause() instanceof SessionException e ? e.outcome() : Outcome.ERROR);
            }
        });
    }

    /**
     * BIND: DSTIP (or the 4a host name) is the peer expected to connect. Reading goes on while
     * waiting, so that a client giving up ends the wait.
     */
    private void bind(ChannelHandlerContext ctx, String host, int port) {
        ProxyRequest request = new ProxyRequest(Protocol.SOCKS4, Command.BIND, session.client(), session.listener(),
                Credentials.none(), host, port);
        session.bind(request, listening -> {
            if (state == State.CONNECTING) {
                ctx.writeAndFlush(reply(ctx.alloc(), GRANTED, listening));
            }
        }).addListener(f -> {
            if (state != State.CONNECTING) {
                return;
            }
            if (f.isSuccess()) {
                Channel peer = (Channel) f.getNow();
                state = State.DONE;
                ctx.writeAndFlush(reply(ctx.alloc(), GRANTED, (InetSocketAddress) peer.remoteAddress()));
                session.relay(peer);
                ctx.pipeline().remove(this);
            } else {
                fail(ctx, f.cause() instanceof SessionException e ? e.outcome() : Outcome.ERROR);
            }
        });
    }

    private void fail(ChannelHandlerContext ctx, Outcome outcome) {
        state = State.FAILED;
        session.fail(outcome);
        releaseBuffered();
        ctx.writeAndFlush(reply(ctx.alloc(), REJECTED, null)).addListener(ChannelFutureListener.CLOSE);
    }

    /** VN=0 CD DSTPORT DSTIP; the address is the bound one for a grant, zero otherwise. */
    static ByteBuf reply(ByteBufAllocator alloc, int code, InetSocketAddress bound) {
        ByteBuf buf = alloc.buffer(8).writeByte(0).writeByte(code);
        if (bound != null && bound.getAddress() instanceof Inet4Address ipv4) {
            buf.writeShort(bound.getPort()).writeBytes(ipv4.getAddress());
        } else {
            buf.writeShort(0).writeInt(0);
        }
        return buf;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == SessionEvent.HANDSHAKE_TIMEOUT && state == State.REQUEST) {
            fail(ctx, Outcome.HANDSHAKE_TIMEOUT);
        } else if (event instanceof ChannelInputShutdownEvent && state == State.REQUEST) {
            if (holdsBytes()) {
                fail(ctx, Outcome.PROTOCOL_ERROR);
            } else {
                session.fail(Outcome.CLIENT_CLOSED);
                state = State.FAILED;
                ctx.close();
            }
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

}
