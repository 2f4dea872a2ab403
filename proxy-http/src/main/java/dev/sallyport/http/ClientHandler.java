package dev.sallyport.http;

import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.Exchange;
import dev.sallyport.core.spi.Session;
import dev.sallyport.core.spi.SessionEvent;
import dev.sallyport.core.spi.SessionException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The client side of an HTTP proxy connection, after the {@code HttpServerCodec}. Requests are
 * handled one at a time in arrival order: a forwarded request ({@link Forward}) streams its body
 * to the origin and its response back; what the client pipelines meanwhile waits in
 * {@link #pending}, and reading stops until the response is done, so at most one read's worth
 * is held. A {@code CONNECT} removes the codec at once (later bytes belong to the tunnel) and
 * hands over to core's relay.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter {

    static final String NAME = "http-proxy";
    static final String CODEC = "http-codec";

    private static final Logger log = LoggerFactory.getLogger(ClientHandler.class);

    private enum State {
        /** Waiting for a request head. */
        IDLE,
        /** Core is admitting and dialing a forwarded request. */
        ADMITTING,
        /** Forwarding the request body to the origin. */
        SENDING,
        /** The request is sent; the response is being relayed. */
        AWAITING,
        /** Dropping the body of a request the proxy answered itself. */
        DISCARDING,
        /** A CONNECT: the codec is gone, core is dialing. */
        TUNNELING,
        /** The tunnel runs or the connection is closing: nothing more to do here. */
        DONE
    }

    private final Session session;
    private final HttpLimits limits;
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private State state = State.IDLE;
    private Forward forward;
    private boolean closeAfterResponse;
    private boolean inputShutdown;
    private ByteBuf tunnelBytes;
    private ScheduledFuture<?> keepAliveTimer;

    ClientHandler(Session session, HttpLimits limits) {
        this.session = session;
        this.limits = limits;
    }

    HttpLimits limits() {
        return limits;
    }

    Channel channel() {
        return ctx.channel();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.TUNNELING) {
            // Bytes after the CONNECT head (released codec leftovers or new reads) belong to the tunnel.
            if (msg instanceof ByteBuf buf && buf.isReadable()) {
                tunnelBytes = tunnelBytes == null ? buf
                        : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), tunnelBytes, buf);
            } else {
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        if (state == State.DONE) {
            ReferenceCountUtil.release(msg);
            return;
        }
        pending.add(msg);
        drain();
    }

    /** Processes what can be processed now, in order, then decides whether to read more. */
    private void drain() {
        while (!pending.isEmpty() && state != State.DONE) {
            State now = state;
            if (now == State.IDLE) {
                Object msg = pending.poll();
                if (msg instanceof HttpRequest request) {
                    cancelKeepAliveTimer();
                    onRequest(request);
                } else {
                    // Content of a request already answered: nothing wants it.
                    ReferenceCountUtil.release(msg);
                }
            } else if (now == State.DISCARDING) {
                Object msg = pending.poll();
                boolean last = msg instanceof LastHttpContent;
                ReferenceCountUtil.release(msg);
                if (last) {
                    state = State.IDLE;
                }
            } else if (now == State.SENDING) {
                Object msg = pending.poll();
                if (!(msg instanceof HttpContent content)) {
                    ReferenceCountUtil.release(msg);
                    continue;
                }
                if (content.decoderResult().isFailure()) {
                    content.release();
                    log.debug("http: request body from {} broke off", session.client());
                    session.fail(Outcome.PROTOCOL_ERROR);
                    forward.abort(Outcome.PROTOCOL_ERROR);
                    closeNow();
                    return;
                }
                boolean last = content instanceof LastHttpContent;
                forward.sendBody(content);
                if (last) {
                    state = State.AWAITING;
                    forward.requestSent();
                }
            } else {
                break;
            }
        }
        if (state == State.DONE) {
            releasePending();
            return;
        }
        if (forward != null) {
            forward.flushToOrigin();
        }
        updateAutoRead();
    }

    private void updateAutoRead() {
        boolean read = switch (state) {
            case IDLE, DISCARDING -> pending.isEmpty();
            case SENDING -> pending.isEmpty() && forward.originWritable() && !forward.uploadPaused();
            default -> false;
        };
        ctx.channel().config().setAutoRead(read && !inputShutdown);
    }

    private void onRequest(HttpRequest request) {
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            ReferenceCountUtil.release(request);
            session.fail(Outcome.PROTOCOL_ERROR);
            if (cause instanceof TooLongHttpLineException) {
                replyAndClose(HttpResponseStatus.REQUEST_URI_TOO_LONG,
                        "request line longer than " + limits.maxRequestLine() + " bytes");
            } else if (cause instanceof TooLongHttpHeaderException) {
                replyAndClose(Replies.HEADERS_TOO_LARGE,
                        "request header section larger than " + limits.maxHeaderSize() + " bytes");
            } else {
                log.debug("http: malformed request from {}", session.client(), cause);
                replyAndClose(HttpResponseStatus.BAD_REQUEST, "malformed request");
            }
            return;
        }
        if (!HttpVersion.HTTP_1_1.equals(request.protocolVersion()) || !HttpUtil.isKeepAlive(request)) {
            // HTTP/1.0 clients get one response per connection; so does "Connection: close".
            closeAfterResponse = true;
        }
        if (HttpMethod.CONNECT.equals(request.method())) {
            connect(request);
        } else {
            forward(request);
        }
    }

    /** RFC 9110 section 9.3.6. */
    private void connect(HttpRequest request) {
        Target target = Target.authority(request.uri());
        if (target == null) {
            session.fail(Outcome.PROTOCOL_ERROR);
            reject(request, HttpResponseStatus.BAD_REQUEST, "CONNECT needs host:port as its target");
            return;
        }
        Credentials credentials = credentials(request);
        if (credentials == null) {
            return;
        }
        // The head is complete: every byte after it belongs to the tunnel, so the codec goes now.
        state = State.TUNNELING;
        ctx.channel().config().setAutoRead(false);
        ctx.pipeline().remove(CODEC);
        ProxyRequest proxyRequest = new ProxyRequest(Protocol.HTTP, Command.CONNECT, session.client(),
                session.listener(), credentials, target.host(), target.port());
        session.connect(proxyRequest).addListener(f -> {
            if (state != State.TUNNELING) {
                return;
            }
            if (f.isSuccess()) {
                Channel outbound = (Channel) f.getNow();
                state = State.DONE;
                ctx.writeAndFlush(Replies.established(ctx.alloc()));
                session.relay(outbound);
                ctx.pipeline().remove(this);
            } else {
                Outcome outcome = outcomeOf(f.cause());
                state = State.DONE;
                releaseTunnelBytes();
                ctx.writeAndFlush(Replies.raw(ctx.alloc(), Replies.status(outcome), Replies.reason(outcome, target)))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    /** Forwards an absolute-form request (RFC 9112 section 3.2.2). */
    private void forward(HttpRequest request) {
        String uri = request.uri();
        if (uri.startsWith("/") || "*".equals(uri)) {
            session.fail(Outcome.PROTOCOL_ERROR);
            reject(request, HttpResponseStatus.BAD_REQUEST, "this is a proxy, not a web server: send the full URL "
                    + "(GET http://host/path HTTP/1.1) or configure this address as your HTTP proxy");
            return;
        }
        Target target = Target.absolute(uri);
        if (target == null) {
            session.fail(Outcome.PROTOCOL_ERROR);
            reject(request, HttpResponseStatus.BAD_REQUEST, "malformed request target");
            return;
        }
        if (!"http".equals(target.scheme())) {
            session.fail(Outcome.UNSUPPORTED_COMMAND);
            reject(request, HttpResponseStatus.NOT_IMPLEMENTED, "scheme " + target.scheme()
                    + " is not supported: forward http:// URLs, or use CONNECT for https");
            return;
        }
        HttpMethod method = request.method();
        if (HttpMethod.OPTIONS.equals(method) || HttpMethod.TRACE.equals(method)) {
            String maxForwards = request.headers().get(HttpHeaderNames.MAX_FORWARDS);
            if (maxForwards != null) {
                int hops = parseMaxForwards(maxForwards);
                if (hops < 0) {
                    session.fail(Outcome.PROTOCOL_ERROR);
                    reject(request, HttpResponseStatus.BAD_REQUEST, "Max-Forwards is not a number");
                    return;
                }
                if (hops == 0) {
                    answerAsFinalRecipient(request);
                    return;
                }
                request.headers().set(HttpHeaderNames.MAX_FORWARDS, hops - 1);
            }
        }
        Credentials credentials = credentials(request);
        if (credentials == null) {
            return;
        }
        ProxyHeaders.removeHopByHop(request.headers());
        ProxyHeaders.addVia(request.headers());
        // RFC 9112 section 3.2.2: Host comes from the target URI, whatever the client sent.
        request.headers().set(HttpHeaderNames.HOST, target.authority());
        request.setUri(target.path().equals("/") && HttpMethod.OPTIONS.equals(method) && uri.indexOf('/',
                uri.indexOf("://") + 3) < 0 ? "*" : target.path());
        request.setProtocolVersion(HttpVersion.HTTP_1_1);

        state = State.ADMITTING;
        ctx.channel().config().setAutoRead(false);
        ProxyRequest proxyRequest = new ProxyRequest(Protocol.HTTP, Command.HTTP_FORWARD, session.client(),
                session.listener(), credentials, target.host(), target.port());
        session.exchange(proxyRequest).addListener(f -> {
            if (state != State.ADMITTING) {
                if (f.isSuccess()) {
                    ((Exchange) f.getNow()).end(Outcome.CLIENT_CLOSED, false);
                }
                return;
            }
            if (f.isSuccess()) {
                forward = new Forward(this, (Exchange) f.getNow(), request, 0);
                state = request instanceof LastHttpContent ? State.AWAITING : State.SENDING;
                forward.start();
                drain();
            } else {
                Outcome outcome = outcomeOf(f.cause());
                state = State.IDLE;
                reject(request, Replies.status(outcome), Replies.reason(outcome, target));
                drain();
            }
        });
    }

    /**
     * The request's credentials, or {@code null} after answering 407 when the proxy needs
     * credentials the request lacks or that cannot be decoded.
     */
    private Credentials credentials(HttpRequest request) {
        if (!session.authenticationRequired()) {
            return Credentials.none();
        }
        Credentials credentials = ProxyHeaders.credentials(request.headers());
        if (credentials == Credentials.none()) {
            // A challenge, not a failure: clients retry with credentials on the same connection.
            reject(request, HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED, "proxy authentication required");
            return null;
        }
        if (credentials == ProxyHeaders.MALFORMED) {
            session.fail(Outcome.AUTH_FAILED);
            closeAfterResponse = true;
            reject(request, HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED,
                    "Proxy-Authorization must be Basic or Bearer");
            return null;
        }
        return credentials;
    }

    /** RFC 9110 section 7.6.2: with Max-Forwards 0 the proxy answers OPTIONS and TRACE itself. */
    private void answerAsFinalRecipient(HttpRequest request) {
        FullHttpResponse response;
        if (HttpMethod.TRACE.equals(request.method())) {
            ProxyHeaders.removeHopByHop(request.headers());
            request.headers().remove(HttpHeaderNames.AUTHORIZATION).remove(HttpHeaderNames.COOKIE);
            StringBuilder echo = new StringBuilder().append(request.method()).append(' ').append(request.uri())
                    .append(' ').append(request.protocolVersion()).append("\r\n");
            request.headers().forEach(h -> echo.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n"));
            ByteBuf body = ctx.alloc().buffer().writeBytes(echo.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "message/http");
        } else {
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
            response.headers().set(HttpHeaderNames.ALLOW, "OPTIONS, GET, HEAD, POST, PUT, PATCH, DELETE, TRACE, CONNECT");
        }
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        ProxyHeaders.addVia(response.headers());
        respond(request, response);
    }

    /** Answers {@code request} with the proxy's own short reply. */
    private void reject(HttpRequest request, HttpResponseStatus status, String text) {
        respond(request, Replies.full(ctx.alloc(), status, text, false));
    }

    /**
     * Sends the proxy's own response to {@code request}. The connection stays open when the
     * client wants it and the request carries no body; otherwise it closes once the response is
     * written, since the unread body would be mistaken for the next request.
     */
    private void respond(HttpRequest request, FullHttpResponse response) {
        boolean bodyless = !HttpUtil.isTransferEncodingChunked(request) && HttpUtil.getContentLength(request, 0L) == 0;
        boolean keep = bodyless && !closeAfterResponse && !inputShutdown;
        ReferenceCountUtil.release(request);
        if (!keep) {
            response.headers().set(HttpHeaderNames.CONNECTION, "close");
            state = State.DONE;
            releasePending();
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.writeAndFlush(response);
        state = request instanceof LastHttpContent ? State.IDLE : State.DISCARDING;
        if (state == State.IDLE) {
            startKeepAliveTimer();
        }
    }

    private void replyAndClose(HttpResponseStatus status, String text) {
        state = State.DONE;
        releasePending();
        ctx.writeAndFlush(Replies.full(ctx.alloc(), status, text, true)).addListener(ChannelFutureListener.CLOSE);
    }

    // ---- called by Forward ----

    /** Whether the client connection closes after the current response. */
    boolean closeAfterResponse() {
        return closeAfterResponse;
    }

    void closeAfterResponse(boolean close) {
        closeAfterResponse |= close;
    }

    /** The forwarded exchange ended cleanly with its whole response written. */
    void forwardDone(boolean requestComplete) {
        forward = null;
        if (!requestComplete || closeAfterResponse || inputShutdown) {
            // An unfinished request body cannot be told apart from a next request: close.
            state = State.DONE;
            releasePending();
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        state = State.IDLE;
        startKeepAliveTimer();
        drain();
    }

    /**
     * The exchange failed before a response head reached the client: answer it here.
     * {@code requestComplete} tells whether the client's request was read to its end.
     */
    void forwardFailed(HttpResponseStatus status, String text, boolean requestComplete) {
        forward = null;
        if (!ctx.channel().isActive()) {
            state = State.DONE;
            return;
        }
        if (requestComplete && !closeAfterResponse && !inputShutdown) {
            ctx.writeAndFlush(Replies.full(ctx.alloc(), status, text, false));
            state = State.IDLE;
            startKeepAliveTimer();
            drain();
        } else {
            replyAndClose(status, text);
        }
    }

    /**
     * The reused origin connection of a retryable request was lost before any response byte:
     * admit and send {@code head} (with an empty body) again, on whatever connection core and
     * its pool supply. The client's request was read to its end.
     */
    void forwardRetry(HttpRequest head, ProxyRequest proxyRequest, int attempt) {
        forward = null;
        if (!ctx.channel().isActive()) {
            state = State.DONE;
            return;
        }
        state = State.ADMITTING;
        ctx.channel().config().setAutoRead(false);
        session.exchange(proxyRequest).addListener(f -> {
            if (state != State.ADMITTING) {
                if (f.isSuccess()) {
                    ((Exchange) f.getNow()).end(Outcome.CLIENT_CLOSED, false);
                }
                return;
            }
            if (f.isSuccess()) {
                forward = new Forward(this, (Exchange) f.getNow(), head, attempt);
                state = State.AWAITING;
                forward.startComplete();
                drain();
            } else {
                Outcome outcome = outcomeOf(f.cause());
                Target target = new Target(null, proxyRequest.targetHost(), proxyRequest.targetPort(), null, null);
                forwardFailed(Replies.status(outcome), Replies.reason(outcome, target), true);
            }
        });
    }

    /** The exchange broke after part of its response was sent: nothing to do but close. */
    void forwardBroken() {
        forward = null;
        closeNow();
    }

    /** The origin can take more: resume reading the request body. */
    void originWritable() {
        if (state == State.SENDING) {
            updateAutoRead();
        }
    }

    private void closeNow() {
        state = State.DONE;
        releasePending();
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    // ---- channel events ----

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (forward != null && ctx.channel().isWritable()) {
            forward.clientWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == SessionEvent.HANDSHAKE_TIMEOUT && state == State.IDLE) {
            log.debug("http: no complete request from {} in time", session.client());
            replyAndClose(HttpResponseStatus.REQUEST_TIMEOUT, "no complete request in time");
        } else if (event == SessionEvent.DRAINING && state != State.TUNNELING && state != State.DONE) {
            // Shutting down: no further request on this connection. Idle ones close now; one with
            // a request in flight answers it (with Connection: close when the head is not out yet).
            closeAfterResponse = true;
            if ((state == State.IDLE || state == State.DISCARDING) && forward == null) {
                log.debug("http: closing keep-alive connection from {}: shutting down", session.client());
                closeNow();
            }
        } else if (event instanceof ChannelInputShutdownEvent && state != State.TUNNELING && state != State.DONE) {
            // The client sent its last request; answer what is in flight, then close.
            inputShutdown = true;
            if (state == State.IDLE && pending.isEmpty() && forward == null) {
                closeNow();
            }
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        State was = state;
        state = State.DONE;
        cancelKeepAliveTimer();
        releasePending();
        releaseTunnelBytes();
        if (forward != null && was != State.DONE) {
            Forward current = forward;
            forward = null;
            current.clientGone();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelKeepAliveTimer();
        releasePending();
        ByteBuf rest = tunnelBytes;
        tunnelBytes = null;
        if (rest != null) {
            if (ctx.channel().isActive()) {
                // Bytes the client sent right after its CONNECT: the relay, now next in line, takes them.
                ctx.fireChannelRead(rest);
                ctx.fireChannelReadComplete();
            } else {
                rest.release();
            }
        }
    }

    private void startKeepAliveTimer() {
        cancelKeepAliveTimer();
        keepAliveTimer = ctx.executor().schedule(() -> {
            if (state == State.IDLE && pending.isEmpty()) {
                log.debug("http: closing idle keep-alive connection from {}", session.client());
                closeNow();
            }
        }, limits.keepAliveTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancelKeepAliveTimer() {
        if (keepAliveTimer != null) {
            keepAliveTimer.cancel(false);
            keepAliveTimer = null;
        }
    }

    private void releasePending() {
        Object msg;
        while ((msg = pending.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    private void releaseTunnelBytes() {
        if (tunnelBytes != null) {
            tunnelBytes.release();
            tunnelBytes = null;
        }
    }

    private static int parseMaxForwards(String value) {
        String trimmed = value.trim();
        if (trimmed.isEmpty() || trimmed.length() > 9) {
            return -1;
        }
        for (int i = 0; i < trimmed.length(); i++) {
            if (trimmed.charAt(i) < '0' || trimmed.charAt(i) > '9') {
                return -1;
            }
        }
        return Integer.parseInt(trimmed);
    }

    private static Outcome outcomeOf(Throwable cause) {
        return cause instanceof SessionException e ? e.outcome() : Outcome.ERROR;
    }
}
