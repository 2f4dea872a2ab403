package dev.sallyport.auth.jdbc;

import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Which sessions that never authenticated get an access-log row: all (1), none (0), or one in N.
 *
 * <p>"Never authenticated" means no user and no request: a connect-and-close, a port scan, a
 * handshake that failed or timed out. One client can make thousands a second, each a row. Failed
 * logins ({@link Outcome#AUTH_FAILED}) are not in this category and always get a row, and so does
 * every session that made a request (an open proxy's anonymous sessions included).
 *
 * <p>The sample is exact, not random: the first of every N such sessions is kept, counted across
 * the whole sink, so N × rows ≈ sessions within N. Lock-free; one atomic increment per such
 * session, nothing for the others.
 */
final class UnauthenticatedSampling {

    /** Every such session gets a row (the default: the behaviour before the setting existed). */
    static final UnauthenticatedSampling ALL = new UnauthenticatedSampling(1);

    private final int oneIn;
    private final AtomicLong seen = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();

    private UnauthenticatedSampling(int oneIn) {
        this.oneIn = oneIn;
    }

    /** 0 keeps none, 1 keeps all, N keeps one in N. */
    static UnauthenticatedSampling oneIn(int oneIn) {
        return oneIn == 1 ? ALL : new UnauthenticatedSampling(check("logUnauthenticated", oneIn));
    }

    static int check(String name, int oneIn) {
        if (oneIn < 0) {
            throw new IllegalArgumentException(name + ": " + oneIn + " (expected: 0 for none, 1 for all, N for one in N)");
        }
        return oneIn;
    }

    static boolean neverAuthenticated(SessionSummary s) {
        return s.user() == null && s.command() == null && s.outcome() != Outcome.AUTH_FAILED;
    }

    /** Whether {@code s} gets a row. */
    boolean keep(SessionSummary s) {
        if (oneIn == 1 || !neverAuthenticated(s)) {
            return true;
        }
        if (oneIn != 0 && seen.getAndIncrement() % oneIn == 0) {
            return true;
        }
        skipped.incrementAndGet();
        return false;
    }

    /** Sessions that got no row because of this setting. */
    long skipped() {
        return skipped.get();
    }
}
