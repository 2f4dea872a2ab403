package dev.sallyport.http;

import dev.sallyport.api.Protocol;
import dev.sallyport.core.spi.Frontend;
import dev.sallyport.core.spi.Session;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;

import java.util.Map;
import java.util.Objects;

/**
 * The HTTP/1.1 proxy frontend: {@code CONNECT} tunnels and forwarding of absolute-form
 * {@code http://} requests (RFC 9110, RFC 9112), found by core through
 * {@link java.util.ServiceLoader}. Host applications do not use it directly: they call
 * {@code ProxyManager.builder().http(port)} with this module on the class path.
 *
 * <p>Limits (defaults): request line 8 KiB (then 414), request header section 16 KiB (then 431),
 * 60 s for the origin to start its response (then 504), 60 s keep-alive between requests. The
 * first two follow the builder's {@code httpMaxRequestLine} and {@code httpMaxHeaderSize}.
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

    /** Session option: largest request header section in bytes (builder: {@code httpMaxHeaderSize}). */
    static final String OPTION_MAX_HEADER_SIZE = "http.max-header-size";
    /** Session option: longest request line in bytes (builder: {@code httpMaxRequestLine}). */
    static final String OPTION_MAX_REQUEST_LINE = "http.max-request-line";

    private final HttpLimits limits;

    /** For {@link java.util.ServiceLoader}: the default limits. */
    public HttpFrontend() {
        this(HttpLimits.DEFAULTS);
    }

    HttpFrontend(HttpLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
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
        HttpLimits limits = limitsFor(session.options());
        HttpDecoderConfig config = new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLine())
                .setMaxHeaderSize(limits.maxHeaderSize())
                .setMaxChunkSize(limits.maxChunkSize());
        channel.pipeline()
                .addLast(ClientHandler.CODEC, new HttpServerCodec(config))
                .addLast(ClientHandler.NAME, new ClientHandler(session, limits));
    }

    /**
     * This frontend's limits with the builder's {@code http.max-header-size} and
     * {@code http.max-request-line} options applied (validated by the builder when set).
     */
    HttpLimits limitsFor(Map<String, String> options) {
        HttpLimits configured = limits;
        String headerSize = options.get(OPTION_MAX_HEADER_SIZE);
        if (headerSize != null) {
            configured = configured.withMaxHeaderSize(parse(OPTION_MAX_HEADER_SIZE, headerSize));
        }
        String requestLine = options.get(OPTION_MAX_REQUEST_LINE);
        if (requestLine != null) {
            configured = configured.withMaxRequestLine(parse(OPTION_MAX_REQUEST_LINE, requestLine));
        }
        return configured;
    }

    private static int parse(String name, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: a number of bytes)", e);
        }
    }
}
