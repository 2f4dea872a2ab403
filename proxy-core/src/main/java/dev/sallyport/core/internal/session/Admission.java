package dev.sallyport.core.internal.session;

import dev.sallyport.api.AuthContext;
import dev.sallyport.api.Command;
import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Limits;
import dev.sallyport.api.OutboundRequest;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.api.SharedLimits;
import dev.sallyport.core.internal.Engine;
import dev.sallyport.core.internal.Settings;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.net.ConnectFailures;
import dev.sallyport.core.internal.net.ProxyHeaders;
import dev.sallyport.core.internal.policy.AuthChain;
import dev.sallyport.core.internal.policy.LoginQueue;
import dev.sallyport.core.internal.policy.RuleChain;
import dev.sallyport.core.internal.policy.UserLimits;
import dev.sallyport.core.internal.route.Route;
import dev.sallyport.core.internal.route.RouteTable;
import dev.sallyport.core.spi.SessionException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The admission path: every request a client makes goes through these steps, in this order, and
 * nowhere else. Each path below reads top to bottom; {@link #run} starts one with the connect
 * timeout. A step either ends the attempt (a refusal, or the final result) or calls
 * {@link Attempt#proceed()}; steps that wait (authentication, DNS, the dial) continue on the
 * client's event loop.
 *
 * <ol>
 *   <li>authenticate: the request's credentials through the auth cache and backends, unless the
 *       handshake already did or the proxy is open;</li>
 *   <li>resolve: the target once, every address kept;</li>
 *   <li>rules: the access rules against every resolved address (one denied address refuses the
 *       request: DNS rebinding with mixed answers);</li>
 *   <li>limits: the connection caps and the user's concurrent-session slot and session rate, on
 *       this instance and then, when configured, across the fleet ({@link FleetLease});</li>
 *   <li>route: how to reach the target: the first matching route rule, else direct;</li>
 *   <li>opened: the session is among the live sessions and the host's listeners hear of it;</li>
 *   <li>then the command's own end: dial (CONNECT, HTTP), listen (BIND) or open a UDP socket.</li>
 * </ol>
 */
final class Admission {

    private static final Logger log = LoggerFactory.getLogger(Admission.class);

    /** One step of a path. */
    @FunctionalInterface
    interface Step {
        void run(Attempt attempt);
    }

    /** CONNECT and every HTTP exchange. */
    static final List<Step> CONNECT = List.of(Admission::authenticate, Admission::resolve, Admission::checkRules,
            Admission::takeLimits, Admission::route, Admission::opened, Admission::dial);

    /** BIND: the expected peer is checked like a target; then the caller's listen step. */
    static List<Step> bind(Step listen) {
        return List.of(Admission::authenticate, Admission::resolve, Admission::checkRules, Admission::takeLimits,
                Admission::route, Admission::opened, listen);
    }

    /** UDP ASSOCIATE: no rule decides the association itself, every datagram is checked on its own. */
    static List<Step> associate(Step open) {
        return List.of(Admission::authenticate, Admission::takeLimits, Admission::route, Admission::opened, open);
    }

    private Admission() {
    }

    /**
     * Runs {@code path} for {@code attempt}, failing it with {@link Outcome#CONNECT_TIMEOUT} when it
     * has not ended within the connect timeout. Returns the attempt's future.
     */
    static <T> Future<T> run(Attempt attempt, List<Step> path) {
        Services services = attempt.session.services();
        EventLoop loop = attempt.session.channel().eventLoop();
        Promise<T> promise = loop.newPromise();
        Duration timeout = services.settings().connectTimeout();
        attempt.promise = promise;
        attempt.path = path;
        attempt.startNanos = System.nanoTime();
        attempt.timer = loop.schedule(() -> attempt.refuse(Outcome.CONNECT_TIMEOUT, null, "timed out after " + timeout,
                null), timeout.toNanos(), TimeUnit.NANOSECONDS);
        promise.addListener(f -> attempt.timer.cancel(false));
        attempt.proceed();
        return promise;
    }

    /**
     * Checks credentials through the auth cache and the backend chain, recording the verdict on
     * {@code attempt}. The handshake of a protocol that logs in before its request calls it too.
     * A connection over a connection cap is refused here, before any password is checked. The
     * check's deadline is the handshake's (a login in the handshake) or the request's connect
     * timeout; a check still queued when its deadline passes or its client leaves is dropped.
     */
    static Future<Principal> login(DefaultSession session, Credentials credentials, Attempt attempt) {
        Services services = session.services();
        EventLoop loop = session.channel().eventLoop();
        Promise<Principal> promise = loop.newPromise();
        SessionException overCap = overCapacity(session);
        if (overCap != null) {
            attempt.refused(Outcome.LIMITED, overCap.rule());
            log.debug("{}", overCap.getMessage());
            return promise.setFailure(overCap);
        }
        services.auth().authenticate(credentials, new AuthContext(session.client(), session.protocol()), loop,
                        caller(session, attempt))
                .addListener(f -> {
                    if (f.isSuccess()) {
                        Principal who = (Principal) f.getNow();
                        attempt.authenticated(who);
                        promise.trySuccess(who);
                        return;
                    }
                    String rule = f.cause() instanceof SessionException e ? e.rule() : null;
                    Outcome outcome = SessionException.outcomeOf(f.cause());
                    attempt.refused(outcome, rule);
                    services.metrics().authFailed(session.protocol(), rule);
                    if (outcome == Outcome.AUTH_FAILED && credentials.username() != null) {
                        attempt.loginFailed(credentials.username());
                        // The name helps an operator tell a typo from a guess; never the password.
                        log.debug("{} (user {})", f.cause().getMessage(), AuthChain.printableUser(credentials.username()));
                    } else {
                        log.debug("{}", f.cause().getMessage());
                    }
                    promise.tryFailure(f.cause());
                });
        return promise;
    }

    /** When the answer to a login of {@code attempt} stops mattering, on the core ticker. */
    private static LoginQueue.Caller caller(DefaultSession session, Attempt attempt) {
        Channel channel = session.channel();
        Settings settings = session.services().settings();
        Promise<?> request = attempt.promise;
        long endNanos = request == null ? session.startNanos() + settings.handshakeTimeout().toNanos()
                : attempt.startNanos + settings.connectTimeout().toNanos();
        long deadline = settings.ticker().read() + (endNanos - System.nanoTime());
        return new LoginQueue.Caller(deadline,
                request == null ? () -> !channel.isActive() : () -> !channel.isActive() || request.isDone());
    }

    /** The refusal of a connection accepted over a connection cap, or null when within the caps. */
    private static SessionException overCapacity(DefaultSession session) {
        String cap = session.channel().attr(Engine.OVER_CAPACITY).get();
        if (cap == null) {
            return null;
        }
        session.services().metrics().rejected(session.protocol(), "limit");
        return new SessionException(Outcome.LIMITED, cap, session.protocol().id() + " connection from "
                + Addresses.format(session.client()) + ": over the " + cap + " cap", null);
    }

    private static void authenticate(Attempt attempt) {
        if (!attempt.authenticate || !attempt.session.services().auth().required()) {
            attempt.proceed();
            return;
        }
        login(attempt.session, attempt.request.credentials(), attempt).addListener(f -> {
            if (f.isSuccess()) {
                attempt.proceed();
            } else if (!attempt.promise.isDone()) {
                attempt.promise.tryFailure(f.cause());
            }
        });
    }

    private static void resolve(Attempt attempt) {
        String host = attempt.request.targetHost();
        InetAddress literal = Addresses.literal(host);
        if (literal != null) {
            attempt.addresses = List.of(literal);
            attempt.proceed();
            return;
        }
        EventLoop loop = attempt.session.channel().eventLoop();
        attempt.session.services().resolve(host, loop).addListener(f -> {
            if (loop.inEventLoop()) {
                resolved(attempt, f);
            } else {
                loop.execute(() -> resolved(attempt, f));
            }
        });
    }

    private static void resolved(Attempt attempt, Future<?> f) {
        @SuppressWarnings("unchecked")
        List<InetAddress> addresses = f.isSuccess() ? (List<InetAddress>) f.getNow() : null;
        if (addresses == null || addresses.isEmpty()) {
            String host = attempt.request.targetHost();
            Throwable cause = f.cause() != null ? f.cause() : new UnknownHostException(host);
            attempt.refuse(Outcome.DNS_FAILED, null, "cannot resolve " + host, cause);
            return;
        }
        attempt.addresses = addresses;
        attempt.proceed();
    }

    private static void checkRules(Attempt attempt) {
        Services services = attempt.session.services();
        RuleChain.Verdict verdict = services.rules().evaluateAll(attempt.request, attempt.principal, attempt.addresses);
        if (!verdict.allowed()) {
            services.metrics().rejected(attempt.session.protocol(), "rule");
            attempt.refuse(Outcome.DENIED, verdict.rule(), "denied by rule " + verdict.rule() + " ("
                    + verdict.decision().reason() + ")", null);
            return;
        }
        attempt.proceed();
    }

    /**
     * Connection caps and the user's limits: a slot of the user's concurrent sessions and a token
     * of their session rate, held by the client connection until it closes (one per principal: an
     * HTTP keep-alive connection is one session however many requests it carries).
     */
    private static void takeLimits(Attempt attempt) {
        DefaultSession session = attempt.session;
        Services services = session.services();
        String cap = session.channel().attr(Engine.OVER_CAPACITY).get();
        if (cap != null) {
            // Reached without a login (no authentication): a login refuses it before the password.
            services.metrics().rejected(session.protocol(), "limit");
            attempt.refuse(Outcome.LIMITED, cap, "over the " + cap + " cap", null);
            return;
        }
        if (session.heldFor(attempt.principal) == null) {
            UserLimits.Admitted admitted = services.limits().admit(attempt.principal, session.client().getAddress(),
                    session);
            if (admitted.refusal() != null) {
                services.metrics().rejected(session.protocol(), "limit");
                attempt.refuse(Outcome.LIMITED, admitted.refusal().rule(), admitted.refusal().reason(), null);
                return;
            }
            if (admitted.state() != null && services.shared() != SharedLimits.NONE && !attempt.principal.isAnonymous()
                    && !admitted.state().limits().equals(Limits.NONE)) {
                // The fleet's say comes after this instance's: the slot is held once both agree.
                FleetLease.acquire(attempt, admitted.state());
                return;
            }
            session.hold(admitted.state());
        }
        attempt.proceed();
    }

    /**
     * Chooses how to reach the target: the first route rule that matches, else direct. A route
     * that denies refuses here; BIND and UDP ASSOCIATE only go direct, so a rule sending them to
     * an upstream group refuses them too.
     */
    private static void route(Attempt attempt) {
        RouteTable routes = attempt.session.services().routes();
        if (routes.directOnly()) {
            attempt.route = Route.DIRECT;
            attempt.proceed();
            return;
        }
        ProxyRequest request = attempt.request;
        InetAddress address = attempt.addresses != null ? attempt.addresses.get(0) : Addresses.literal(request.targetHost());
        Route route = routes.route(request.targetHost(), request.targetPort(), address, attempt.principal,
                attempt.session.client().getAddress());
        attempt.routes = routes;
        attempt.route = route;
        boolean tunnelOnly = request.command() == Command.BIND || request.command() == Command.UDP_ASSOCIATE;
        if (route.denies() || tunnelOnly && route.upstream()) {
            attempt.session.services().metrics().rejected(attempt.session.protocol(), "rule");
            attempt.refuse(Outcome.DENIED, "route " + route.rule(), route.denies() ? "denied by route " + route.rule()
                    : request.command() + " cannot go through upstream group " + route.name(), null);
            return;
        }
        attempt.proceed();
    }

    /**
     * The target is decided: from here the session is live (listed, closable by the host) and
     * reported to the host's listeners; whatever ends it now, its summary follows.
     */
    private static void opened(Attempt attempt) {
        attempt.session.services().sessions().opened(attempt);
        attempt.proceed();
    }

    /**
     * Dials exactly the first resolved address, the one the rules checked, through the connection
     * pool, along the attempt's route (a source address, an upstream group).
     */
    private static void dial(Attempt attempt) {
        DefaultSession session = attempt.session;
        Services services = session.services();
        Channel client = session.channel();
        InetSocketAddress target = attempt.target();
        Route route = attempt.route;
        ProxyRequest request = attempt.request;
        Future<Channel> dial;
        try {
            ConnectionPool.Dialer dialer = route == Route.DIRECT ? services.dialer()
                    : route.dialer(attempt.routes, request.targetHost(), request.targetPort(), attempt.principal,
                    session.client().getAddress(), request.command() == Command.HTTP_FORWARD);
            dial = services.pool().acquire(new OutboundRequest(request.targetHost(), request.targetPort(), target,
                    attempt.principal, route.poolKey(dialer)), client.eventLoop(), dialer);
        } catch (RuntimeException e) {
            attempt.refuse(Outcome.ERROR, null, "connection pool failed", e);
            return;
        }
        attempt.promise.addListener(f -> {
            if (f.isCancelled() || !f.isSuccess()) {
                dial.cancel(false);
            }
        });
        dial.addListener(f -> {
            if (f.isSuccess()) {
                Channel connected = (Channel) f.getNow();
                if (!client.isActive() || attempt.promise.isDone()) {
                    services.pool().release(connected, false);
                } else {
                    int proxyProtocol = services.settings().upstreamProxyProtocol();
                    if (proxyProtocol != 0) {
                        // First on the wire, before anything relayed: who the client is, as the rules saw it.
                        connected.writeAndFlush(ProxyHeaders.encode(proxyProtocol, session.client(), session.listener(),
                                connected.alloc())).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                    }
                    if (route.upstream()) {
                        attempt.upstream = connected.attr(RouteTable.UPSTREAM).get();
                    }
                    attempt.connected(connected);
                    services.metrics().connected(session.protocol(), Duration.ofNanos(System.nanoTime() - attempt.startNanos));
                    attempt.succeed(connected);
                }
            } else if (!f.isCancelled()) {
                if (f.cause() instanceof SessionException refused) {
                    attempt.refuse(refused.outcome(), refused.rule(), refused.getMessage(), refused.getCause());
                } else {
                    attempt.refuse(ConnectFailures.outcome(f.cause()), null, "cannot connect to "
                            + Addresses.format(target) + (route.upstream() ? " through " + route.name() : ""), f.cause());
                }
            }
        });
    }
}
