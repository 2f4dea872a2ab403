package dev.sallyport.core.internal.session;

import dev.sallyport.core.ProtocolOptions;
import dev.sallyport.core.internal.Engine;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.net.ConnectFailures;
import dev.sallyport.core.internal.policy.RuleChain;
import dev.sallyport.core.internal.policy.UserLimits;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.AuthContext;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.spi.DatagramCodec;
import dev.sallyport.core.spi.Exchange;
import dev.sallyport.core.spi.Session;
import dev.sallyport.core.spi.SessionEvent;
import dev.sallyport.core.spi.SessionException;
import dev.sallyport.core.spi.Shaper;
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
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Core's state for one client connection: handshake timer, admission, dial, relay, and the one
 * summary at the end. Confined to the client channel's event loop.
 */
public final class DefaultSession implements Session, UserLimits.Holder {

    public static final String GUARD = "sallyport-guard";
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
    /** Limit slots this connection holds, released when it closes. */
    private final List<UserLimits.State> held = new ArrayList<>(1);
    private Channel outbound;
    /** The outbound channel came from a BIND listener, not the pool: closed, never released to it. */
    private boolean outboundAccepted;
    /** A BIND still waiting for its peer; cancelled when the connection closes. */
    private Promise<Channel> bindWait;
    private UdpAssociation association;
    private Relay relay;
    private boolean finished;
    private boolean clientInputShutdown;
    private boolean handshakeDone;
    private int exchanges;
    private final Set<DefaultExchange> openExchanges = new LinkedHashSet<>();
    /** Records the verdicts of {@link #connect} on the connection itself. */
    private final Attempt connectionAttempt = new Attempt() {
        @Override
        public void refused(Outcome why, String byRule) {
            fail(why);
            if (byRule != null) {
                rule = byRule;
            }
        }

        @Override
        public void authenticated(Principal who) {
            principal = who;
        }

        @Override
        public void connected(Channel connected) {
            outbound = connected;
        }
    };

    public DefaultSession(Engine engine, Protocol protocol, Channel channel) {
        this.engine = engine;
        this.protocol = protocol;
        this.channel = channel;
        this.client = (InetSocketAddress) channel.remoteAddress();
        this.listener = (InetSocketAddress) channel.localAddress();
    }

    public void start() {
        engine.metrics().connectionOpened(protocol);
        Duration timeout = engine.settings().handshakeTimeout();
        handshakeTimer = channel.eventLoop().schedule(this::handshakeTimedOut, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    public void handshakeTimedOut() {
        if (channel.isActive() && !handshakeDone) {
            log.debug("{}: handshake timeout from {}", protocol.id(), Addresses.format(client));
            fail(Outcome.HANDSHAKE_TIMEOUT);
            channel.pipeline().fireUserEventTriggered(SessionEvent.HANDSHAKE_TIMEOUT);
        }
    }

    public ChannelInboundHandlerAdapter guard() {
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
    public <T extends ProtocolOptions> java.util.Optional<T> options(Class<T> type) {
        return java.util.Optional.ofNullable(type.cast(engine.settings().protocolOptions().get(type)));
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
        return authenticate(credentials, connectionAttempt);
    }

    private Future<Principal> authenticate(Credentials credentials, Attempt attempt) {
        EventLoop loop = channel.eventLoop();
        if (!engine.auth().required()) {
            return loop.newSucceededFuture(principal);
        }
        Promise<Principal> promise = loop.newPromise();
        engine.auth().authenticate(credentials, new AuthContext(client, protocol), loop).addListener(f -> {
            if (f.isSuccess()) {
                Principal who = (Principal) f.getNow();
                attempt.authenticated(who);
                promise.trySuccess(who);
            } else {
                SessionException failure = (SessionException) f.cause();
                attempt.refused(failure.outcome(), failure.rule());
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
        handshakeDone();
        boolean authenticate = engine.auth().required() && principal.isAnonymous();
        return open(request, authenticate, connectionAttempt);
    }

    @Override
    public Future<Exchange> exchange(ProxyRequest request) {
        if (this.request != null) {
            throw new IllegalStateException("exchange: the connection is already a tunnel");
        }
        handshakeDone();
        exchanges++;
        DefaultExchange exchange = new DefaultExchange(request);
        openExchanges.add(exchange);
        Promise<Exchange> promise = channel.eventLoop().newPromise();
        open(request, engine.auth().required(), exchange).addListener(f -> {
            if (f.isSuccess()) {
                if (!promise.trySuccess(exchange)) {
                    exchange.end(Outcome.CLIENT_CLOSED, false);
                }
            } else {
                exchange.end(exchange.outcome == null ? Outcome.ERROR : exchange.outcome, false);
                promise.tryFailure(f.cause());
            }
        });
        return promise;
    }

    @Override
    public Future<Channel> bind(ProxyRequest request, Consumer<InetSocketAddress> listening) {
        java.util.Objects.requireNonNull(listening, "listening");
        if (this.request != null) {
            throw new IllegalStateException("bind: already called for this connection");
        }
        this.request = request;
        handshakeDone();
        EventLoop loop = channel.eventLoop();
        Promise<Channel> promise = loop.newPromise();
        bindWait = promise;
        // Admission (authentication, resolution) has the connect timeout; the wait has its own.
        ScheduledFuture<?> timer = loop.schedule(() -> {
            refuse(request, connectionAttempt, promise, Outcome.CONNECT_TIMEOUT, null,
                    "timed out after " + engine.settings().connectTimeout(), null);
        }, engine.settings().connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
        connectTimer = timer;
        promise.addListener(f -> {
            timer.cancel(false);
            if (f.isSuccess()) {
                // Recorded before the frontend's listener runs: it relays this channel next.
                outbound = (Channel) f.getNow();
                outboundAccepted = true;
                if (!channel.isActive()) {
                    outbound.close();
                }
            } else if (f.cause() instanceof SessionException e) {
                connectionAttempt.refused(e.outcome(), e.rule());
            }
        });
        Consumer<InetSocketAddress> bound = address -> {
            timer.cancel(false);
            listening.accept(address);
        };
        Admission listen = (r, attempt, addresses, p) -> listenFor(r, addresses, p, bound);
        if (engine.auth().required() && principal.isAnonymous()) {
            authenticate(request.credentials(), connectionAttempt).addListener(f -> {
                if (f.isSuccess()) {
                    resolve(request, connectionAttempt, promise, listen);
                } else {
                    promise.tryFailure(f.cause());
                }
            });
        } else {
            resolve(request, connectionAttempt, promise, listen);
        }
        return promise;
    }

    /**
     * BIND after resolution: the rules see the expected peer as a CONNECT's target (an unspecified
     * address stands for any peer, and each peer that connects is then checked itself), the
     * user's slot is taken, and the listener opens on the client's side of the proxy.
     */
    private void listenFor(ProxyRequest request, List<InetAddress> addresses, Promise<Channel> promise,
                           Consumer<InetSocketAddress> listening) {
        if (finished) {
            return;
        }
        boolean anyPeer = addresses.size() == 1 && addresses.get(0).isAnyLocalAddress();
        RuleChain.Verdict verdict = engine.rules().evaluateAll(request, principal, addresses);
        if (!verdict.allowed()) {
            engine.metrics().rejected(protocol, "rule");
            refuse(request, connectionAttempt, promise, Outcome.DENIED, verdict.rule(), "denied by rule "
                    + verdict.rule() + " (" + verdict.decision().reason() + ")", null);
            return;
        }
        if (!takeLimits(request, connectionAttempt, principal, promise)) {
            return;
        }
        BindListener.listen(engine, protocol, channel.eventLoop(), request, principal, listener.getAddress(),
                anyPeer ? null : addresses, bindTimeout(), listening, promise);
    }

    /** How long a BIND waits for its peer: the connect timeout (one setting for "the other side is slow"). */
    private Duration bindTimeout() {
        return engine.settings().connectTimeout();
    }

    @Override
    public Future<InetSocketAddress> associate(ProxyRequest request, DatagramCodec codec) {
        java.util.Objects.requireNonNull(codec, "codec");
        if (this.request != null) {
            throw new IllegalStateException("associate: already called for this connection");
        }
        this.request = request;
        handshakeDone();
        EventLoop loop = channel.eventLoop();
        Promise<InetSocketAddress> promise = loop.newPromise();
        ScheduledFuture<?> timer = loop.schedule(() -> {
            refuse(request, connectionAttempt, promise, Outcome.CONNECT_TIMEOUT, null,
                    "timed out after " + engine.settings().connectTimeout(), null);
        }, engine.settings().connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
        connectTimer = timer;
        promise.addListener(f -> {
            timer.cancel(false);
            if (!f.isSuccess() && f.cause() instanceof SessionException e) {
                connectionAttempt.refused(e.outcome(), e.rule());
            } else if (f.isSuccess() && clientInputShutdown) {
                // The control connection ended while the socket opened: so does the association.
                channel.close();
            }
        });
        // No rule decides the association itself: every datagram is checked against them.
        Runnable open = () -> {
            if (finished) {
                promise.tryFailure(new SessionException(Outcome.CLIENT_CLOSED, null, "client closed", null));
                return;
            }
            if (promise.isDone() || !takeLimits(request, connectionAttempt, principal, promise)) {
                return;
            }
            association = UdpAssociation.open(engine, this, protocol, channel, codec, principal,
                    held.isEmpty() ? null : held.get(held.size() - 1), request.targetPort(), promise);
        };
        if (engine.auth().required() && principal.isAnonymous()) {
            authenticate(request.credentials(), connectionAttempt).addListener(f -> {
                if (f.isSuccess()) {
                    open.run();
                } else {
                    promise.tryFailure(f.cause());
                }
            });
        } else {
            open.run();
        }
        return promise;
    }

    private void handshakeDone() {
        handshakeTimer.cancel(false);
        if (!handshakeDone) {
            handshakeDone = true;
            engine.metrics().handshakeCompleted(protocol, Duration.ofNanos(System.nanoTime() - startNanos));
        }
    }

    /** Authentication (when asked), resolution, rules and dial for one request. */
    private Future<Channel> open(ProxyRequest request, boolean authenticate, Attempt attempt) {
        EventLoop loop = channel.eventLoop();
        Promise<Channel> promise = loop.newPromise();
        long connectStart = System.nanoTime();
        ScheduledFuture<?> timer = loop.schedule(() -> {
            refuse(request, attempt, promise, Outcome.CONNECT_TIMEOUT, null,
                    "timed out after " + engine.settings().connectTimeout(), null);
        }, engine.settings().connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
        if (attempt == connectionAttempt) {
            connectTimer = timer;
        }
        promise.addListener(f -> {
            timer.cancel(false);
            if (f.isSuccess()) {
                engine.metrics().connected(protocol, Duration.ofNanos(System.nanoTime() - connectStart));
            }
        });

        if (authenticate) {
            authenticate(request.credentials(), attempt).addListener(f -> {
                if (f.isSuccess()) {
                    resolve(request, attempt, promise, this::admit);
                } else {
                    promise.tryFailure(f.cause());
                }
            });
        } else {
            resolve(request, attempt, promise, this::admit);
        }
        return promise;
    }

    /** What follows resolution: dialling for CONNECT, listening for BIND. */
    @FunctionalInterface
    private interface Admission {
        void admit(ProxyRequest request, Attempt attempt, List<InetAddress> addresses, Promise<Channel> promise);
    }

    private void resolve(ProxyRequest request, Attempt attempt, Promise<Channel> promise, Admission next) {
        if (promise.isDone()) {
            return;
        }
        InetAddress literal = Addresses.literal(request.targetHost());
        if (literal != null) {
            next.admit(request, attempt, List.of(literal), promise);
            return;
        }
        engine.resolver().resolve(request.targetHost(), channel.eventLoop()).addListener(f -> {
            if (channel.eventLoop().inEventLoop()) {
                resolved(request, attempt, f, promise, next);
            } else {
                channel.eventLoop().execute(() -> resolved(request, attempt, f, promise, next));
            }
        });
    }

    private void resolved(ProxyRequest request, Attempt attempt, Future<?> f, Promise<Channel> promise, Admission next) {
        @SuppressWarnings("unchecked")
        List<InetAddress> addresses = f.isSuccess() ? (List<InetAddress>) f.getNow() : null;
        if (addresses == null || addresses.isEmpty()) {
            Throwable cause = f.cause() != null ? f.cause() : new UnknownHostException(request.targetHost());
            refuse(request, attempt, promise, Outcome.DNS_FAILED, null, "cannot resolve " + request.targetHost(), cause);
            return;
        }
        if (promise.isDone()) {
            return;
        }
        next.admit(request, attempt, addresses, promise);
    }

    /**
     * Checks the rules against every resolved address (one denied address refuses the request:
     * DNS rebinding with mixed answers), then dials exactly the first one, the address checked.
     */
    private void admit(ProxyRequest request, Attempt attempt, List<InetAddress> addresses, Promise<Channel> promise) {
        if (promise.isDone()) {
            return;
        }
        Principal who = attempt == connectionAttempt ? principal : ((DefaultExchange) attempt).principal;
        RuleChain.Verdict verdict = engine.rules().evaluateAll(request, who, addresses);
        InetAddress address = addresses.get(0);
        if (!verdict.allowed()) {
            engine.metrics().rejected(protocol, "rule");
            refuse(request, attempt, promise, Outcome.DENIED, verdict.rule(), "denied by rule " + verdict.rule() + " ("
                    + verdict.decision().reason() + ")", null);
            return;
        }
        if (!takeLimits(request, attempt, who, promise)) {
            return;
        }
        InetSocketAddress target = new InetSocketAddress(address, request.targetPort());
        Future<Channel> dial;
        try {
            dial = engine.settings().connectionPool().acquire(target, channel.eventLoop(), engine.dialer());
        } catch (RuntimeException e) {
            refuse(request, attempt, promise, Outcome.ERROR, null, "connection pool failed", e);
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
                if (!channel.isActive() || promise.isDone()) {
                    engine.settings().connectionPool().release(connected, false);
                } else {
                    // Recorded first: the promise's listeners run at once and may use it.
                    attempt.connected(connected);
                    promise.setSuccess(connected);
                }
            } else if (!f.isCancelled()) {
                refuse(request, attempt, promise, ConnectFailures.outcome(f.cause()), null,
                        "cannot connect to " + Addresses.format(target), f.cause());
            }
        });
    }

    private void refuse(ProxyRequest request, Attempt attempt, Promise<?> promise, Outcome why, String byRule,
                        String message, Throwable cause) {
        if (promise.isDone()) {
            return;
        }
        attempt.refused(why, byRule);
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
        relay = new Relay(this, channel, outbound, engine.settings().idleTimeout(),
                engine.settings().maxSessionDuration(), held.isEmpty() ? null : held.get(held.size() - 1));
        relay.start(clientInputShutdown);
    }

    /**
     * Connection caps and the user's limits: a slot of the user's concurrent sessions and a token
     * of their session rate, held by this client connection until it closes (one per principal:
     * an HTTP keep-alive connection is one session however many requests it carries).
     */
    private boolean takeLimits(ProxyRequest request, Attempt attempt, Principal who, Promise<?> promise) {
        String cap = channel.attr(Engine.OVER_CAPACITY).get();
        if (cap != null) {
            engine.metrics().rejected(protocol, "limit");
            refuse(request, attempt, promise, Outcome.LIMITED, cap, "over the " + cap + " cap", null);
            return false;
        }
        String key = UserLimits.key(who, client.getAddress());
        for (UserLimits.State state : held) {
            if (state.key.equals(key)) {
                return true;
            }
        }
        UserLimits.Refusal[] refusal = new UserLimits.Refusal[1];
        UserLimits.State state = engine.userLimits().admit(who, client.getAddress(), this, refusal);
        if (refusal[0] != null) {
            engine.metrics().rejected(protocol, "limit");
            refuse(request, attempt, promise, Outcome.LIMITED, refusal[0].rule(), refusal[0].reason(), null);
            return false;
        }
        if (state != null) {
            held.add(state);
        }
        return true;
    }

    @Override
    public void revoke(String reason) {
        channel.eventLoop().execute(() -> {
            if (!finished) {
                log.debug("{}: closing the session from {}: {}", protocol.id(), Addresses.format(client), reason);
                fail(Outcome.REVOKED);
                rule = reason;
                channel.close();
            }
        });
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
        for (UserLimits.State state : held) {
            engine.userLimits().release(state, this);
        }
        handshakeTimer.cancel(false);
        if (connectTimer != null) {
            connectTimer.cancel(false);
        }
        for (DefaultExchange exchange : new ArrayList<>(openExchanges)) {
            exchange.end(Outcome.CLIENT_CLOSED, false);
        }
        if (bindWait != null && !bindWait.isDone()) {
            fail(Outcome.CLIENT_CLOSED);
            bindWait.cancel(false);
        }
        if (association != null) {
            association.close();
        }
        if (outbound != null) {
            if (outboundAccepted) {
                outbound.close();
            } else {
                engine.settings().connectionPool().release(outbound, false);
            }
        }
        // The connection is gone before its summary goes out: a sink that sees the summary sees
        // the active-connection count without it.
        engine.metrics().connectionClosed(protocol);
        // A connection that only carried exchanges was reported by them, unless it failed itself.
        if (request != null || exchanges == 0 || outcome != null) {
            Outcome end = outcome;
            if (end == null) {
                end = request == null ? Outcome.CLIENT_CLOSED : Outcome.OK;
            }
            long up = relay != null ? relay.bytesUp() : association != null ? association.bytesUp() : 0;
            long down = relay != null ? relay.bytesDown() : association != null ? association.bytesDown() : 0;
            SessionSummary summary = new SessionSummary(id, principal.isAnonymous() ? null : principal.name(), client,
                    protocol, request == null ? null : request.command(), request == null ? null : request.targetHost(),
                    request == null ? 0 : request.targetPort(), up, down, started,
                    Duration.ofNanos(System.nanoTime() - startNanos), end, rule);
            engine.metrics().sessionClosed(summary);
        }
    }

    /** Where the steps of one admission record their verdicts: the connection, or one exchange. */
    private interface Attempt {
        void refused(Outcome why, String byRule);

        void authenticated(Principal who);

        void connected(Channel connected);
    }

    /** One request of a multi-request connection, reported as its own session. */
    private final class DefaultExchange implements Exchange, Attempt {
        private final ProxyRequest request;
        private final long exchangeId = IDS.incrementAndGet();
        private final long exchangeStartNanos = System.nanoTime();
        private final Instant exchangeStarted = Instant.now();
        private Principal principal = Principal.anonymous();
        private Channel outbound;
        private Outcome outcome;
        private String rule;
        private long up;
        private long down;
        private boolean ended;

        DefaultExchange(ProxyRequest request) {
            this.request = request;
        }

        @Override
        public void refused(Outcome why, String byRule) {
            if (outcome == null) {
                outcome = why;
            }
            if (byRule != null) {
                rule = byRule;
            }
        }

        @Override
        public void authenticated(Principal who) {
            principal = who;
        }

        @Override
        public void connected(Channel connected) {
            outbound = connected;
        }

        @Override
        public ProxyRequest request() {
            return request;
        }

        @Override
        public Principal principal() {
            return principal;
        }

        @Override
        public Channel outbound() {
            return outbound;
        }

        @Override
        public Shaper shaper(boolean upstream, Runnable pause, Runnable resume) {
            String key = UserLimits.key(principal, client.getAddress());
            for (UserLimits.State state : held) {
                if (state.key.equals(key)) {
                    return BucketShaper.of(state, upstream, channel.eventLoop(), pause, resume);
                }
            }
            return Shaper.NONE;
        }

        @Override
        public void count(long bytesUp, long bytesDown) {
            up += bytesUp;
            down += bytesDown;
        }

        @Override
        public void end(Outcome how, boolean reusable) {
            if (ended) {
                return;
            }
            ended = true;
            openExchanges.remove(this);
            if (outbound != null) {
                Channel out = outbound;
                outbound = null;
                engine.settings().connectionPool().release(out, reusable && out.isActive());
            }
            Outcome end = outcome != null ? outcome : how;
            SessionSummary summary = new SessionSummary(exchangeId, principal.isAnonymous() ? null : principal.name(),
                    client, protocol, request.command(), request.targetHost(), request.targetPort(), up, down,
                    exchangeStarted, Duration.ofNanos(System.nanoTime() - exchangeStartNanos), end, rule);
            engine.metrics().sessionClosed(summary);
        }
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
            if (event == SessionEvent.DRAINING) {
                return;
            }
            if (event == SessionEvent.HANDSHAKE_TIMEOUT) {
                ctx.close();
            } else if (event instanceof ChannelInputShutdownEvent && association != null) {
                // A UDP association lives as long as its control connection: its end ends it.
                ctx.close();
            } else if (event instanceof ChannelInputShutdownEvent && relay == null && bindWait != null
                    && !bindWait.isDone()) {
                // A client that stops sending while its BIND waits has given up (or gone): stop listening.
                fail(Outcome.CLIENT_CLOSED);
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
