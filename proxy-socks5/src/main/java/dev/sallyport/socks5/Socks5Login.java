package dev.sallyport.socks5;

import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.core.spi.Session;
import dev.sallyport.core.spi.SessionException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequestDecoder;
import io.netty.util.concurrent.Future;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Username/password sub-negotiation, RFC 1929 section 2 ({@code VER ULEN UNAME PLEN PASSWD}):
 * checks the credentials through core, answers X'00' and goes on to the request, or answers X'01'
 * and closes (a wrong version, an empty user name, or a failed login). While core checks, reading
 * pauses; a request the client already sent waits here for the verdict.
 */
final class Socks5Login extends SocksPhase {

    private boolean authenticating;

    Socks5Login(Session session) {
        super(session);
    }

    @Override
    void read(ChannelHandlerContext ctx, Object message) {
        Socks5PasswordAuthRequest login = (Socks5PasswordAuthRequest) message;
        String user = login.decoderResult().isSuccess() ? utf8(login.username()) : null;
        String password = login.decoderResult().isSuccess() ? utf8(login.password()) : null;
        if (user == null || user.isEmpty() || password == null) {
            fail(ctx, Outcome.PROTOCOL_ERROR);
            return;
        }
        authenticating = true;
        Future<Principal> verdict = session.authenticate(Credentials.password(user, password));
        if (verdict.isDone()) {
            // Answered by the auth cache: go on without pausing reads (each toggle is a syscall).
            answer(ctx, verdict);
            return;
        }
        Channel channel = ctx.channel();
        channel.config().setAutoRead(false);
        verdict.addListener(f -> {
            if (failed() || !channel.isActive()) {
                return;
            }
            channel.config().setAutoRead(true);
            answer(ctx, verdict);
        });
    }

    private void answer(ChannelHandlerContext ctx, Future<Principal> verdict) {
        if (!verdict.isSuccess()) {
            // RFC 1929: a failure status, then the server MUST close the connection.
            fail(ctx, SessionException.outcomeOf(verdict.cause()));
            return;
        }
        ctx.writeAndFlush(Socks5.AUTH_SUCCESS);
        next(ctx, Socks5Handshake.DECODER, new Socks5Request.Decoder(), new Socks5Request(session));
    }

    /**
     * The field as the UTF-8 text it was sent as. Netty's decoder reads RFC 1929 fields as
     * US-ASCII, which {@code ByteBufUtil} decodes one char per byte (0-255), so the bytes survive
     * and are turned back here; ASCII, the usual case, is returned as is. A char above 0xFF would
     * mean a Netty that decodes differently and may have merged distinct bytes: refused (null),
     * never guessed.
     */
    static String utf8(String field) {
        boolean ascii = true;
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c > 0xFF) {
                return null;
            }
            ascii &= c < 0x80;
        }
        return ascii ? field : new String(field.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    @Override
    boolean waiting() {
        return !authenticating;
    }

    @Override
    boolean answersTimeout() {
        // Silence while core checks the password still ends in RFC 1929's failure status.
        return true;
    }

    @Override
    Object refusal(Outcome outcome) {
        return Socks5.AUTH_FAILURE;
    }

    /** Netty's RFC 1929 decoder, telling the handler when the input ends inside a login. */
    static final class Decoder extends Socks5PasswordAuthRequestDecoder {
        @Override
        protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            super.decodeLast(ctx, in, endOfInput(in, out));
        }
    }
}
