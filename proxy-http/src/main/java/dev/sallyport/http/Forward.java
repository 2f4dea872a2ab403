package dev.sallyport.http;

import dev.sallyport.api.Outcome;
import dev.sallyport.core.spi.Exchange;
import dev.sallyport.core.spi.Shaper;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One forwarded request and its response, on the outbound channel core dialed (or the pool
 * lent). Messages are passed along as decoded, never aggregated or copied; each direction reads
 * only while the other side is writable. The outbound channel goes back to the pool as reusable
 * only when both messages ended cleanly and the origin keeps the connection alive; its pipeline
 * is emptied first.
 *
 * <p>Retry (RFC 9110 section 9.2.2, RFC 9112 section 9.3.1): a connection that already carried
 * an earlier exchange may have been closed by the origin just as this request went out. When
 * such a reused connection is lost before the first response byte, an idempotent request
 * without a body (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) is sent again on another connection
 * instead of failing; a failure on a connection that carried nothing before is never retried,
 * and neither is a request with a body or any other method.
 *
 * <p>The client side drives a forward through {@link #start}, {@link #sendBody}, {@link #flush},
 * {@link #wantsBody}, {@link #clientWritable} and {@link #abort}; the forward answers through
 * {@link ClientSide}. Both run on the client channel's event loop, which the outbound channel shares.
 *
 * <p>Shaping: one core {@link Shaper} per direction. The upload shaper pauses reading the client
 * (the client side asks {@link #wantsBody} before reading on); the download shaper pauses reading
 * the origin. The last piece of a response is charged too, but its pause never holds the
 * connection: the exchange finishes at once and cancels it, and the debt stays with the user.
 */
final class Forward {

    private static final Logger log = LoggerFactory.getLogger(Forward.class);

    private static final String COUNTER = "http-bytes";
    private static final String CODEC = "http-client-codec";
    private static final String ORIGIN = "http-origin";

    /** Retries of one request after reused connections were lost; each needs a reused connection. */
    static final int MAX_RETRIES = 2;

    /** How many forwarded exchanges a channel has carried: more than zero means it is a reused one. */
    private static final AttributeKey<Integer> EXCHANGES = AttributeKey.valueOf("sallyport.http.exchanges");

    private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
            HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);

    private final ClientSide client;
    private final Exchange exchange;
    private final HttpRequest request;
    private final HttpOptions options;
    private final Channel outbound;
    private final Counter counter = new Counter();
    private final Origin origin = new Origin();
    private final boolean head;
    private final int attempt;
    /** A copy of the request head to send again, or null when this request may not be retried. */
    private final HttpRequest retryCopy;
    /** The user's upload limit: pauses reading the client's request body. */
    private final Shaper upload;
    /** The user's download limit: pauses reading the origin's response. */
    private final Shaper download;
    private ScheduledFuture<?> responseTimer;
    private boolean requestSent;
    private boolean responseStarted;
    private boolean informational;
    private boolean originKeepAlive;
    private boolean done;

    /**
     * @param attempt 0 for the first try of a request, then the number of the retry
     */
    Forward(ClientSide client, Exchange exchange, HttpRequest request, int attempt, HttpOptions options) {
        this.client = client;
        this.exchange = exchange;
        this.request = request;
        this.options = options;
        this.outbound = exchange.outbound();
        this.upload = exchange.shaper(true, () -> client.channel().config().setAutoRead(false), client::bodyWanted);
        this.download = exchange.shaper(false, () -> outbound.config().setAutoRead(false), this::downloadResumed);
        this.head = HttpMethod.HEAD.equals(request.method());
        this.attempt = attempt;
        Integer carried = outbound.attr(EXCHANGES).get();
        outbound.attr(EXCHANGES).set(carried == null ? 1 : carried + 1);
        boolean reused = carried != null && carried > 0;
        this.retryCopy = reused && attempt < MAX_RETRIES && retryable(request) ? copy(request) : null;
    }

    /** An idempotent method and no body at all (RFC 9110 section 9.2.2). */
    static boolean retryable(HttpRequest request) {
        return IDEMPOTENT.contains(request.method()) && !HttpUtil.isTransferEncodingChunked(request)
                && HttpUtil.getContentLength(request, 0L) == 0;
    }

    private static HttpRequest copy(HttpRequest request) {
        return new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                request.headers().copy());
    }

    /**
     * Sets up the outbound pipeline, starts the response timer and writes the request head (not
     * flushed: the client side {@linkplain #flush flushes} once it has passed on what it holds).
     */
    void start() {
        HttpDecoderConfig config = new HttpDecoderConfig()
                // A status line is short whatever the clients' request line limit is.
                .setMaxInitialLineLength(Math.max(options.maxRequestLine(), HttpOptions.defaults().maxRequestLine()))
                .setMaxHeaderSize(options.maxResponseHeaderSize())
                .setMaxChunkSize(HttpOptions.MAX_CHUNK_SIZE);
        outbound.pipeline()
                .addLast(COUNTER, counter)
                .addLast(CODEC, new HttpClientCodec(config, false, false))
                .addLast(ORIGIN, origin);
        if (exchange.viaHttpUpstream()) {
            Requests.rewriteForUpstream(request, exchange.upstreamAuthorization());
        }
        responseTimer = outbound.eventLoop().schedule(this::responseTimedOut,
                options.responseTimeout().toNanos(), TimeUnit.NANOSECONDS);
        outbound.write(request, outbound.voidPromise());
        if (request instanceof LastHttpContent) {
            requestSent = true;
        }
        outbound.config().setAutoRead(true);
    }

    /** Passes on the next piece of the request body (not flushed); the last one completes the request. */
    void sendBody(HttpContent content) {
        if (content instanceof LastHttpContent) {
            requestSent = true;
        }
        if (done || !outbound.isActive()) {
            content.release();
            return;
        }
        int bytes = content.content().readableBytes();
        outbound.write(content, outbound.voidPromise());
        upload.charge(bytes);
    }

    /** Whether the client side may read more of the request body: the origin is writable and no upload pause runs. */
    boolean wantsBody() {
        return outbound.isWritable() && !upload.paused();
    }

    /** Flushes what {@link #start} and {@link #sendBody} wrote. */
    void flush() {
        if (!done) {
            outbound.flush();
        }
    }

    /** The client can take more of the response: read the origin again, unless a download pause runs. */
    void clientWritable() {
        if (!done && responseStarted && !download.paused()) {
            outbound.config().setAutoRead(true);
        }
    }

    /** The client went away ({@link Outcome#CLIENT_CLOSED}) or its request broke off: drop the origin connection. */
    void abort(Outcome outcome) {
        finish(outcome, false);
    }

    private void downloadResumed() {
        if (!done && client.channel().isWritable()) {
            outbound.config().setAutoRead(true);
        }
    }

    private void responseTimedOut() {
        if (!done && !responseStarted) {
            log.debug("http: {} did not answer in {}", exchange.request().targetHost(), options.responseTimeout());
            fail(Outcome.CONNECT_TIMEOUT, HttpResponseStatus.GATEWAY_TIMEOUT,
                    "the origin did not answer within " + options.responseTimeout().toSeconds() + " s");
        }
    }

    /** The origin failed: answer the client if it has not seen a response yet, else close it. */
    private void fail(Outcome outcome, HttpResponseStatus status, String text) {
        fail(outcome, status, text, false);
    }

    /**
     * Like {@link #fail(Outcome, HttpResponseStatus, String)}; {@code connectionLost} says the
     * connection itself broke (closed, reset), which on a reused connection may just mean the
     * origin closed it while idle: then a retryable request is sent again.
     */
    private void fail(Outcome outcome, HttpResponseStatus status, String text, boolean connectionLost) {
        if (done) {
            return;
        }
        boolean started = responseStarted;
        boolean complete = requestSent;
        if (connectionLost && retryCopy != null && !started && complete && counter.down == 0) {
            log.debug("http: reused connection to {} lost before the response; retrying {}",
                    exchange.request().targetHost(), request.method());
            finish(outcome, false);
            client.retry(retryCopy, exchange.request(), attempt + 1);
            return;
        }
        finish(outcome, false);
        if (started) {
            client.broken();
        } else {
            client.failed(status, text, complete);
        }
    }

    /** The response was written to its end. */
    private void responseDone() {
        boolean reusable = originKeepAlive && requestSent && outbound.isActive();
        finish(Outcome.OK, reusable);
        client.responded(requestSent);
    }

    private void finish(Outcome outcome, boolean reusable) {
        if (done) {
            return;
        }
        done = true;
        if (responseTimer != null) {
            responseTimer.cancel(false);
        }
        upload.cancel();
        download.cancel();
        outbound.config().setAutoRead(false);
        if (reusable) {
            // Leftover bytes after the response surface in Origin as a raw buffer and spoil reuse.
            outbound.pipeline().remove(COUNTER);
            outbound.pipeline().remove(CODEC);
            reusable = !origin.spoiled;
            outbound.pipeline().remove(ORIGIN);
        }
        exchange.count(counter.up, counter.down);
        exchange.end(outcome, reusable);
    }

    /** Counts the bytes on the wire to and from the origin. */
    private static final class Counter extends ChannelDuplexHandler {
        long up;
        long down;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf) {
                down += buf.readableBytes();
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf buf) {
                up += buf.readableBytes();
            }
            ctx.write(msg, promise);
        }
    }

    /** The origin side: relays the decoded response to the client. */
    private final class Origin extends ChannelInboundHandlerAdapter {
        boolean spoiled;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (done) {
                spoiled = true;
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpResponse response && !response(response)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpContent content) {
                if (content.decoderResult().isFailure()) {
                    content.release();
                    fail(Outcome.ERROR, HttpResponseStatus.BAD_GATEWAY, "the origin sent a malformed response");
                    return;
                }
                boolean last = content instanceof LastHttpContent;
                int bytes = content.content().readableBytes();
                client.channel().write(content, client.channel().voidPromise());
                download.charge(bytes);
                if (!client.channel().isWritable()) {
                    // Stop within this read loop, not after it: the proxy holds at most the water mark and one read.
                    ctx.channel().config().setAutoRead(false);
                }
                if (last) {
                    if (informational) {
                        informational = false;
                    } else {
                        client.channel().flush();
                        responseDone();
                    }
                }
            } else if (!(msg instanceof HttpResponse)) {
                ReferenceCountUtil.release(msg);
            }
        }

        /** Checks and rewrites a response head and writes it; false when it was refused. */
        private boolean response(HttpResponse response) {
            if (response.decoderResult().isFailure()) {
                log.debug("http: malformed response from {}", exchange.request().targetHost(), response.decoderResult().cause());
                fail(Outcome.ERROR, HttpResponseStatus.BAD_GATEWAY, "the origin sent a malformed response");
                return false;
            }
            int code = response.status().code();
            if (code == 101) {
                // Upgrade was stripped from the request; an origin switching anyway breaks the exchange.
                fail(Outcome.ERROR, HttpResponseStatus.BAD_GATEWAY, "the origin switched protocols unasked");
                return false;
            }
            if (code == 407 && exchange.viaHttpUpstream()) {
                // The upstream refused Sallyport's login, not the client's: the client cannot fix it.
                fail(Outcome.ERROR, HttpResponseStatus.BAD_GATEWAY, "the upstream proxy refused the proxy's login");
                return false;
            }
            informational = code < 200;
            boolean closeClient = false;
            if (!informational) {
                responseStarted = true;
                responseTimer.cancel(false);
                originKeepAlive = HttpUtil.isKeepAlive(response) && HttpVersion.HTTP_1_1.equals(response.protocolVersion());
                boolean delimited = head || code == 204 || code == 304 || HttpUtil.isContentLengthSet(response)
                        || HttpUtil.isTransferEncodingChunked(response);
                if (!delimited) {
                    // The body ends when the origin closes: so must the client's connection.
                    originKeepAlive = false;
                }
                closeClient = client.closesAfterResponse(!delimited);
            }
            ProxyHeaders.removeHopByHop(response.headers());
            ProxyHeaders.addVia(response.headers());
            if (closeClient) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            client.channel().write(response, client.channel().voidPromise());
            return true;
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (!done) {
                client.channel().flush();
                if (!client.channel().isWritable()) {
                    ctx.channel().config().setAutoRead(false);
                }
            }
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (!done && ctx.channel().isWritable()) {
                client.bodyWanted();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail(Outcome.ERROR, HttpResponseStatus.BAD_GATEWAY, "the origin closed the connection without a response",
                    true);
            ctx.fireChannelInactive();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent) {
                // Outbound channels allow half-closure, so an origin's FIN arrives here, not as
                // channelInactive. The codec already passed on a response delimited by the close.
                fail(Outcome.ERROR, HttpResponseStatus.BAD_GATEWAY,
                        "the origin closed the connection without a response", true);
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("http: connection to {} failed", exchange.request().targetHost(), cause);
            fail(Outcome.ERROR, HttpResponseStatus.BAD_GATEWAY, "the connection to the origin failed", true);
            ctx.close();
        }
    }
}
