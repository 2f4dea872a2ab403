package dev.sallyport.core.internal.session;

import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.api.SharedLimits;
import dev.sallyport.core.ProtocolOptions;
import dev.sallyport.core.internal.ClientAddress;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.policy.UserLimits;
import dev.sallyport.core.spi.DatagramCodec;
import dev.sallyport.core.spi.Exchange;
import dev.sallyport.core.spi.Session;
import dev.sallyport.core.spi.SessionEvent;
import dev.sallyport.core.spi.SessionException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Core's state for one client connection: the handshake timer, the request it admits through the
 * {@link Admission} path (or the exchanges it carries), what it holds (limit slots, the outbound
 * channel, a BIND wait, a UDP association), and the one summary at the end. Confined to the
 * client channel's event loop.
 */
public final class DefaultSession implements Session, UserLimits.Holder {

    public static final String GUARD = "sallyport-guard";
    static final String RELAY = "sallyport-relay";
    /** The reason of a login without credentials, as the auth chain names it. */
    static final String NO_CREDENTIALS = "no_credentials";

    private static final Logger log = LoggerFactory.getLogger(DefaultSession.class);
    private static final AtomicLong IDS = new AtomicLong();

    private final Services services;
    private final Protocol protocol;
    private final Channel channel;
    private final long id = IDS.incrementAndGet();
    private final long startNanos = System.nanoTime();
    private final Instant started = Instant.now();
    private final InetSocketAddress client;
    private final InetSocketAddress listener;

    private Principal principal = Principal.anonymous();
    /** The connection's own request (CONNECT, BIND, UDP ASSOCIATE); null for one that carries exchanges. */
    private ProxyRequest request;
    /** The admission of {@link #request}, whose connect timer ends with the connection. */
    private Attempt tunnel;
    private Outcome outcome;
    private String rule;
    private ScheduledFuture<?> handshakeTimer;
    private boolean handshakeDone;
    /** Limit slots this connection holds, released when it closes. */
    private final List<UserLimits.State> held = new ArrayList<>(1);
    /** Fleet leases this connection holds (null until the first), released when it closes. */
    private List<SharedLimits.Lease> leases;
    private Channel outbound;
    /** The outbound channel came from a BIND listener, not the pool: closed, never released to it. */
    private boolean outboundAccepted;
    /** A BIND still waiting for its peer; cancelled when the connection closes. */
    private Promise<Channel> bindWait;
    private UdpAssociation association;
    private Relay relay;
    private boolean finished;
    private boolean clientInputShutdown;
    private int exchanges;
    private final Set<DefaultExchange> openExchanges = new LinkedHashSet<>();
    /** Records the verdicts of a login made during the handshake on the connection. */
    private final Attempt handshakeLogin = new Tunnel(null, false);

    public DefaultSession(Services services, Protocol protocol, Channel channel) {
        this.services = services;
        this.protocol = protocol;
        this.channel = channel;
        this.client = ClientAddress.of(channel);
        this.listener = (InetSocketAddress) channel.localAddress();
    }

    /** Counts the connection and starts the handshake timer. */
    public void start() {
        services.metrics().connectionOpened(protocol);
        Duration timeout = services.settings().handshakeTimeout();
        handshakeTimer = channel.eventLoop().schedule(this::handshakeTimedOut, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Ends a handshake that took too long (also used by first-byte routing, which waits first). */
    public void handshakeTimedOut() {
        if (channel.isActive() && !handshakeDone) {
            log.debug("{}: handshake timeout from {}", protocol.id(), Addresses.format(client));
            fail(Outcome.HANDSHAKE_TIMEOUT);
            channel.pipeline().fireUserEventTriggered(SessionEvent.HANDSHAKE_TIMEOUT);
        }
    }

    /** When the connection was accepted, on {@link System#nanoTime()}. */
    long startNanos() {
        return startNanos;
    }

    /** Core's handler at the tail of the client pipeline. */
    public ChannelInboundHandlerAdapter guard() {
        return new SessionGuard(this);
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
    public <T extends ProtocolOptions> Optional<T> options(Class<T> type) {
        return Optional.ofNullable(type.cast(services.settings().protocolOptions().get(type)));
    }

    @Override
    public boolean authenticationRequired() {
        return services.auth().required();
    }

    @Override
    public Principal principal() {
        return principal;
    }

    @Override
    public Future<Principal> authenticate(Credentials credentials) {
        if (!services.auth().required()) {
            return channel.eventLoop().newSucceededFuture(principal);
        }
        return Admission.login(this, credentials, handshakeLogin);
    }

    @Override
    public Future<Channel> connect(ProxyRequest request) {
        return Admission.run(begin("connect", request), Admission.CONNECT);
    }

    @Override
    public Future<Exchange> exchange(ProxyRequest request) {
        if (this.request != null) {
            throw new IllegalStateException("exchange: the connection is already a tunnel");
        }
        handshakeDone();
        exchanges++;
        DefaultExchange exchange = new DefaultExchange(this, request);
        openExchanges.add(exchange);
        Promise<Exchange> promise = channel.eventLoop().newPromise();
        Admission.<Channel>run(exchange, Admission.CONNECT).addListener(f -> {
            if (f.isSuccess()) {
                if (!promise.trySuccess(exchange)) {
                    exchange.end(Outcome.CLIENT_CLOSED, false);
                }
            } else {
                exchange.end(Outcome.ERROR, false);
                promise.tryFailure(f.cause());
            }
        });
        return promise;
    }

    @Override
    public Future<Channel> bind(ProxyRequest request, Consumer<InetSocketAddress> listening) {
        Objects.requireNonNull(listening, "listening");
        Attempt attempt = begin("bind", request);
        // Admission has the connect timeout; once listening, the wait for the peer has its own.
        Admission.Step listen = a -> {
            boolean anyPeer = a.addresses.size() == 1 && a.addresses.get(0).isAnyLocalAddress();
            BindListener.listen(services, protocol, channel.eventLoop(), a.request, a.principal, listener.getAddress(),
                    anyPeer ? null : a.addresses, services.settings().connectTimeout(), address -> {
                        a.timer.cancel(false);
                        listening.accept(address);
                    }, a.promise());
        };
        Future<Channel> future = Admission.run(attempt, Admission.bind(listen));
        bindWait = attempt.promise();
        future.addListener(f -> {
            if (f.isSuccess()) {
                // Recorded before the frontend's listener runs: it relays this channel next.
                outbound = (Channel) f.getNow();
                outboundAccepted = true;
                if (!channel.isActive()) {
                    outbound.close();
                }
            } else if (f.cause() instanceof SessionException e) {
                attempt.refused(e.outcome(), e.rule());
            }
        });
        return future;
    }

    @Override
    public Future<InetSocketAddress> associate(ProxyRequest request, DatagramCodec codec) {
        Objects.requireNonNull(codec, "codec");
        Attempt attempt = begin("associate", request);
        Admission.Step open = a -> association = UdpAssociation.open(services, this, protocol, channel, codec,
                a.principal, heldFor(a.principal), request.targetPort(), a.promise());
        Future<InetSocketAddress> future = Admission.run(attempt, Admission.associate(open));
        future.addListener(f -> {
            if (!f.isSuccess() && f.cause() instanceof SessionException e) {
                attempt.refused(e.outcome(), e.rule());
            } else if (f.isSuccess() && clientInputShutdown) {
                // The control connection ended while the socket opened: so does the association.
                channel.close();
            }
        });
        return future;
    }

    /** Starts the connection's one request: the handshake is over, and the request is remembered. */
    private Attempt begin(String method, ProxyRequest request) {
        if (this.request != null) {
            throw new IllegalStateException(method + ": already called for this connection");
        }
        this.request = request;
        handshakeDone();
        tunnel = new Tunnel(request, services.auth().required() && principal.isAnonymous());
        return tunnel;
    }

    private void handshakeDone() {
        handshakeTimer.cancel(false);
        if (!handshakeDone) {
            handshakeDone = true;
            services.metrics().handshakeCompleted(protocol, Duration.ofNanos(System.nanoTime() - startNanos));
        }
    }

    @Override
    public void relay(Channel outbound) {
        if (relay != null) {
            throw new IllegalStateException("relay: already relaying");
        }
        this.outbound = outbound;
        relay = new Relay(this, channel, outbound, services.settings().idleTimeout(),
                services.settings().maxSessionDuration(), held.isEmpty() ? null : held.get(held.size() - 1));
        relay.start(clientInputShutdown);
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
        if (this.outcome == null && outcome == Outcome.AUTH_FAILED) {
            // Core's own login failures are recorded (and counted) by the login: this is a client
            // that offered no credentials the protocol can carry.
            rule = NO_CREDENTIALS;
            services.metrics().authFailed(protocol, NO_CREDENTIALS);
        }
        if (this.outcome == null) {
            this.outcome = outcome;
        }
    }

    @Override
    public void loginRefused(ProxyRequest request, String reason) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(reason, "reason");
        if (this.request != null) {
            throw new IllegalStateException("loginRefused: the connection is already a tunnel");
        }
        // Counted like an exchange: the connection that ends after it has nothing more to report.
        exchanges++;
        services.metrics().authFailed(protocol, reason);
        report(nextId(), Principal.anonymous(), request, 0, 0, Instant.now(), System.nanoTime(), Outcome.AUTH_FAILED,
                reason, null, null);
    }

    /** Called by the relay and the UDP association when they end because of the idle timeout. */
    void idle() {
        fail(Outcome.IDLE_TIMEOUT);
    }

    Services services() {
        return services;
    }

    Channel channel() {
        return channel;
    }

    Protocol protocol() {
        return protocol;
    }

    boolean finished() {
        return finished;
    }

    /** The limit slot this connection holds for {@code who}, or null. */
    UserLimits.State heldFor(Principal who) {
        String key = UserLimits.key(who, client.getAddress());
        for (UserLimits.State state : held) {
            if (state.key.equals(key)) {
                return state;
            }
        }
        return null;
    }

    /** Keeps a limit slot until the connection closes ({@code null}: nothing was taken). */
    void hold(UserLimits.State state) {
        if (state != null) {
            held.add(state);
        }
    }

    /** Whether the handshake is still running. */
    boolean inHandshake() {
        return !handshakeDone;
    }

    /** Whether the connection made its own request (CONNECT, BIND, UDP ASSOCIATE). */
    boolean hasRequest() {
        return request != null;
    }

    boolean relaying() {
        return relay != null;
    }

    boolean associated() {
        return association != null;
    }

    /** Whether a BIND still waits for its peer. */
    boolean bindWaiting() {
        return bindWait != null && !bindWait.isDone();
    }

    /** The client stopped sending right after its request: the relay passes the EOF on once it runs. */
    void clientInputShutdown() {
        clientInputShutdown = true;
    }

    /** Keeps a granted fleet lease until the connection closes. */
    void holdLease(SharedLimits.Lease lease) {
        if (leases == null) {
            leases = new ArrayList<>(1);
        }
        leases.add(lease);
    }

    void exchangeEnded(DefaultExchange exchange) {
        openExchanges.remove(exchange);
    }

    /** The one way a session or an exchange is reported. */
    void report(long reportId, Principal who, ProxyRequest what, long up, long down, Instant since, long sinceNanos,
                Outcome end, String byRule, String tried, Attempt routed) {
        end = ShutdownCut.outcome(channel, end);
        SessionSummary summary = new SessionSummary(reportId, who.isAnonymous() ? null : who.name(), client,
                protocol, what == null ? null : what.command(), what == null ? null : what.targetHost(),
                what == null ? 0 : what.targetPort(), up, down, since, Duration.ofNanos(System.nanoTime() - sinceNanos),
                end, byRule, end == Outcome.AUTH_FAILED ? tried : null, Attempt.routeOf(routed), Attempt.upstreamOf(routed));
        services.metrics().sessionClosed(summary);
        services.sessions().closed(summary);
    }

    static long nextId() {
        return IDS.incrementAndGet();
    }

    /** Releases what the connection holds and reports it, once; called when the channel closes. */
    void finish() {
        if (finished) {
            return;
        }
        finished = true;
        for (UserLimits.State state : held) {
            services.limits().release(state, this);
        }
        if (leases != null) {
            for (SharedLimits.Lease lease : leases) {
                FleetLease.release(lease);
            }
        }
        handshakeTimer.cancel(false);
        if (tunnel != null && tunnel.timer != null) {
            tunnel.timer.cancel(false);
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
                services.pool().release(outbound, false);
            }
        }
        // The connection is gone before its summary goes out: a sink that sees the summary sees
        // the active-connection count without it.
        services.metrics().connectionClosed(protocol);
        // A connection that only carried exchanges was reported by them, unless it failed itself.
        if (request != null || exchanges == 0 || outcome != null) {
            Outcome end = outcome != null ? outcome : request == null ? Outcome.CLIENT_CLOSED : Outcome.OK;
            // Without a request there is nothing relayed, and no tunnel.
            long up = tunnel == null ? 0 : tunnel.bytesUp();
            long down = tunnel == null ? 0 : tunnel.bytesDown();
            report(id, principal, request, up, down, started, startNanos, end, rule,
                    handshakeLogin.triedUser != null ? handshakeLogin.triedUser : tunnel == null ? null : tunnel.triedUser, tunnel);
        }
    }

    /** The connection's own request: its verdicts are the connection's. */
    private final class Tunnel extends Attempt {
        Tunnel(ProxyRequest request, boolean authenticate) {
            super(DefaultSession.this, request, DefaultSession.this.principal, authenticate,
                    DefaultSession.this.id, DefaultSession.this.started);
        }

        @Override
        void refused(Outcome why, String byRule) {
            // Recorded, not fail(): a failed login here was counted by the login itself.
            if (DefaultSession.this.outcome == null) {
                DefaultSession.this.outcome = why;
            }
            if (byRule != null) {
                rule = byRule;
            }
        }

        @Override
        void authenticated(Principal who) {
            DefaultSession.this.principal = who;
            this.principal = who;
        }

        @Override
        void connected(Channel connected) {
            outbound = connected;
        }

        @Override
        long bytesUp() {
            Relay r = relay;
            UdpAssociation a = association;
            return r != null ? r.bytesUp() : a != null ? a.bytesUp() : 0;
        }

        @Override
        long bytesDown() {
            Relay r = relay;
            UdpAssociation a = association;
            return r != null ? r.bytesDown() : a != null ? a.bytesDown() : 0;
        }
    }
}
