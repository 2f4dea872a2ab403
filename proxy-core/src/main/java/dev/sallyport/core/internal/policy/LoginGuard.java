package dev.sallyport.core.internal.policy;

import dev.sallyport.core.Ticker;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * Brute-force protection, counted at two levels for each client source (an IPv4 address, or an
 * IPv6 prefix, /64 by default, see {@link #source}):
 *
 * <ul>
 *   <li>per source and user name: after {@code maxFailures} failures within {@code window} that
 *       name is locked out from that source for {@code lockout}; a success of that name clears
 *       its own count, never another name's;</li>
 *   <li>per source, all names together: after {@code maxSourceFailures} failures (0: never) the
 *       whole source is locked out. Successes do not clear it, so an attacker's own account does
 *       not reset the count; only the window does.</li>
 * </ul>
 *
 * A check still running counts: {@link Login#reserve} takes a slot before the backend is asked,
 * and is refused when failures and running checks together reach a limit, so concurrent guesses
 * cannot overtake the count. A locked-out login fails with the ordinary failure reply, right or
 * wrong password, so the lockout is no oracle. After each failure the reply is delayed, doubling
 * from the base back-off with each failure of that name from that source, at most 2 s.
 *
 * <p>Locks: a source record, then a name record, always in that order.
 */
public final class LoginGuard {

    private static final long MAX_BACKOFF_NANOS = Duration.ofSeconds(2).toNanos();

    private final Ticker ticker;
    private final int maxFailures;
    private final int maxSourceFailures;
    private final long windowNanos;
    private final long lockoutNanos;
    private final long backoffNanos;
    private final int ipv6Prefix;
    /** Separate from the names, so a flood of made-up names cannot evict a source's record. */
    private final Cache<InetAddress, Tally> sources;
    private final Cache<Name, Tally> names;

    /** Failures and running checks of one source, or of one name from one source. */
    private static final class Tally {
        final ArrayDeque<Long> failures = new ArrayDeque<>();
        int running;
        long lockedUntil;
        boolean locked;

        /** Whether locked right now; an ended lockout forgets its failures. */
        boolean locked(long now) {
            if (locked && now - lockedUntil >= 0) {
                locked = false;
                failures.clear();
            }
            return locked;
        }

        /** Failures within the window, older ones dropped. */
        int failures(long now, long windowNanos) {
            while (!failures.isEmpty() && now - failures.peekFirst() > windowNanos) {
                failures.pollFirst();
            }
            return failures.size();
        }

        /** Adds a failure; true when it starts a lockout of {@code lockoutNanos} at {@code max} failures. */
        boolean fail(long now, long windowNanos, int max, long lockoutNanos) {
            failures(now, windowNanos);
            failures.addLast(now);
            if (max > 0 && !locked && failures.size() >= max) {
                locked = true;
                lockedUntil = now + lockoutNanos;
                return true;
            }
            return false;
        }
    }

    /** A user name tried from a source. */
    private record Name(InetAddress source, String user) {
    }

    /**
     * @param maxFailures       failures of one name from one source that lock it out; 0 turns the guard off
     * @param maxSourceFailures failures from one source, all names, that lock the source out; 0 for never
     * @param ipv6Prefix        the bits of an IPv6 address that make its source
     */
    public LoginGuard(Ticker ticker, int maxFailures, int maxSourceFailures, Duration window, Duration lockout,
                      Duration backoff, int ipv6Prefix) {
        this.ticker = ticker;
        this.maxFailures = maxFailures;
        this.maxSourceFailures = maxSourceFailures;
        this.windowNanos = window.toNanos();
        this.lockoutNanos = lockout.toNanos();
        this.backoffNanos = backoff.toNanos();
        this.ipv6Prefix = ipv6Prefix;
        Duration keep = window.plus(lockout).plusSeconds(1);
        this.sources = Caffeine.newBuilder().ticker(ticker::read).expireAfterAccess(keep).maximumSize(100_000).build();
        this.names = Caffeine.newBuilder().ticker(ticker::read).expireAfterAccess(keep).maximumSize(100_000).build();
    }

    /**
     * The source a client address counts under: an IPv4 address as is, an IPv6 address cut to its
     * first {@code ipv6Prefix} bits (an IPv6 client usually holds a whole /64).
     */
    public static InetAddress source(InetAddress client, int ipv6Prefix) {
        if (!(client instanceof Inet6Address) || ipv6Prefix >= 128) {
            return client;
        }
        byte[] bytes = client.getAddress();
        for (int bit = ipv6Prefix; bit < 128; bit++) {
            bytes[bit >> 3] &= (byte) ~(0x80 >>> (bit & 7));
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("16 bytes are an IPv6 address", e);
        }
    }

    /** The source {@code client} counts under, here. */
    InetAddress source(InetAddress client) {
        return source(client, ipv6Prefix);
    }

    boolean enabled() {
        return maxFailures > 0;
    }

    /**
     * How long {@code client}'s source, or the name {@code user} (null for a token) from there,
     * stays locked out: 0 when neither is. For a {@code Retry-After}; reads, never counts.
     */
    public long lockedForNanos(InetAddress client, String user) {
        if (!enabled()) {
            return 0;
        }
        InetAddress source = source(client);
        long now = ticker.read();
        long left = remaining(sources.getIfPresent(source), now);
        return Math.max(left, remaining(names.getIfPresent(new Name(source, user == null ? "" : user)), now));
    }

    private static long remaining(Tally tally, long now) {
        if (tally == null) {
            return 0;
        }
        synchronized (tally) {
            return tally.locked(now) ? tally.lockedUntil - now : 0;
        }
    }

    /** One login of {@code user} (null for a token) from {@code source} (already cut by {@link #source}). */
    Login login(InetAddress source, String user) {
        return new Login(source, user == null ? "" : user);
    }

    /** One login as the guard sees it; used by one login at a time. */
    // sourceRecord and nameRecord change once, from null to their tally (find), before any lock on
    // them: the lock is the tally's own, shared with the other logins of that source or name.
    @SuppressWarnings("SynchronizeOnNonFinalField")
    final class Login {
        private final InetAddress source;
        private final String user;
        private Tally sourceRecord;
        private Tally nameRecord;
        private boolean reserved;

        private Login(InetAddress source, String user) {
            this.source = source;
            this.user = user;
        }

        private void find(boolean create) {
            if (sourceRecord == null) {
                sourceRecord = create ? sources.get(source, k -> new Tally()) : sources.getIfPresent(source);
            }
            if (nameRecord == null) {
                Name name = new Name(source, user);
                nameRecord = create ? names.get(name, k -> new Tally()) : names.getIfPresent(name);
            }
        }

        /** Whether this name, or the whole source, is locked out right now. */
        boolean lockedOut() {
            if (!enabled()) {
                return false;
            }
            find(false);
            long now = ticker.read();
            if (sourceRecord != null) {
                synchronized (sourceRecord) {
                    if (sourceRecord.locked(now)) {
                        return true;
                    }
                }
            }
            if (nameRecord != null) {
                synchronized (nameRecord) {
                    return nameRecord.locked(now);
                }
            }
            return false;
        }

        /**
         * Takes a slot for a check about to run; false, taking nothing, when this check could
         * exceed a limit: failures in the window plus checks running reach it, or a lockout holds.
         */
        boolean reserve() {
            if (!enabled()) {
                return true;
            }
            find(true);
            long now = ticker.read();
            synchronized (sourceRecord) {
                synchronized (nameRecord) {
                    if (sourceRecord.locked(now) || nameRecord.locked(now)
                            || nameRecord.failures(now, windowNanos) + nameRecord.running >= maxFailures
                            || (maxSourceFailures > 0
                            && sourceRecord.failures(now, windowNanos) + sourceRecord.running >= maxSourceFailures)) {
                        return false;
                    }
                    sourceRecord.running++;
                    nameRecord.running++;
                    reserved = true;
                    return true;
                }
            }
        }

        /**
         * Records a failure (the reserved slot, if any, becomes it) and returns how long to delay
         * the failure reply, and whether this failure started a lockout.
         */
        Failure failed() {
            if (!enabled()) {
                return new Failure(0, null);
            }
            find(true);
            long now = ticker.read();
            synchronized (sourceRecord) {
                synchronized (nameRecord) {
                    release();
                    boolean source = sourceRecord.fail(now, windowNanos, maxSourceFailures, lockoutNanos);
                    boolean name = nameRecord.fail(now, windowNanos, maxFailures, lockoutNanos);
                    int shift = Math.min(nameRecord.failures.size() - 1, 20);
                    long delay = backoffNanos == 0 ? 0 : Math.min(backoffNanos << shift, MAX_BACKOFF_NANOS);
                    return new Failure(delay, source ? Lock.SOURCE : name ? Lock.NAME : null);
                }
            }
        }

        /** A successful login clears the failures of this name from this source (not during its lockout). */
        void succeeded() {
            if (!enabled()) {
                return;
            }
            find(false);
            if (sourceRecord == null || nameRecord == null) {
                return;
            }
            synchronized (sourceRecord) {
                synchronized (nameRecord) {
                    release();
                    if (!nameRecord.locked(ticker.read())) {
                        nameRecord.failures.clear();
                    }
                }
            }
        }

        /** The reserved check ended neither way (overloaded, given up, backend down): its slot is freed. */
        void abandoned() {
            if (reserved) {
                synchronized (sourceRecord) {
                    synchronized (nameRecord) {
                        release();
                    }
                }
            }
        }

        private void release() {
            if (reserved) {
                reserved = false;
                sourceRecord.running--;
                nameRecord.running--;
            }
        }
    }

    /** What a failure started: a lockout of the source, of the name from the source, or nothing (null). */
    enum Lock { SOURCE, NAME }

    /** How long to delay the failure reply, and which lockout this failure started (null: none). */
    record Failure(long delayNanos, Lock locked) {
        boolean lockedNow() {
            return locked != null;
        }
    }
}
