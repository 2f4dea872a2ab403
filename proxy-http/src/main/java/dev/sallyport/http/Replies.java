package dev.sallyport.http;

import dev.sallyport.api.Outcome;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.SessionException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

import java.nio.charset.StandardCharsets;

/**
 * The proxy's own responses: refusals (a status and a short plain-text body saying why, mapped
 * from core's outcomes or from a request that could not be decoded), the answers of the proxy as
 * the final recipient of OPTIONS and TRACE, and the replies of a CONNECT.
 */
final class Replies {

    /** RFC 9110 section 11.7.1: the challenge for proxy credentials. */
    static final String CHALLENGE = "Basic realm=\"sallyport\"";

    static final HttpResponseStatus TOO_MANY_REQUESTS = HttpResponseStatus.valueOf(429);
    static final HttpResponseStatus HEADERS_TOO_LARGE =
            HttpResponseStatus.valueOf(431, "Request Header Fields Too Large");

    private Replies() {
    }

    /** The status for a refusal by core. */
    static HttpResponseStatus status(Outcome outcome) {
        return switch (outcome) {
            case AUTH_FAILED -> HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED;
            case AUTH_UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
            case DENIED -> HttpResponseStatus.FORBIDDEN;
            case LIMITED -> TOO_MANY_REQUESTS;
            case CONNECT_TIMEOUT -> HttpResponseStatus.GATEWAY_TIMEOUT;
            default -> HttpResponseStatus.BAD_GATEWAY;
        };
    }

    /** Why, in a few words, for the body of a refusal by core. */
    static String reason(Outcome outcome, String host, int port) {
        String where = host + ":" + port;
        return switch (outcome) {
            case AUTH_FAILED -> "proxy authentication failed";
            case AUTH_UNAVAILABLE -> "proxy authentication is unavailable right now; try again later";
            case DENIED -> "access to " + where + " is denied by the proxy's rules";
            case LIMITED -> "a limit was reached; try again later";
            case DNS_FAILED -> "cannot resolve " + host;
            case CONNECTION_REFUSED -> where + " refused the connection";
            case HOST_UNREACHABLE, NETWORK_UNREACHABLE -> where + " is unreachable";
            case CONNECT_TIMEOUT -> "connecting to " + where + " timed out";
            default -> "cannot connect to " + where;
        };
    }

    /**
     * Core's refusal of {@code request} (its future failed with {@code cause}) as the client's
     * answer. Core has recorded the outcome already.
     */
    static Refusal refusal(Throwable cause, ProxyRequest request) {
        return refusal(cause, request.targetHost(), request.targetPort());
    }

    /** Like {@link #refusal(Throwable, ProxyRequest)} for a request to {@code host:port}. */
    static Refusal refusal(Throwable cause, String host, int port) {
        Outcome outcome = SessionException.outcomeOf(cause);
        if (outcome == Outcome.ERROR && cause instanceof SessionException e && e.rule() != null
                && e.rule().startsWith("upstream ")) {
            // Every upstream of the route's group failed or is down: say which group.
            return new Refusal(null, status(outcome), "cannot connect to " + host + ":" + port + ": no upstream of group "
                    + e.rule().substring("upstream ".length()) + " is available", false);
        }
        return new Refusal(null, status(outcome), reason(outcome, host, port), false);
    }

    /** The answer to a request head the codec could not decode: 414, 431 or 400, then close. */
    static Refusal undecodable(Throwable cause, HttpOptions options) {
        if (cause instanceof TooLongHttpLineException) {
            return new Refusal(Outcome.PROTOCOL_ERROR, HttpResponseStatus.REQUEST_URI_TOO_LONG,
                    "request line longer than " + options.maxRequestLine() + " bytes", true);
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return new Refusal(Outcome.PROTOCOL_ERROR, HEADERS_TOO_LARGE,
                    "request header section larger than " + options.maxHeaderSize() + " bytes", true);
        }
        return new Refusal(Outcome.PROTOCOL_ERROR, HttpResponseStatus.BAD_REQUEST, "malformed request", true);
    }

    /**
     * The proxy's own answer to an OPTIONS or TRACE it is the final recipient of (RFC 9110
     * sections 9.3.7 and 9.3.8): the methods it relays, or the request echoed back without its
     * hop-by-hop fields and credentials.
     */
    static FullHttpResponse asFinalRecipient(ByteBufAllocator alloc, HttpRequest request) {
        FullHttpResponse response;
        if (HttpMethod.TRACE.equals(request.method())) {
            ProxyHeaders.removeHopByHop(request.headers());
            request.headers().remove(HttpHeaderNames.AUTHORIZATION).remove(HttpHeaderNames.COOKIE);
            StringBuilder echo = new StringBuilder().append(request.method()).append(' ').append(request.uri())
                    .append(' ').append(request.protocolVersion()).append("\r\n");
            request.headers().forEach(h -> echo.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n"));
            ByteBuf body = alloc.buffer().writeBytes(echo.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "message/http");
        } else {
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
            response.headers().set(HttpHeaderNames.ALLOW, "OPTIONS, GET, HEAD, POST, PUT, PATCH, DELETE, TRACE, CONNECT");
        }
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        ProxyHeaders.addVia(response.headers());
        return response;
    }

    /** A complete response for the codec; {@code close} adds {@code Connection: close}. */
    static FullHttpResponse full(ByteBufAllocator alloc, HttpResponseStatus status, String text, boolean close) {
        ByteBuf body = ByteBufUtil.writeUtf8(alloc, text + "\n");
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        if (status.code() == 407) {
            response.headers().set(HttpHeaderNames.PROXY_AUTHENTICATE, CHALLENGE);
        }
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    /**
     * The same response as bytes, for a connection whose codec is already gone (a CONNECT that
     * failed after the handshake phase ended). Always closes.
     */
    static ByteBuf raw(ByteBufAllocator alloc, HttpResponseStatus status, String text) {
        byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(160)
                .append("HTTP/1.1 ").append(status.code()).append(' ').append(status.reasonPhrase()).append("\r\n")
                .append("Content-Type: text/plain; charset=utf-8\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n");
        if (status.code() == 407) {
            head.append("Proxy-Authenticate: ").append(CHALLENGE).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        ByteBuf buf = alloc.buffer(head.length() + body.length);
        buf.writeCharSequence(head, StandardCharsets.US_ASCII);
        return buf.writeBytes(body);
    }

    /** RFC 9110 section 9.3.6: the tunnel is up. */
    static ByteBuf established(ByteBufAllocator alloc) {
        return ByteBufUtil.writeAscii(alloc, "HTTP/1.1 200 Connection established\r\n\r\n");
    }
}
