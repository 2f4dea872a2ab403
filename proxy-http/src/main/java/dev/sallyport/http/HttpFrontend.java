package dev.sallyport.http;

import dev.sallyport.api.Protocol;
import dev.sallyport.core.spi.Frontend;
import dev.sallyport.core.spi.Session;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * The HTTP/1.1 proxy frontend: {@code CONNECT} tunnels and forwarding of absolute-form
 * {@code http://} requests (RFC 9110, RFC 9112), found by core through
 * {@link java.util.ServiceLoader}. Host applications do not use it directly: they call
 * {@code ProxyManager.builder().http(port)} with this module on the class path.
 *
 * <p>Limits (defaults): request line 8 KiB (then 414), request header section 16 KiB (then 431),
 * response header section 64 KiB (then 502), 60 s for the origin to start its response (then
 * 504), 60 s keep-alive between requests. {@link HttpOptions} passed to the builder's
 * {@code options(...)} change them.
 *
 * <p>Origin connections come from the builder's {@code ConnectionPool}: with
 * {@code ConnectionPools.pooled(...)} a connection whose response was read to its end and that
 * the origin keeps alive serves later requests to the same address; an idempotent request
 * without a body that loses such a reused connection before any response byte is sent again.
 *
 * <p>On shutdown ({@link dev.sallyport.core.spi.SessionEvent#DRAINING}) a connection idle between
 * requests closes at once; one with a request in flight finishes it, answers with
 * {@code Connection: close} where the response head is not yet sent, and then closes.
 */
public final class HttpFrontend implements Frontend {

    /** For {@link java.util.ServiceLoader}. */
    public HttpFrontend() {
    }

    @Override
    public String name() {
        return "http";
    }

    @Override
    public Protocol protocol() {
        return Protocol.HTTP;
    }

    /** An HTTP request starts with an upper-case ASCII method name (RFC 9110 section 9). */
    @Override
    public boolean claims(ByteBuf firstBytes) {
        if (!firstBytes.isReadable()) {
            return false;
        }
        int first = firstBytes.getUnsignedByte(firstBytes.readerIndex());
        return first >= 'A' && first <= 'Z';
    }

    @Override
    public void initChannel(Channel channel, Session session) {
        HttpOptions options = session.options(HttpOptions.class).orElse(HttpOptions.defaults());
        HttpDecoderConfig config = new HttpDecoderConfig()
                .setMaxInitialLineLength(options.maxRequestLine())
                .setMaxHeaderSize(options.maxHeaderSize())
                .setMaxChunkSize(HttpOptions.MAX_CHUNK_SIZE);
        channel.pipeline()
                .addLast(ClientHandler.CODEC, new HttpServerCodec(config))
                .addLast(ClientHandler.NAME, new ClientHandler(session, options));
    }
}
