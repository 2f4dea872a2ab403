package dev.sallyport.core.internal.session;

import dev.sallyport.api.LiveSession;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.route.Route;
import dev.sallyport.core.spi.SessionException;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;

/**
 * One request on its way through the {@link Admission} path: what the steps found so far (who,
 * which addresses, which route) and where their verdicts are recorded. The connection's own
 * request records on its session; each HTTP exchange is an attempt of its own. Confined to the
 * client channel's event loop.
 */
abstract class Attempt {

    private static final Logger log = LoggerFactory.getLogger(Attempt.class);

    final DefaultSession session;
    final ProxyRequest request;
    /** The id of the session this attempt is reported as, and when that session started. */
    final long id;
    final Instant started;
    /** Whether the path authenticates the request's credentials (not when the handshake already did). */
    final boolean authenticate;
    Principal principal;
    /** Every address the target resolved to; the rules saw all of them, the first is dialled. */
    List<InetAddress> addresses;
    Route route;
    /** The table {@link #route} came from (a reload may replace the manager's meanwhile). */
    dev.sallyport.core.internal.route.RouteTable routes;
    /** The group and upstream the target was reached through ({@code eu/10.0.0.5:1080}), or null. */
    String upstream;
    Promise<?> promise;
    List<Admission.Step> path;
    int next;
    long startNanos;
    ScheduledFuture<?> timer;
    /** The user name of a refused login (set on failure only: a successful login allocates nothing here). */
    String triedUser;

    Attempt(DefaultSession session, ProxyRequest request, Principal principal, boolean authenticate, long id,
            Instant started) {
        this.session = session;
        this.request = request;
        this.id = id;
        this.started = started;
        this.principal = principal;
        this.authenticate = authenticate;
    }

    /** Records a refusal (first one wins) and the rule or limit that decided, if any. */
    abstract void refused(Outcome why, String byRule);

    /** The route's name of {@code attempt}, or null without an attempt or before its route was chosen. */
    static String routeOf(Attempt attempt) {
        return attempt == null || attempt.route == null ? null : attempt.route.name();
    }

    /** The upstream {@code attempt} went through, or null. */
    static String upstreamOf(Attempt attempt) {
        return attempt == null ? null : attempt.upstream;
    }

    /** Records the user name a refused login tried. */
    void loginFailed(String user) {
        triedUser = user;
    }

    /** Records the principal authentication found. */
    abstract void authenticated(Principal who);

    /** Records the outbound channel before the promise's listeners run (they may use it). */
    abstract void connected(Channel outbound);

    /**
     * Bytes relayed from the client so far. Also read from other threads by a snapshot, without
     * synchronisation: a count a moment old is good enough there (a 64-bit JVM never tears a long).
     */
    abstract long bytesUp();

    /** Bytes relayed to the client so far; see {@link #bytesUp()}. */
    abstract long bytesDown();

    /** The open session as a host sees it; from any thread once the attempt is among the live sessions. */
    LiveSession snapshot() {
        return new LiveSession(id, session.protocol(), request.command(), session.client(), session.listener(),
                principal.isAnonymous() ? null : principal.name(), request.targetHost(), request.targetPort(),
                addresses == null ? null : addresses.get(0), route.name(), started, bytesUp(), bytesDown());
    }

    /** The host closes the session: recorded as such, then the client connection closes, and the target's with it. */
    void closeByHost() {
        refused(Outcome.CLOSED_BY_HOST, null);
        log.debug("{} {} from {}: closed by the host", session.protocol().id(), request.command(),
                Addresses.format(session.client()));
        session.channel().close();
    }

    /** Runs the next step of the path, unless the attempt already ended. */
    void proceed() {
        if (promise.isDone()) {
            return;
        }
        if (session.finished()) {
            promise.tryFailure(new SessionException(Outcome.CLIENT_CLOSED, null, "client closed", null));
            return;
        }
        path.get(next++).run(this);
    }

    /** The target as dialled: the first resolved address and the requested port. */
    InetSocketAddress target() {
        return new InetSocketAddress(addresses.get(0), request.targetPort());
    }

    /** The attempt's promise, typed as its path's last step completes it. */
    @SuppressWarnings("unchecked")
    <T> Promise<T> promise() {
        return (Promise<T>) promise;
    }

    <T> void succeed(T result) {
        this.<T>promise().trySuccess(result);
    }

    /** Ends the attempt with a refusal: recorded, logged at DEBUG with its context, and the promise failed. */
    void refuse(Outcome why, String byRule, String message, Throwable cause) {
        if (promise.isDone()) {
            return;
        }
        refused(why, byRule);
        String context = session.protocol().id() + " " + request.command() + " from "
                + Addresses.format(session.client()) + " to " + request.targetHost() + ":" + request.targetPort()
                + ": " + message;
        log.debug("{}", context, cause);
        promise.tryFailure(new SessionException(why, byRule, context, cause));
    }
}
