package dev.sallyport.core.internal.policy;

import dev.sallyport.core.Ticker;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * Brute-force protection per client IP: after each failed login the next answer to that IP is
 * delayed (doubling from the base back-off, at most 2 s), and after {@code maxFailures} failures
 * within {@code window} the IP is locked out for {@code lockout}: every login from it fails with
 * the ordinary failure reply, right or wrong password, so the lockout is no oracle.
 */
public final class LoginGuard {

    private static final long MAX_BACKOFF_NANOS = Duration.ofSeconds(2).toNanos();

    private final Ticker ticker;
    private final int maxFailures;
    private final long windowNanos;
    private final long lockoutNanos;
    private final long backoffNanos;
    private final Cache<InetAddress, Record> records;

    /** Failures of one address. */
    private static final class Record {
        final ArrayDeque<Long> failures = new ArrayDeque<>();
        long lockedUntil;
        boolean locked;
    }

    public LoginGuard(Ticker ticker, int maxFailures, Duration window, Duration lockout, Duration backoff) {
        this.ticker = ticker;
        this.maxFailures = maxFailures;
        this.windowNanos = window.toNanos();
        this.lockoutNanos = lockout.toNanos();
        this.backoffNanos = backoff.toNanos();
        this.records = Caffeine.newBuilder()
                .ticker(ticker::read)
                .expireAfterAccess(window.plus(lockout).plusSeconds(1))
                .maximumSize(100_000)
                .build();
    }

    boolean enabled() {
        return maxFailures > 0;
    }

    /** Whether logins from {@code client} are refused right now. */
    boolean lockedOut(InetAddress client) {
        if (!enabled()) {
            return false;
        }
        Record record = records.getIfPresent(client);
        if (record == null) {
            return false;
        }
        synchronized (record) {
            if (record.locked && ticker.read() - record.lockedUntil >= 0) {
                record.locked = false;
                record.failures.clear();
            }
            return record.locked;
        }
    }

    /**
     * Records a failed login and returns how long to delay the failure reply. Sets the lockout
     * when the window holds {@code maxFailures} failures. The second value tells whether this
     * failure started a lockout.
     */
    Failure failed(InetAddress client) {
        if (!enabled()) {
            return new Failure(0, false);
        }
        Record record = records.get(client, k -> new Record());
        synchronized (record) {
            long now = ticker.read();
            while (!record.failures.isEmpty() && now - record.failures.peekFirst() > windowNanos) {
                record.failures.pollFirst();
            }
            record.failures.addLast(now);
            boolean locking = !record.locked && record.failures.size() >= maxFailures;
            if (locking) {
                record.locked = true;
                record.lockedUntil = now + lockoutNanos;
            }
            int shift = Math.min(record.failures.size() - 1, 20);
            long delay = Math.min(backoffNanos << shift, MAX_BACKOFF_NANOS);
            return new Failure(backoffNanos == 0 ? 0 : delay, locking);
        }
    }

    /** A successful login clears the failures of that address. */
    void succeeded(InetAddress client) {
        if (enabled()) {
            Record record = records.getIfPresent(client);
            if (record != null) {
                synchronized (record) {
                    if (!record.locked) {
                        record.failures.clear();
                    }
                }
            }
        }
    }

    record Failure(long delayNanos, boolean lockedNow) {
    }
}
