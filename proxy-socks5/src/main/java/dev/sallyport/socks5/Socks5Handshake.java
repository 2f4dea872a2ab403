package dev.sallyport.socks5;

import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.HostNames;
import dev.sallyport.core.spi.Session;
import dev.sallyport.core.spi.SessionEvent;
import dev.sallyport.core.spi.SessionException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The server side of a SOCKS5 handshake: method selection (RFC 1928 section 3), username/password
 * sub-negotiation (RFC 1929), then the request (RFC 1928 section 4): CONNECT, BIND (two replies)
 * or UDP ASSOCIATE (the datagrams' header is {@link Socks5Datagrams}). Decodes in place from the
 * bytes received, whole or in fragments, and never throws on hostile input: every malformed
 * message gets the reply its phase allows, then a close. Removes itself once the tunnel runs;
 * bytes the client sent early flow on into the relay.
 */
final class Socks5Handshake extends BufferingHandshake {

    static final String NAME = "socks5-handshake";

    private static final Logger log = LoggerFactory.getLogger(Socks5Handshake.class);

    private enum State { GREETING, AUTH, AUTHENTICATING, REQUEST, CONNECTING, DONE, FAILED }

    private final Session session;
    private State state = State.GREETING;

    Socks5Handshake(Session session) {
        this.session = session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in) || state == State.FAILED) {
            ReferenceCountUtil.release(msg);
            return;
        }
        append(ctx, in);
        process(ctx);
    }

    @Override
    boolean waitingForTarget() {
        return state == State.CONNECTING;
    }

    @Override
    boolean tunnelling() {
        return state == State.DONE;
    }

    private void process(ChannelHandlerContext ctx) {
        boolean progressed = true;
        while (progressed && holdsBytes()) {
            ByteBuf in = buffered();
            progressed = switch (state) {
                case GREETING -> greeting(ctx, in);
                case AUTH -> auth(ctx, in);
                case REQUEST -> request(ctx, in);
                default -> false;
            };
        }
        if (state != State.DONE) {
            releaseIfConsumed();
        }
    }

    /** VER NMETHODS METHODS: RFC 1928 section 3. */
    private boolean greeting(ChannelHandlerContext ctx, ByteBuf in) {
        if (in.readableBytes() < 2) {
            return false;
        }
        int start = in.readerIndex();
        if (in.getUnsignedByte(start) != Socks5.VERSION) {
            return fail(ctx, Outcome.PROTOCOL_ERROR, Socks5.methodSelection(ctx.alloc(), Socks5.METHOD_NONE_ACCEPTABLE));
        }
        int count = in.getUnsignedByte(start + 1);
        if (in.readableBytes() < 2 + count) {
            return false;
        }
        boolean noAuth = false;
        boolean password = false;
        for (int i = 0; i < count; i++) {
            int method = in.getUnsignedByte(start + 2 + i);
            noAuth |= method == Socks5.METHOD_NO_AUTH;
            password |= method == Socks5.METHOD_PASSWORD;
        }
        in.skipBytes(2 + count);
        if (session.authenticationRequired() ? !password : !noAuth) {
            // RFC 1928 section 3: X'FF', then the client MUST close; we close too.
            return fail(ctx, Outcome.AUTH_FAILED, Socks5.methodSelection(ctx.alloc(), Socks5.METHOD_NONE_ACCEPTABLE));
        }
        if (session.authenticationRequired()) {
            state = State.AUTH;
            ctx.writeAndFlush(Socks5.methodSelection(ctx.alloc(), Socks5.METHOD_PASSWORD));
        } else {
            state = State.REQUEST;
            ctx.writeAndFlush(Socks5.methodSelection(ctx.alloc(), Socks5.METHOD_NO_AUTH));
        }
        return true;
    }

    /** VER ULEN UNAME PLEN PASSWD: RFC 1929 section 2. */
    private boolean auth(ChannelHandlerContext ctx, ByteBuf in) {
        if (in.readableBytes() < 2) {
            return false;
        }
        int start = in.readerIndex();
        int userLength = in.getUnsignedByte(start + 1);
        if (in.getUnsignedByte(start) != Socks5.AUTH_VERSION || userLength == 0) {
            return fail(ctx, Outcome.PROTOCOL_ERROR, Socks5.authStatus(ctx.alloc(), Socks5.AUTH_FAILURE));
        }
        if (in.readableBytes() < 3 + userLength) {
            return false;
        }
        int passwordLength = in.getUnsignedByte(start + 2 + userLength);
        if (in.readableBytes() < 3 + userLength + passwordLength) {
            return false;
        }
        String user = in.toString(start + 2, userLength, StandardCharsets.UTF_8);
        String password = in.toString(start + 3 + userLength, passwordLength, StandardCharsets.UTF_8);
        in.skipBytes(3 + userLength + passwordLength);

        state = State.AUTHENTICATING;
        Future<Principal> login = session.authenticate(Credentials.password(user, password));
        if (login.isDone()) {
            // Answered by the auth cache: go on without pausing reads (each toggle is a syscall).
            return authenticated(ctx, login);
        }
        Channel channel = ctx.channel();
        channel.config().setAutoRead(false);
        login.addListener(f -> {
            if (state != State.AUTHENTICATING || !channel.isActive()) {
                return;
            }
            channel.config().setAutoRead(true);
            if (authenticated(ctx, login)) {
                process(ctx);
            }
        });
        return false;
    }

    private boolean authenticated(ChannelHandlerContext ctx, Future<Principal> login) {
        if (login.isSuccess()) {
            state = State.REQUEST;
            ctx.writeAndFlush(Socks5.authStatus(ctx.alloc(), Socks5.AUTH_SUCCESS));
            return true;
        }
        // RFC 1929: a failure status, then the server MUST close the connection.
        return fail(ctx, outcomeOf(login.cause()), Socks5.authStatus(ctx.alloc(), Socks5.AUTH_FAILURE));
    }

    /** VER CMD RSV ATYP DST.ADDR DST.PORT: RFC 1928 section 4. */
    private boolean request(ChannelHandlerContext ctx, ByteBuf in) {
        if (in.readableBytes() < 4) {
            return false;
        }
        int start = in.readerIndex();
        if (in.getUnsignedByte(start) != Socks5.VERSION) {
            return fail(ctx, Outcome.PROTOCOL_ERROR, Socks5.reply(ctx.alloc(), Socks5.REP_GENERAL_FAILURE, null));
        }
        int command = in.getUnsignedByte(start + 1);
        if (command != Socks5.CMD_CONNECT && command != Socks5.CMD_BIND && command != Socks5.CMD_UDP_ASSOCIATE) {
            return fail(ctx, Outcome.UNSUPPORTED_COMMAND,
                    Socks5.reply(ctx.alloc(), Socks5.REP_COMMAND_NOT_SUPPORTED, null));
        }
        int addressType = in.getUnsignedByte(start + 3);
        String host;
        int length;
        switch (addressType) {
            case Socks5.ATYP_IPV4 -> {
                length = 4 + 4 + 2;
                if (in.readableBytes() < length) {
                    return false;
                }
                host = in.getUnsignedByte(start + 4) + "." + in.getUnsignedByte(start + 5) + "."
                        + in.getUnsignedByte(start + 6) + "." + in.getUnsignedByte(start + 7);
            }
            case Socks5.ATYP_IPV6 -> {
                length = 4 + 16 + 2;
                if (in.readableBytes() < length) {
                    return false;
                }
                byte[] raw = new byte[16];
                in.getBytes(start + 4, raw);
                host = NetUtil.bytesToIpAddress(raw);
            }
            case Socks5.ATYP_DOMAIN -> {
                if (in.readableBytes() < 5) {
                    return false;
                }
                int nameLength = in.getUnsignedByte(start + 4);
                if (nameLength == 0) {
                    return fail(ctx, Outcome.PROTOCOL_ERROR, Socks5.reply(ctx.alloc(), Socks5.REP_GENERAL_FAILURE, null));
                }
                length = 5 + nameLength + 2;
                if (in.readableBytes() < length) {
                    return false;
                }
                host = in.toString(start + 5, nameLength, StandardCharsets.US_ASCII);
                if (!validName(host)) {
                    // Not a name any resolver could answer for: the host is unreachable.
                    return fail(ctx, Outcome.DNS_FAILED, Socks5.reply(ctx.alloc(), Socks5.REP_HOST_UNREACHABLE, null));
                }
            }
            default -> {
                return fail(ctx, Outcome.UNSUPPORTED_ADDRESS,
                        Socks5.reply(ctx.alloc(), Socks5.REP_ADDRESS_TYPE_NOT_SUPPORTED, null));
            }
        }
        int port = in.getUnsignedShort(start + length - 2);
        in.skipBytes(length);

        state = State.CONNECTING;
        if (command == Socks5.CMD_BIND) {
            bind(ctx, host, port);
            return false;
        }
        if (command == Socks5.CMD_UDP_ASSOCIATE) {
            associate(ctx, host, port);
            return false;
        }
        ProxyRequest request = new ProxyRequest(Protocol.SOCKS5, Command.CONNECT, session.client(), session.listener(),
                Credentials.none(), host, port);
        session.connect(request).addListener(f -> {
            if (state != State.CONNECTING) {
                return;
            }
            if (f.isSuccess()) {
                Channel outbound = (Channel) f.getNow();
                state = State.DONE;
                ctx.writeAndFlush(Socks5.reply(ctx.alloc(), Socks5.REP_SUCCEEDED,
                        (InetSocketAddress) outbound.localAddress()));
                session.relay(outbound);
                ctx.pipeline().remove(this);
            } else {
                Outcome outcome = outcomeOf(f.cause());
                fail(ctx, outcome, Socks5.reply(ctx.alloc(), Socks5.reply(outcome), null));
            }
        });
        return false;
    }

    /**
     * BIND (RFC 1928 section 4): the first reply carries the listening socket's address, the
     * second the peer's once it connected; then the tunnel runs. The request's address is the
     * peer expected to connect (0.0.0.0 or :: for any).
     */
    private void bind(ChannelHandlerContext ctx, String host, int port) {
        ProxyRequest request = new ProxyRequest(Protocol.SOCKS5, Command.BIND, session.client(), session.listener(),
                Credentials.none(), host, port);
        session.bind(request, listening -> {
            if (state == State.CONNECTING) {
                ctx.writeAndFlush(Socks5.reply(ctx.alloc(), Socks5.REP_SUCCEEDED, listening));
            }
        }).addListener(f -> {
            if (state != State.CONNECTING) {
                return;
            }
            if (f.isSuccess()) {
                Channel peer = (Channel) f.getNow();
                state = State.DONE;
                ctx.writeAndFlush(Socks5.reply(ctx.alloc(), Socks5.REP_SUCCEEDED, (InetSocketAddress) peer.remoteAddress()));
                session.relay(peer);
                ctx.pipeline().remove(this);
            } else {
                Outcome outcome = outcomeOf(f.cause());
                fail(ctx, outcome, Socks5.reply(ctx.alloc(), Socks5.reply(outcome), null));
            }
        });
    }

    /**
     * UDP ASSOCIATE (RFC 1928 section 7): the reply carries the relay socket's address; this
     * connection then only keeps the association alive, and core relays the datagrams. The
     * request's port is the one the client will send from (0 when it does not know yet); its
     * address is not used, the client is known by the address of this connection.
     */
    private void associate(ChannelHandlerContext ctx, String host, int port) {
        ProxyRequest request = new ProxyRequest(Protocol.SOCKS5, Command.UDP_ASSOCIATE, session.client(),
                session.listener(), Credentials.none(), host, port);
        session.associate(request, Socks5Datagrams.INSTANCE).addListener(f -> {
            if (state != State.CONNECTING) {
                return;
            }
            if (f.isSuccess()) {
                state = State.DONE;
                ctx.writeAndFlush(Socks5.reply(ctx.alloc(), Socks5.REP_SUCCEEDED, (InetSocketAddress) f.getNow()));
                // Reading goes on so that the end of this connection ends the association.
                ctx.channel().config().setAutoRead(true);
                ctx.pipeline().remove(this);
            } else {
                Outcome outcome = outcomeOf(f.cause());
                fail(ctx, outcome, Socks5.reply(ctx.alloc(), Socks5.reply(outcome), null));
            }
        });
    }

    /** Sends a failure reply, closes once it is written, and stops decoding. Returns false. */
    private boolean fail(ChannelHandlerContext ctx, Outcome outcome, ByteBuf reply) {
        state = State.FAILED;
        session.fail(outcome);
        releaseBuffered();
        ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
        return false;
    }

    /** The reply a phase allows when the client stops short or stays silent. */
    private void failPhase(ChannelHandlerContext ctx, Outcome outcome) {
        switch (state) {
            case GREETING -> fail(ctx, outcome, Socks5.methodSelection(ctx.alloc(), Socks5.METHOD_NONE_ACCEPTABLE));
            case AUTH, AUTHENTICATING -> fail(ctx, outcome, Socks5.authStatus(ctx.alloc(), Socks5.AUTH_FAILURE));
            case REQUEST -> fail(ctx, outcome, Socks5.reply(ctx.alloc(), Socks5.REP_GENERAL_FAILURE, null));
            default -> ctx.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == SessionEvent.HANDSHAKE_TIMEOUT) {
            log.debug("socks5: handshake timeout in {} from {}", state, session.client());
            failPhase(ctx, Outcome.HANDSHAKE_TIMEOUT);
        } else if (event instanceof ChannelInputShutdownEvent
                && (state == State.GREETING || state == State.AUTH || state == State.REQUEST)) {
            if (holdsBytes()) {
                // The client ended its output in the middle of a message: a truncated field.
                failPhase(ctx, Outcome.PROTOCOL_ERROR);
            } else {
                session.fail(Outcome.CLIENT_CLOSED);
                state = State.FAILED;
                ctx.close();
            }
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    private static Outcome outcomeOf(Throwable cause) {
        return cause instanceof SessionException e ? e.outcome() : Outcome.ERROR;
    }

    /** A host name (see {@link HostNames#isValid}) or an IP literal. */
    static boolean validName(String host) {
        return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host) || HostNames.isValid(host);
    }
}
