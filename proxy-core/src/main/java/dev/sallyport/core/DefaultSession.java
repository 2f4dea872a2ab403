package dev.sallyport.core;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.AuthContext;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.spi.Session;
import dev.sallyport.core.spi.SessionEvent;
import dev.sallyport.core.spi.SessionException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Core's state for one client connection: handshake timer, admission, dial, relay, and the one
 * summary at the end. Confined to the client channel's event loop.
 */
final class DefaultSession implements Session {

    static final String GUARD = "sallyport-guard";
    static final String RELAY = "sallyport-relay";

    private static final Logger log = LoggerFactory.getLogger(DefaultSession.class);
    private static final AtomicLong IDS = new AtomicLong();

    private final Engine engine;
    private final Protocol protocol;
    private final Channel channel;
    private final long id = IDS.incrementAndGet();
    private final long startNanos = System.nanoTime();
    private final Instant started = Instant.now();
    private final InetSocketAddress client;
    private final InetSocketAddress listener;

    private Principal principal = Principal.anonymous();
    private ProxyRequest request;
    private Outcome outcome;
    private String rule;
    private ScheduledFuture<?> handshakeTimer;
    private ScheduledFuture<?> connectTimer;
    private Channel outbound;
    private Relay relay;
    private boolean finished;
    private boolean clientInputShutdown;

    DefaultSession(Engine engine, Protocol protocol, Channel channel) {
        this.engine = engine;
        this.protocol = protocol;
        this.channel = channel;
        this.client = (InetSocketAddress) channel.remoteAddress();
        this.listener = (InetSocketAddress) channel.localAddress();
    }

    void start() {
        engine.metrics().connectionOpened(protocol);
        Duration timeout = engine.settings().handshakeTimeout();
        handshakeTimer = channel.eventLoop().schedule(this::handshakeTimedOut, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    void handshakeTimedOut() {
        if (channel.isActive() && request == null) {
            log.debug("{}: handshake timeout from {}", protocol.id(), Addresses.format(client));
            fail(Outcome.HANDSHAKE_TIMEOUT);
            channel.pipeline().fireUserEventTriggered(SessionEvent.HANDSHAKE_TIMEOUT);
        }
    }

    ChannelInboundHandlerAdapter guard() {
        return new Guard();
    }

    @Override
    public InetSocketAddress client() {
        return client;
    }

    @Override
    public InetSocketAddress listener() {
        return listener;
    }

    @Override
    public boolean authenticationRequired() {
        return engine.auth().required();
    }

    @Override
    public Principal principal() {
        return principal;
    }

    @Override
    public Future<Principal> authenticate(Credentials credentials) {
        EventLoop loop = channel.eventLoop();
        if (!engine.auth().required()) {
            return loop.newSucceededFuture(principal);
        }
        Promise<Principal> promise = loop.newPromise();
        engine.auth().authenticate(credentials, new AuthContext(client, protocol), loop).addListener(f -> {
            if (f.isSuccess()) {
                principal = (Principal) f.getNow();
                promise.trySuccess(principal);
            } else {
                SessionException failure = (SessionException) f.cause();
                fail(failure.outcome());
                rule = failure.rule();
                engine.metrics().authFailed(protocol, failure.rule());
                log.debug("{}", failure.getMessage());
                promise.tryFailure(failure);
            }
        });
        return promise;
    }

    @Override
    public Future<Channel> connect(ProxyRequest request) {
        if (this.request != null) {
            throw new IllegalStateException("connect: already called for this connection");
        }
        this.request = request;
        handshakeTimer.cancel(false);
        engine.metrics().handshakeCompleted(protocol, Duration.ofNanos(System.nanoTime() - startNanos));
        EventLoop loop = channel.eventLoop();
        Promise<Channel> promise = loop.newPromise();
        long connectStart = System.nanoTime();
        connectTimer = loop.schedule(() -> {
            refuse(promise, Outcome.CONNECT_TIMEOUT, null, "timed out after " + engine.settings().connectTimeout(), null);
        }, engine.settings().connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
        promise.addListener(f -> {
            connectTimer.cancel(false);
            if (f.isSuccess()) {
                engine.metrics().connected(protocol, Duration.ofNanos(System.nanoTime() - connectStart));
            }
        });

        if (engine.auth().required() && principal.isAnonymous()) {
            authenticate(request.credentials()).addListener(f -> {
                if (f.isSuccess()) {
                    resolve(request, promise);
                } else {
                    promise.tryFailure(f.cause());
                }
            });
        } else {
            resolve(request, promise);
        }
        return promise;
    }

    private void resolve(ProxyRequest request, Promise<Channel> promise) {
        if (promise.isDone()) {
            return;
        }
        InetAddress literal = Addresses.literal(request.targetHost());
        if (literal != null) {
            admit(request, literal, promise);
            return;
        }
        engine.resolver().resolve(request.targetHost(), channel.eventLoop()).addListener(f -> {
            if (channel.eventLoop().inEventLoop()) {
                resolved(request, f, promise);
            } else {
                channel.eventLoop().execute(() -> resolved(request, f, promise));
            }
        });
    }

    private void resolved(ProxyRequest request, Future<?> f, Promise<Channel> promise) {
        @SuppressWarnings("unchecked")
        List<InetAddress> addresses = f.isSuccess() ? (List<InetAddress>) f.getNow() : null;
        if (addresses == null || addresses.isEmpty()) {
            Throwable cause = f.cause() != null ? f.cause() : new UnknownHostException(request.targetHost());
            refuse(promise, Outcome.DNS_FAILED, null, "cannot resolve " + request.targetHost(), cause);
            return;
        }
        admit(request, addresses.get(0), promise);
    }

    private void admit(ProxyRequest request, InetAddress address, Promise<Channel> promise) {
        if (promise.isDone()) {
            return;
        }
        RuleChain.Verdict verdict = engine.rules().evaluate(new AccessRequest(request, principal, address));
        if (!verdict.allowed()) {
            engine.metrics().rejected(protocol, "rule");
            refuse(promise, Outcome.DENIED, verdict.rule(), "denied by rule " + verdict.rule() + " ("
                    + verdict.decision().reason() + ")", null);
            return;
        }
        InetSocketAddress target = new InetSocketAddress(address, request.targetPort());
        Future<Channel> dial;
        try {
            dial = engine.settings().connectionPool().acquire(target, channel.eventLoop(), engine.dialer());
        } catch (RuntimeException e) {
            refuse(promise, Outcome.ERROR, null, "connection pool failed", e);
            return;
        }
        promise.addListener(f -> {
            if (f.isCancelled() || !f.isSuccess()) {
                dial.cancel(false);
            }
        });
        dial.addListener(f -> {
            if (f.isSuccess()) {
                Channel connected = (Channel) f.getNow();
                if (!channel.isActive() || !promise.trySuccess(connected)) {
                    engine.settings().connectionPool().release(connected, false);
                } else {
                    outbound = connected;
                }
            } else if (!f.isCancelled()) {
                refuse(promise, ConnectFailures.outcome(f.cause()), null,
                        "cannot connect to " + Addresses.format(target), f.cause());
            }
        });
    }

    private void refuse(Promise<Channel> promise, Outcome why, String byRule, String message, Throwable cause) {
        if (promise.isDone()) {
            return;
        }
        fail(why);
        if (byRule != null) {
            rule = byRule;
        }
        String context = protocol.id() + " " + request.command() + " from " + Addresses.format(client) + " to "
                + request.targetHost() + ":" + request.targetPort() + ": " + message;
        log.debug("{}", context, cause);
        promise.tryFailure(new SessionException(why, byRule, context, cause));
    }

    @Override
    public void relay(Channel outbound) {
        if (relay != null) {
            throw new IllegalStateException("relay: already relaying");
        }
        this.outbound = outbound;
        relay = new Relay(this, channel, outbound, engine.settings().idleTimeout());
        relay.start(clientInputShutdown);
    }

    @Override
    public void fail(Outcome outcome) {
        if (this.outcome == null) {
            this.outcome = outcome;
        }
    }

    /** Called by the relay when a tunnel ends because of the idle timeout. */
    void idle() {
        fail(Outcome.IDLE_TIMEOUT);
    }

    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        handshakeTimer.cancel(false);
        if (connectTimer != null) {
            connectTimer.cancel(false);
        }
        if (outbound != null) {
            engine.settings().connectionPool().release(outbound, false);
        }
        Outcome end = outcome;
        if (end == null) {
            end = request == null ? Outcome.CLIENT_CLOSED : Outcome.OK;
        }
        long up = relay == null ? 0 : relay.bytesUp();
        long down = relay == null ? 0 : relay.bytesDown();
        SessionSummary summary = new SessionSummary(id, principal.isAnonymous() ? null : principal.name(), client,
                protocol, request == null ? null : request.command(), request == null ? null : request.targetHost(),
                request == null ? 0 : request.targetPort(), up, down, started,
                Duration.ofNanos(System.nanoTime() - startNanos), end, rule);
        engine.metrics().sessionClosed(summary);
        engine.metrics().connectionClosed(protocol);
    }

    /** Core's handler at the tail of every client pipeline. */
    private final class Guard extends ChannelInboundHandlerAdapter {
        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            finish();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            // Bytes nobody consumed (a frontend that already gave up): drop them.
            io.netty.util.ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event == SessionEvent.HANDSHAKE_TIMEOUT) {
                ctx.close();
            } else if (event instanceof ChannelInputShutdownEvent && relay == null) {
                if (request == null) {
                    // Half-closed before making a request: nothing more can come.
                    fail(Outcome.CLIENT_CLOSED);
                    ctx.close();
                } else {
                    // Half-closed right after its request: the relay passes the EOF on once it runs.
                    clientInputShutdown = true;
                }
            } else {
                io.netty.util.ReferenceCountUtil.release(event);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("{}: connection from {} failed", protocol.id(), Addresses.format(client), cause);
            fail(Outcome.ERROR);
            ctx.close();
        }
    }
}
