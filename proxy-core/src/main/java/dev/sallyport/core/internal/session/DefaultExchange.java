package dev.sallyport.core.internal.session;

import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.internal.route.RouteTable;
import dev.sallyport.core.spi.Exchange;
import dev.sallyport.core.spi.Shaper;
import io.netty.channel.Channel;

import java.time.Instant;

/**
 * One request of a multi-request connection (HTTP forwarding): admitted through the same path as
 * a CONNECT, and reported as a session of its own when it ends.
 */
final class DefaultExchange extends Attempt implements Exchange {

    private final long startedNanos = System.nanoTime();
    private Channel outbound;
    private Outcome outcome;
    private String rule;
    private long up;
    private long down;
    private boolean ended;

    /** Each exchange authenticates its own credentials (through the auth cache). */
    DefaultExchange(DefaultSession session, ProxyRequest request) {
        super(session, request, Principal.anonymous(), true, DefaultSession.nextId(), Instant.now());
    }

    @Override
    void refused(Outcome why, String byRule) {
        if (outcome == null) {
            outcome = why;
        }
        if (byRule != null) {
            rule = byRule;
        }
    }

    @Override
    void authenticated(Principal who) {
        principal = who;
    }

    @Override
    void connected(Channel connected) {
        outbound = connected;
    }

    @Override
    long bytesUp() {
        return up;
    }

    @Override
    long bytesDown() {
        return down;
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
    public boolean viaHttpUpstream() {
        return outbound.attr(RouteTable.HTTP_UPSTREAM).get() != null;
    }

    @Override
    public String upstreamAuthorization() {
        String value = outbound.attr(RouteTable.HTTP_UPSTREAM).get();
        return value == null || value.isEmpty() ? null : value;
    }

    @Override
    public Shaper shaper(boolean upstream, Runnable pause, Runnable resume) {
        return BucketShaper.of(session.heldFor(principal), upstream, session.channel().eventLoop(), pause, resume);
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
        session.exchangeEnded(this);
        if (outbound != null) {
            Channel out = outbound;
            outbound = null;
            session.services().pool().release(out, reusable && out.isActive());
        }
        session.report(id, principal, request, up, down, started, startedNanos,
                outcome != null ? outcome : how, rule, triedUser, this);
    }
}
