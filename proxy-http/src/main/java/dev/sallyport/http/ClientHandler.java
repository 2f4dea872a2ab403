package dev.sallyport.http;

import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.Exchange;
import dev.sallyport.core.spi.Session;
import dev.sallyport.core.spi.SessionEvent;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The client side of an HTTP proxy connection, after the {@code HttpServerCodec}: takes requests
 * one at a time in arrival order and decides what becomes of each ({@link Requests}). A forwarded
 * request streams its body to the origin and its response back through a {@link Forward}, which
 * answers through {@link ClientSide}; a request the proxy answers itself gets its reply from
 * {@link Replies}; a {@code CONNECT} ends the HTTP phase and hands the connection to a
 * {@link ConnectTunnel}. What the client pipelines meanwhile waits in {@link #pending}, and
 * reading stops until the current request is done, so at most one read's worth is held.
 *
 * <p>The requests of a keep-alive connection share this one handler, whose {@link Phase} tells
 * which of them the queued messages wait for: swapping handlers per request would cost pipeline
 * changes on every request for no gain in clarity. The one lasting change, CONNECT, is a swap.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter implements ClientSide {

    static final String NAME = "http-proxy";
    static final String CODEC = "http-codec";

    private static final Logger log = LoggerFactory.getLogger(ClientHandler.class);

    /** Where the current request is: decides what the next queued message means. */
    private enum Phase {
        /** Waiting for a request head. */
        IDLE,
        /** Core is admitting and dialing a forwarded request; its body waits in the queue. */
        ADMITTING,
        /** Forwarding the request body to the origin. */
        SENDING,
        /** The request is read to its end; the response is being relayed. */
        AWAITING,
        /** Dropping the body of a request the proxy answered itself. */
        DISCARDING,
        /** The connection is closing, or became a tunnel: nothing more to do here. */
        ENDED
    }

    private final Session session;
    private final HttpOptions options;
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private Phase phase = Phase.IDLE;
    /** This handler closes the connection (after its last response): a shutdown has nothing to cut. */
    private boolean closing;
    private Forward forward;
    private boolean closeAfterResponse;
    private boolean inputShutdown;
    private ScheduledFuture<?> keepAliveTimer;

    ClientHandler(Session session, HttpOptions options) {
        this.session = session;
        this.options = options;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (phase == Phase.ENDED) {
            ReferenceCountUtil.release(msg);
            return;
        }
        pending.add(msg);
        drain();
    }

    /** Processes what can be processed now, in order, then decides whether to read more. */
    private void drain() {
        while (!pending.isEmpty() && phase != Phase.ENDED) {
            Phase now = phase;
            if (now == Phase.IDLE) {
                Object msg = pending.poll();
                if (msg instanceof HttpRequest request) {
                    onRequest(request);
                } else {
                    // Content of a request already answered: nothing wants it.
                    ReferenceCountUtil.release(msg);
                }
            } else if (now == Phase.DISCARDING) {
                Object msg = pending.poll();
                boolean last = msg instanceof LastHttpContent;
                ReferenceCountUtil.release(msg);
                if (last) {
                    phase = Phase.IDLE;
                }
            } else if (now == Phase.SENDING) {
                Object msg = pending.poll();
                if (!(msg instanceof HttpContent content)) {
                    ReferenceCountUtil.release(msg);
                } else if (content.decoderResult().isFailure()) {
                    content.release();
                    log.debug("http: request body from {} broke off", session.client());
                    session.fail(Outcome.PROTOCOL_ERROR);
                    Forward broken = forward;
                    forward = null;
                    broken.abort(Outcome.PROTOCOL_ERROR);
                    closeNow();
                } else {
                    if (content instanceof LastHttpContent) {
                        phase = Phase.AWAITING;
                    }
                    forward.sendBody(content);
                }
            } else {
                break;
            }
        }
        if (phase == Phase.ENDED) {
            releasePending();
            return;
        }
        if (forward != null) {
            forward.flush();
        }
        updateAutoRead();
    }

    private void updateAutoRead() {
        boolean read = switch (phase) {
            case IDLE, DISCARDING -> pending.isEmpty();
            case SENDING -> pending.isEmpty() && forward.wantsBody();
            default -> false;
        };
        ctx.channel().config().setAutoRead(read && !inputShutdown);
    }

    private void onRequest(HttpRequest request) {
        cancelKeepAliveTimer();
        if (request.decoderResult().isFailure()) {
            log.debug("http: malformed request from {}", session.client(), request.decoderResult().cause());
            refuse(request, Replies.undecodable(request.decoderResult().cause(), options));
            return;
        }
        if (!HttpVersion.HTTP_1_1.equals(request.protocolVersion()) || !HttpUtil.isKeepAlive(request)) {
            // HTTP/1.0 clients get one response per connection; so does "Connection: close".
            closeAfterResponse = true;
        }
        boolean connect = HttpMethod.CONNECT.equals(request.method());
        boolean authenticate = session.authenticationRequired();
        Requests.Verdict verdict = connect ? Requests.connect(request, authenticate) : Requests.forward(request, authenticate);
        if (verdict instanceof Refusal refusal) {
            refuse(request, refusal);
        } else if (verdict instanceof Requests.LoginRefused login) {
            session.loginRefused(proxyRequest(connect ? Command.CONNECT : Command.HTTP_FORWARD, login.target(),
                    Credentials.none()), login.reason());
            refuse(request, login.refusal());
        } else if (verdict instanceof Requests.Admit admit && connect) {
            phase = Phase.ENDED;
            releasePending();
            ConnectTunnel.begin(ctx, CODEC, session, proxyRequest(Command.CONNECT, admit));
        } else if (verdict instanceof Requests.Admit admit) {
            admit(request, proxyRequest(Command.HTTP_FORWARD, admit), 0);
        } else if (verdict instanceof Requests.AnswerAfterLogin login) {
            answerAfterLogin(request, login);
        } else {
            respond(request, Replies.asFinalRecipient(ctx.alloc(), request));
        }
    }

    private ProxyRequest proxyRequest(Command command, Requests.Admit admit) {
        return proxyRequest(command, admit.target(), admit.credentials());
    }

    private ProxyRequest proxyRequest(Command command, Target target, Credentials credentials) {
        return new ProxyRequest(Protocol.HTTP, command, session.client(), session.listener(), credentials,
                target.host(), target.port());
    }

    /**
     * Asks core to admit {@code request} and, once admitted, forwards {@code head} as try number
     * {@code attempt}: the first (0) streams the client's body after it; a retry's body is empty.
     */
    private void admit(HttpRequest head, ProxyRequest request, int attempt) {
        phase = Phase.ADMITTING;
        ctx.channel().config().setAutoRead(false);
        session.exchange(request).addListener(f -> {
            if (phase != Phase.ADMITTING) {
                if (f.isSuccess()) {
                    ((Exchange) f.getNow()).end(Outcome.CLIENT_CLOSED, false);
                }
                return;
            }
            if (f.isSuccess()) {
                forward = new Forward(this, (Exchange) f.getNow(), head, attempt, options);
                phase = attempt == 0 && !(head instanceof LastHttpContent) ? Phase.SENDING : Phase.AWAITING;
                forward.start();
                if (attempt > 0) {
                    forward.sendBody(LastHttpContent.EMPTY_LAST_CONTENT);
                }
                drain();
            } else if (attempt == 0) {
                phase = Phase.IDLE;
                refuse(head, Replies.refusal(f.cause(), request));
                drain();
            } else {
                Refusal refusal = Replies.refusal(f.cause(), request);
                failed(refusal.status(), refusal.text(), true);
            }
        });
    }

    /**
     * Answers an OPTIONS or TRACE addressed to the proxy itself once core accepted the login it
     * carries; a failed login gets the refusal a forwarded request would get (407).
     */
    private void answerAfterLogin(HttpRequest request, Requests.AnswerAfterLogin login) {
        phase = Phase.ADMITTING;
        ctx.channel().config().setAutoRead(false);
        session.authenticate(login.credentials()).addListener(f -> {
            if (phase != Phase.ADMITTING) {
                ReferenceCountUtil.release(request);
                return;
            }
            phase = Phase.IDLE;
            if (f.isSuccess()) {
                respond(request, Replies.asFinalRecipient(ctx.alloc(), request));
            } else {
                refuse(request, Replies.refusal(f.cause(), login.target().host(), login.target().port()));
            }
            drain();
        });
    }

    /** Answers {@code request} with the proxy's own refusal, recording its outcome first. */
    private void refuse(HttpRequest request, Refusal refusal) {
        if (refusal.outcome() != null) {
            session.fail(refusal.outcome());
        }
        closeAfterResponse |= refusal.close();
        respond(request, Replies.full(ctx.alloc(), refusal.status(), refusal.text(), false));
    }

    /**
     * Sends the proxy's own response to {@code request}. The connection stays open when the
     * client wants it and the request carries no body; otherwise it closes once the response is
     * written, since the unread body would be mistaken for the next request.
     */
    private void respond(HttpRequest request, FullHttpResponse response) {
        boolean keep = !closeAfterResponse && !inputShutdown && !HttpUtil.isTransferEncodingChunked(request)
                && HttpUtil.getContentLength(request, 0L) == 0;
        ReferenceCountUtil.release(request);
        if (!keep) {
            response.headers().set(HttpHeaderNames.CONNECTION, "close");
            phase = Phase.ENDED;
            closing = true;
            releasePending();
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.writeAndFlush(response);
        phase = request instanceof LastHttpContent ? Phase.IDLE : Phase.DISCARDING;
        if (phase == Phase.IDLE) {
            startKeepAliveTimer();
        }
    }

    private void replyAndClose(HttpResponseStatus status, String text) {
        phase = Phase.ENDED;
        closing = true;
        releasePending();
        ctx.writeAndFlush(Replies.full(ctx.alloc(), status, text, true)).addListener(ChannelFutureListener.CLOSE);
    }

    private void closeNow() {
        phase = Phase.ENDED;
        closing = true;
        releasePending();
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    // ---- ClientSide: what the current Forward reports ----

    @Override
    public Channel channel() {
        return ctx.channel();
    }

    @Override
    public boolean closesAfterResponse(boolean delimitedByClose) {
        closeAfterResponse |= delimitedByClose;
        return closeAfterResponse;
    }

    @Override
    public void bodyWanted() {
        if (phase == Phase.SENDING) {
            updateAutoRead();
        }
    }

    @Override
    public void responded(boolean requestComplete) {
        forward = null;
        if (!requestComplete || closeAfterResponse || inputShutdown) {
            // An unfinished request body cannot be told apart from a next request: close.
            closeNow();
            return;
        }
        phase = Phase.IDLE;
        startKeepAliveTimer();
        drain();
    }

    @Override
    public void failed(HttpResponseStatus status, String text, boolean requestComplete) {
        forward = null;
        if (!ctx.channel().isActive()) {
            phase = Phase.ENDED;
            return;
        }
        if (requestComplete && !closeAfterResponse && !inputShutdown) {
            ctx.writeAndFlush(Replies.full(ctx.alloc(), status, text, false));
            phase = Phase.IDLE;
            startKeepAliveTimer();
            drain();
        } else {
            replyAndClose(status, text);
        }
    }

    @Override
    public void retry(HttpRequest head, ProxyRequest request, int attempt) {
        forward = null;
        if (!ctx.channel().isActive()) {
            phase = Phase.ENDED;
            return;
        }
        admit(head, request, attempt);
    }

    @Override
    public void broken() {
        forward = null;
        closeNow();
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
        if (event == SessionEvent.DRAINING && closing) {
            // Closing already, e.g. after the client's end: passed on, core would report the
            // connection itself as cut by the shutdown although its requests were all answered.
            return;
        }
        if (event == SessionEvent.HANDSHAKE_TIMEOUT && phase == Phase.IDLE) {
            log.debug("http: no complete request from {} in time", session.client());
            replyAndClose(HttpResponseStatus.REQUEST_TIMEOUT, "no complete request in time");
        } else if (event == SessionEvent.DRAINING && phase != Phase.ENDED) {
            // Shutting down: no further request on this connection. Idle ones close now; one with
            // a request in flight answers it (with Connection: close when the head is not out yet).
            closeAfterResponse = true;
            if ((phase == Phase.IDLE || phase == Phase.DISCARDING) && forward == null) {
                log.debug("http: closing keep-alive connection from {}: shutting down", session.client());
                closeNow();
            }
        } else if (event instanceof ChannelInputShutdownEvent && phase != Phase.ENDED) {
            // The client sent its last request; answer what is in flight, then close.
            inputShutdown = true;
            if (phase == Phase.IDLE && pending.isEmpty() && forward == null) {
                closeNow();
            }
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Phase was = phase;
        phase = Phase.ENDED;
        cancelKeepAliveTimer();
        releasePending();
        if (forward != null && was != Phase.ENDED) {
            Forward current = forward;
            forward = null;
            current.abort(Outcome.CLIENT_CLOSED);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelKeepAliveTimer();
        releasePending();
    }

    private void startKeepAliveTimer() {
        cancelKeepAliveTimer();
        keepAliveTimer = ctx.executor().schedule(() -> {
            if (phase == Phase.IDLE && pending.isEmpty()) {
                log.debug("http: closing idle keep-alive connection from {}", session.client());
                closeNow();
            }
        }, options.keepAliveTimeout().toNanos(), TimeUnit.NANOSECONDS);
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
}
