package dev.sallyport.core.internal.forward;

import dev.sallyport.core.ForwardAuth;
import dev.sallyport.core.Ticker;
import dev.sallyport.core.internal.policy.LoginQueue;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One forward-auth connection. {@code GET}/{@code HEAD /auth} is the endpoint Traefik and nginx
 * call; under {@code /auth/envoy} every method is accepted, since Envoy's {@code ext_authz} HTTP
 * service sends the client's own method and path after its prefix. Anything else: 404, or 405 on
 * {@code /auth}. Each request must arrive whole within the timeout of the connection opening or
 * of the previous answer (a slow client is closed). Requests are answered one at a time and in
 * order: Netty's HTTP codec hands over a pipelined request only once the previous answer is out;
 * should one still come while an answer is pending, it is dropped and the connection closed after
 * that answer, so an answer can never reach the wrong request.
 */
final class ForwardAuthHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(ForwardAuthHandler.class);
    static final String PATH = "/auth";
    static final String ENVOY = "/auth/envoy";
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final CharSequence FORWARDED_FOR = "X-Forwarded-For";

    private final ForwardAuthCheck check;
    private final Duration timeout;
    private final Ticker ticker;
    private ScheduledFuture<?> deadline;
    /** An answer is being worked out. */
    private boolean pending;
    /** A request came while one was pending: close after the pending answer. */
    private boolean closeAfter;

    ForwardAuthHandler(ForwardAuthCheck check, Duration timeout, Ticker ticker) {
        this.check = check;
        this.timeout = timeout;
        this.ticker = ticker;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        awaitRequest(ctx);
        ctx.fireChannelActive();
    }

    private void awaitRequest(ChannelHandlerContext ctx) {
        deadline = ctx.executor().schedule(() -> {
            log.debug("forward auth: no complete request from {} within {}", ctx.channel().remoteAddress(), timeout);
            ctx.close();
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (pending) {
            closeAfter = true;
            return;
        }
        deadline.cancel(false);
        boolean head = HttpMethod.HEAD.equals(request.method());
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            HttpResponseStatus status = cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                    : cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                    : cause instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE
                    : HttpResponseStatus.BAD_REQUEST;
            respond(ctx, status, Map.of(), "bad request\n", false, head);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        String path = new QueryStringDecoder(request.uri()).rawPath();
        boolean envoy = path.equals(ENVOY) || path.startsWith(ENVOY + "/");
        if (!path.equals(PATH) && !envoy) {
            respond(ctx, HttpResponseStatus.NOT_FOUND, Map.of(), "not found: try " + PATH + "\n", keepAlive, head);
        } else if (!envoy && !head && !HttpMethod.GET.equals(request.method())) {
            respond(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, Map.of("Allow", "GET, HEAD"), "GET or HEAD only\n",
                    keepAlive, head);
        } else {
            authenticate(ctx, request.headers(), keepAlive, head);
        }
    }

    private void authenticate(ChannelHandlerContext ctx, HttpHeaders headers, boolean keepAlive, boolean head) {
        pending = true;
        Channel channel = ctx.channel();
        LoginQueue.Caller caller = new LoginQueue.Caller(ticker.read() + timeout.toNanos(), () -> !channel.isActive());
        check.check((InetSocketAddress) channel.remoteAddress(), headers.getAll(HttpHeaderNames.PROXY_AUTHORIZATION),
                headers.getAll(HttpHeaderNames.AUTHORIZATION), headers.getAll(FORWARDED_FOR), channel.eventLoop(), caller)
                .addListener(f -> {
                    pending = false;
                    ForwardAuth.Reply reply = (ForwardAuth.Reply) f.getNow();
                    respond(ctx, HttpResponseStatus.valueOf(reply.status()), reply.headers(), reply.text(),
                            keepAlive, head);
                });
    }

    private void respond(ChannelHandlerContext ctx, HttpResponseStatus status, Map<String, String> fields, String text,
                         boolean keepAlive, boolean head) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        fields.forEach(response.headers()::set);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, TEXT).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (!keepAlive || closeAfter) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.writeAndFlush(response);
        awaitRequest(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("forward auth: connection from {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
