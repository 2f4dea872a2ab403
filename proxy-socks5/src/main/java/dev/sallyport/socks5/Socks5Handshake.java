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
