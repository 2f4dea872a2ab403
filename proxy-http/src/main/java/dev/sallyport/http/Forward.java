package dev.sallyport.http;

import dev.sallyport.api.Outcome;
import dev.sallyport.core.spi.Exchange;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
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
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * One forwarded request and its response, on the outbound channel core dialed (or the pool
 * lent). Messages are passed along as decoded, never aggregated or copied; each direction reads
 * only while the other side is writable. The outbound channel goes back to the pool as reusable
 * only when both messages ended cleanly and the origin keeps the connection alive; its pipeline
 * is emptied first.
 */
final class Forward {

    private static final Logger log = LoggerFactory.getLogger(Forward.class);

    private static final String COUNTER = "http-bytes";
    private static final String CODEC = "http-client-codec";
    private static final String ORIGIN = "http-origin";

    private final ClientHandler client;
    private final Exchange exchange;
    private final HttpRequest request;
    private final Channel outbound;
    private final Counter counter = new Counter();
    private final Origin origin = new Origin();
    private final boolean head;
    private ScheduledFuture<?> responseTimer;
    private boolean requestSent;
    private boolean responseStarted;
    private boolean informational;
    private boolean originKeepAlive;
    private boolean done;

    Forward(ClientHandler client, Exchange exchange, HttpRequest request) {
        this.client = client;
        this.exchange = exchange;
        this.request = request;
        this.outbound = exchange.outbound();
        this.head = HttpMethod.HEAD.equals(request.method());
    }

    void start() {
        HttpLimits limits = client.limits();
        HttpDecoderConfig config = new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLine())
                .setMaxHeaderSize(limits.maxResponseHeaderSize())
                .setMaxChunkSize(limits.maxChunkSize());
        outbound.pipeline()
                .addLast(COUNTER, counter)
                .addLast(CODEC, new HttpClientCodec(config, false, false))
                .addLast(ORIGIN, origin);
        responseTimer = outbound.eventLoop().schedule(this::responseTimedOut,
                limits.responseTimeout().toNanos(), TimeUnit.NANOSECONDS);
        outbound.write(request, outbound.voidPromise());
        if (request instanceof LastHttpContent) {
            requestSent();
        }
        outbound.config().setAutoRead(true);
    }

    void sendBody(HttpContent content) {
        if (done || !outbound.isActive()) {
            content.release();
            return;
        }
        outbound.write(content, outbound.voidPromise());
    }

    void requestSent() {
        requestSent = true;
    }

    void flushToOrigin() {
        if (!done) {
            outbound.flush();
        }
    }

    boolean originWritable() {
        return outbound.isWritable();
    }

    void clientWritable() {
        if (!done && responseStarted) {
            outbound.config().setAutoRead(true);
        }
    }

    /** The client went away: drop the origin connection. */
    void clientGone() {
        finish(Outcome.CLIENT_CLOSED, false);
    }

    /** The client's request broke off: drop the origin connection. */
    void abort(Outcome outcome) {
        finish(outcome, false);
    }

    private void responseTimedOut() {
        if (!done && !responseStarted) {
            log.debug("http: {} did not answer in {}", exchange.request().targetHost(), client.limits().responseTimeout());
            fail(Outcome.CONNECT_TIMEOUT, HttpResponseStatus.GATEWAY_TIMEOUT,
                    "the origin did not answer within " + client.limits().responseTimeout().toSeconds() + " s");
        }
    }

    /** The origin failed: answer the client if it has not seen a response yet, else close it. */
    private void fail(Outcome outcome, HttpResponseStatus status, String text) {
        if (done) {
            return;
        }
        boolean started = responseStarted;
        boolean complete = requestSent;
        finish(outcome, false);
        if (started) {
            client.forwardBroken();
        } else {
            client.forwardFailed(status, text, complete);
        }
    }

    /** The response was written to its end. */
    private void responseDone() {
        boolean reusable = originKeepAlive && requestSent && outbound.isActive();
        boolean complete = requestSent;
        if (!complete) {
            client.closeAfterResponse(true);
        }
        finish(Outcome.OK, reusable);
        client.forwardDone(complete);
    }

    private void finish(Outcome outcome, boolean reusable) {
        if (done) {
            return;
        }
        done = true;
        if (responseTimer != null) {
            responseTimer.cancel(false);
        }
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
                client.channel().write(content, client.channel().voidPromise());
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
            informational = code < 200;
            if (!informational) {
                responseStarted = true;
                responseTimer.cancel(false);
                originKeepAlive = HttpUtil.isKeepAlive(response) && HttpVersion.HTTP_1_1.equals(response.protocolVersion());
                boolean delimited = head || code == 204 || code == 304 || HttpUtil.isContentLengthSet(response)
                        || HttpUtil.isTransferEncodingChunked(response);
                if (!delimited) {
                    // The body ends when the origin closes: so must the client's connection.
                    client.closeAfterResponse(true);
                }
            }
            ProxyHeaders.removeHopByHop(response.headers());
            ProxyHeaders.addVia(response.headers());
            if (!informational && client.closeAfterResponse()) {
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
                client.originWritable();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail(Outcome.ERROR, HttpResponseStatus.BAD_GATEWAY, "the origin closed the connection without a response");
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("http: connection to {} failed", exchange.request().targetHost(), cause);
            fail(Outcome.ERROR, HttpResponseStatus.BAD_GATEWAY, "the connection to the origin failed");
            ctx.close();
        }
    }
}
