package dev.sallyport.core.internal.route;

import dev.sallyport.core.Ticker;
import dev.sallyport.core.Upstream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One upstream of a group with its passive health: {@code maxFails} failures within the fail
 * timeout mark it down for the fail timeout; after that it is tried again, and one success brings
 * it back (with active checks, a check does: see {@link HealthChecks}). Read and changed from every event loop: the health fields under this object's lock
 * (taken once per dial, never on the relay path), the session count in an atomic.
 */
final class Member {

    private static final Logger log = LoggerFactory.getLogger(Member.class);

    final Upstream upstream;
    /** The upstream's hops, first to last (one for a single upstream). */
    final List<Upstream> hops;
    final String group;
    /** Resolved once, at start. */
    final InetSocketAddress address;
    /** {@code group/host:port}, for summaries and logs. */
    final String label;
    final AtomicInteger active = new AtomicInteger();
    /** The Proxy-Authorization value for an HTTP upstream's login ({@code Basic ...}), "" without one. */
    final String authorization;
    private final Ticker ticker;
    private final int maxFails;
    private final long failNanos;
    /** Whether active checks watch it: then only a passed check brings it back, never a session's try. */
    private final boolean checked;
    private int fails;
    private long windowStart;
    private long downUntil;
    private boolean down;

    Member(String group, Upstream upstream, Ticker ticker, int maxFails, long failNanos, boolean checked) {
        this.group = group;
        this.upstream = upstream;
        this.hops = upstream.hops();
        this.checked = checked;
        this.address = new InetSocketAddress(upstream.host(), upstream.port());
        this.label = group + "/" + upstream.name();
        // For HTTP forwarding to the (last) hop in absolute-form: that hop's login.
        Upstream last = hops.get(hops.size() - 1);
        this.authorization = last.username() == null ? "" : "Basic " + Base64.getEncoder().encodeToString(
                (last.username() + ":" + last.password()).getBytes(StandardCharsets.UTF_8));
        this.ticker = ticker;
        this.maxFails = maxFails;
        this.failNanos = failNanos;
    }

    /**
     * Whether it may be picked now: up, or down and its time out is over (then it gets a try),
     * unless active checks watch it (then they alone bring it back).
     */
    synchronized boolean available() {
        return !down || !checked && ticker.read() - downUntil >= 0;
    }

    /** Whether it is marked down (for metrics and listings; a down member whose time is over still says so until a try). */
    synchronized boolean down() {
        return down;
    }

    /** Counts a failure; true when it marks the upstream down. */
    synchronized boolean failed() {
        long now = ticker.read();
        if (down) {
            // A try after the time out failed: down for another fail timeout.
            downUntil = now + failNanos;
            return false;
        }
        if (fails == 0 || now - windowStart > failNanos) {
            windowStart = now;
            fails = 0;
        }
        if (++fails >= maxFails) {
            down = true;
            downUntil = now + failNanos;
            log.warn("upstream {} of group {} is down after {} failed connect(s) or check(s); {}", upstream.name(),
                    group, fails, checked ? "back when a health check passes" : "retried in " + failNanos / 1_000_000 + " ms");
            return true;
        }
        return false;
    }

    /** Clears the failures; true when the upstream was down and is up again. */
    synchronized boolean succeeded() {
        fails = 0;
        if (down) {
            down = false;
            log.info("upstream {} of group {} is up again", upstream.name(), group);
            return true;
        }
        return false;
    }
}
