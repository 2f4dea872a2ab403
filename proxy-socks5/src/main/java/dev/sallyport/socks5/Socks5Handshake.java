package dev.sallyport.socks5;

import dev.sallyport.core.spi.Session;
import io.netty.channel.Channel;
import io.netty.handler.codec.socksx.v5.Socks5ServerEncoder;

/**
 * The server side of a SOCKS5 handshake on Netty's SOCKS codec, one decoder and one handler per
 * phase, each pair replaced by the next when its phase ends: {@link Socks5Greeting} (method
 * selection), {@link Socks5Login} (RFC 1929, when the proxy requires authentication), then
 * {@link Socks5Request} (CONNECT, BIND, UDP ASSOCIATE), after which the encoder and the handler
 * leave the pipeline to core's relay. The decoders never throw on hostile input: each handler
 * checks {@code decoderResult()} first and answers a failure with its phase's reply and a close.
 * Lengths the client controls are bounded by the wire format (a byte each: at most 255 methods,
 * 255-byte user name, password and host name), so a decoder holds at most one message.
 *
 * <p>Cost against the hand-written decoder this replaced (b2da531), A/B rounds interleaved on the
 * shared 2-core machine at load average 8-25 (single rounds vary 0.3-3x, so medians and best
 * tenths): {@code Socks5HandshakeBenchmark} 2.85 to 3.60 us without authentication, 3.43 to 4.01
 * us with a password, 3.8 to 4.5 KB and 4.2 to 5.2 KB allocated per handshake; whole sessions in
 * process, event-loop CPU per session 193 to 186 us and 243 to 256 us; {@code load.sh} sessions/s
 * new/old 0.81-1.61 without and 0.57-1.08 with a password over five campaigns. About 1 us on a
 * session that costs some 200 us: no 5% loss shows, so decoding stays on Netty's decoders.
 */
final class Socks5Handshake {

    static final String ENCODER = "socks5-encoder";
    static final String DECODER = "socks5-decoder";
    static final String HANDLER = "socks5-handshake";

    /** Replies, with BND.ADDR written by the module's one address codec. Stateless, shared. */
    private static final Socks5ServerEncoder REPLIES = new Socks5ServerEncoder(Socks5Address.CODEC);

    private Socks5Handshake() {
    }

    /** Starts the handshake on a new client channel. */
    static void start(Channel channel, Session session) {
        channel.pipeline()
                .addLast(ENCODER, REPLIES)
                .addLast(DECODER, new Socks5Greeting.Decoder())
                .addLast(HANDLER, new Socks5Greeting(session));
    }
}
