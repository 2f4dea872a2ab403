package dev.sallyport.core.internal.policy;

import dev.sallyport.core.Ticker;

import dev.sallyport.api.Limits;
import dev.sallyport.api.Principal;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Per-user limits enforced for every protocol: concurrent sessions, new sessions per second and
 * bandwidth each way, shared by all of a user's sessions on every event loop. Limits come from
 * the principal (set by the auth backend), field by field falling back to the defaults; a change
 * to a user re-shapes their open sessions at once, and disabling or deleting a user closes them.
 *
 * <p>Anonymous sessions (no authentication) are limited per client IP, under the name
 * {@code anonymous@IP}.
 *
 * <p>A key's state lives while it has sessions and, after its last one, until its token buckets
 * are full again: only then is dropping it the same as keeping it, so closing and reopening never
 * refills a bucket early. A state as good as new is dropped when its last session ends; the others
 * wait in a queue ordered by the time their buckets fill, which admissions and releases sweep a
 * few at a time on the {@link Ticker} (no thread of its own). So many clients that each come once
 * (one per IPv6 address, say) leave no state behind.
 */
public final class UserLimits {

    /** Something that holds a session slot and can be closed from outside. */
    public interface Holder {
        /** Closes the session on its own event loop because its user was disabled or deleted. */
        public void revoke(String reason);
    }

    /** The live state of one user. Bandwidth buckets are read on every relay read. */
    public static final class State {
        public final String key;
        private Limits limits;
        private int active;
        private TokenBucket sessionRate;
        /** The part of the bandwidth limits this instance may use (a fleet's share); 1 alone. */
        private double share = 1;
        public volatile TokenBucket up;
        public volatile TokenBucket down;
        /** Each session holding a slot, with the principal it logged in as. */
        final Map<Holder, Principal> holders = new ConcurrentHashMap<>();
        /** Idle and waiting in the sweep queue for its buckets to fill. */
        private boolean queued;
        /** Gone from the map: an admission that found it there before it went looks again. */
        private boolean dropped;

        public State(String key) {
            this.key = key;
        }

        /** The effective limits last applied: the principal's, defaults filled in. */
        public synchronized Limits limits() {
            return limits;
        }

        /** Nanoseconds until every bucket is full; 0 when this state is as good as a new one. */
        private long nanosUntilFresh() {
            return Math.max(untilFull(sessionRate), Math.max(untilFull(up), untilFull(down)));
        }

        private static long untilFull(TokenBucket bucket) {
            return bucket == null ? 0 : bucket.nanosUntilFull();
        }
    }

    /** Why admission failed. */
    public record Refusal(String rule, String reason) {
    }

    /**
     * The result of {@link #admit}: the state to release later (null when nothing is tracked for
     * this principal), or the refusal.
     */
    public record Admitted(State state, Refusal refusal) {
        static final Admitted UNTRACKED = new Admitted(null, null);

        static Admitted refused(String rule, String reason) {
            return new Admitted(null, new Refusal(rule, reason));
        }
    }

    /** An idle state and the ticker reading at which its buckets will be full. */
    private record Idle(State state, long readyAt) {
    }

    /** Idle states a single admission or release sweeps at most: the work per call stays small. */
    static final int SWEEP_BATCH = 64;

    private final Ticker ticker;
    /** Read once per admission: a reload's new defaults apply to sessions admitted after it. */
    private volatile Limits defaults;
    private final Map<String, State> states = new ConcurrentHashMap<>();
    /** BIND listeners waiting for their peer, by {@link #key}; absent when none. */
    private final Map<String, Integer> bindListeners = new ConcurrentHashMap<>();
    /** Idle states whose buckets are still filling, soonest first; guarded by itself. */
    private final PriorityQueue<Idle> idle = new PriorityQueue<>((a, b) -> Long.signum(a.readyAt - b.readyAt));
    /** The head of {@link #idle}, read without its lock: most calls find nothing due. */
    private volatile long nextReadyAt;
    private volatile boolean anyIdle;

    public UserLimits(Ticker ticker, Limits defaults) {
        this.ticker = ticker;
        this.defaults = defaults;
    }

    /** New default limits, for sessions admitted from now on; open sessions keep theirs. */
    public void defaults(Limits limits) {
        this.defaults = java.util.Objects.requireNonNull(limits, "limits");
    }

    /** Whether anonymous sessions need tracking at all (only when default limits exist). */
    boolean tracksAnonymous() {
        return !defaults.equals(Limits.NONE);
    }

    public static String key(Principal principal, InetAddress client) {
        return principal.isAnonymous() ? "anonymous@" + client.getHostAddress() : principal.name();
    }

    Limits effective(Limits own) {
        Limits d = defaults; // one read: never half old, half reloaded defaults
        return new Limits(
                own.maxSessions() > 0 ? own.maxSessions() : d.maxSessions(),
                own.sessionsPerSecond() > 0 ? own.sessionsPerSecond() : d.sessionsPerSecond(),
                own.uploadBytesPerSecond() > 0 ? own.uploadBytesPerSecond() : d.uploadBytesPerSecond(),
                own.downloadBytesPerSecond() > 0 ? own.downloadBytesPerSecond() : d.downloadBytesPerSecond());
    }

    /**
     * Admits a new session of {@code principal}: takes a concurrent-session slot and a token of
     * the session rate, or the refusal when over a limit.
     */
    public Admitted admit(Principal principal, InetAddress client, Holder holder) {
        if (principal.isAnonymous() && !tracksAnonymous()) {
            return Admitted.UNTRACKED;
        }
        expireIdle();
        String key = key(principal, client);
        Limits limits = effective(principal.limits());
        while (true) {
            State state = states.computeIfAbsent(key, State::new);
            Admitted admitted = admit(state, limits, principal, holder);
            if (admitted != null) {
                return admitted;
            }
        }
    }

    /** Admits into {@code state}; null when the state was dropped before its lock was taken. */
    private Admitted admit(State state, Limits limits, Principal principal, Holder holder) {
        synchronized (state) {
            if (state.dropped) {
                return null;
            }
            apply(state, limits);
            Admitted refused = null;
            if (limits.maxSessions() > 0 && state.active >= limits.maxSessions()) {
                refused = Admitted.refused("max-sessions", "user has " + state.active + " of " + limits.maxSessions()
                        + " sessions open");
            } else if (state.sessionRate != null && !state.sessionRate.tryAcquire()) {
                refused = Admitted.refused("sessions-per-second", "over " + limits.sessionsPerSecond() + " new sessions/s");
            }
            if (refused != null) {
                if (state.active == 0) {
                    retire(state);
                }
                return refused;
            }
            state.active++;
            state.holders.put(holder, principal);
        }
        return new Admitted(state, null);
    }

    public void release(State state, Holder holder) {
        synchronized (state) {
            if (state.holders.remove(holder) != null) {
                state.active--;
            }
            if (state.active == 0) {
                retire(state);
            }
        }
        expireIdle();
    }

    /**
     * A state without sessions (its lock held): dropped when it is as good as new, otherwise
     * queued until its buckets will be full.
     */
    private void retire(State state) {
        if (state.dropped || state.queued) {
            return;
        }
        long wait = state.nanosUntilFresh();
        if (wait == 0) {
            state.dropped = true;
            states.remove(state.key, state);
            return;
        }
        state.queued = true;
        long readyAt = ticker.read() + wait;
        synchronized (idle) {
            idle.add(new Idle(state, readyAt));
            nextReadyAt = idle.peek().readyAt;
            anyIdle = true;
        }
    }

    /**
     * Takes up to {@link #SWEEP_BATCH} idle states whose buckets are due to be full, and drops
     * each that is still idle and full (one that is not goes back into the queue).
     */
    private void expireIdle() {
        if (!anyIdle) {
            return;
        }
        long now = ticker.read();
        if (now - nextReadyAt < 0) {
            return;
        }
        List<State> due = new ArrayList<>();
        synchronized (idle) {
            while (due.size() < SWEEP_BATCH && !idle.isEmpty() && now - idle.peek().readyAt >= 0) {
                due.add(idle.poll().state);
            }
            anyIdle = !idle.isEmpty();
            if (anyIdle) {
                nextReadyAt = idle.peek().readyAt;
            }
        }
        // Each state's lock is taken after the queue's is let go: retire takes them the other way round.
        for (State state : due) {
            synchronized (state) {
                state.queued = false;
                if (state.active == 0) {
                    retire(state);
                }
            }
        }
    }

    /** Keys with a state: those with sessions, and idle ones whose buckets are still filling. */
    int tracked() {
        return states.size();
    }

    /**
     * This instance's share of {@code user}'s bandwidth changed (fleet-wide limits): re-shapes
     * their open sessions here to {@code fraction} of the limits. Ignored for a user without state.
     */
    public void share(String user, double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction: " + fraction + " (expected: > 0 and <= 1)");
        }
        State state = states.get(user);
        if (state != null) {
            synchronized (state) {
                if (state.share != fraction && state.limits != null) {
                    state.share = fraction;
                    shapeBandwidth(state);
                }
            }
        }
    }

    /** A user's limits changed: re-shape the open sessions at once. */
    public void update(String user, Limits own) {
        State state = states.get(user);
        if (state != null) {
            synchronized (state) {
                apply(state, effective(own));
            }
        }
    }

    /** A user was disabled or deleted: close every open session of theirs. */
    public void revoke(String user, String reason) {
        revokeIf(user, reason, principal -> true);
    }

    /** Closes the open sessions of {@code user} whose principal passes {@code test}. */
    public void revokeIf(String user, String reason, Predicate<Principal> test) {
        State state = states.get(user);
        if (state != null) {
            for (Map.Entry<Holder, Principal> held : List.copyOf(state.holders.entrySet())) {
                if (test.test(held.getValue())) {
                    held.getKey().revoke(reason);
                }
            }
        }
    }

    /** Whether {@code user} has open sessions now. */
    public boolean hasSessions(String user) {
        State state = states.get(user);
        return state != null && !state.holders.isEmpty();
    }

    /** The names of the users (not anonymous clients) with open sessions now. */
    public Set<String> usersWithSessions() {
        Set<String> users = new HashSet<>();
        for (State state : states.values()) {
            for (Principal principal : state.holders.values()) {
                if (!principal.isAnonymous()) {
                    users.add(principal.name());
                    break;
                }
            }
        }
        return users;
    }

    /**
     * Takes one of the {@code max} BIND listeners {@code key} may have waiting at once; false when
     * all are taken. Each one taken is given back with {@link #closeBindListener}.
     */
    public boolean openBindListener(String key, int max) {
        boolean[] taken = {false};
        bindListeners.compute(key, (k, open) -> {
            int count = open == null ? 0 : open;
            if (count >= max) {
                return open;
            }
            taken[0] = true;
            return count + 1;
        });
        return taken[0];
    }

    public void closeBindListener(String key) {
        bindListeners.computeIfPresent(key, (k, open) -> open > 1 ? open - 1 : null);
    }

    int active(String key) {
        State state = states.get(key);
        if (state == null) {
            return 0;
        }
        synchronized (state) {
            return state.active;
        }
    }

    private void apply(State state, Limits limits) {
        if (limits.equals(state.limits)) {
            return;
        }
        state.limits = limits;
        state.sessionRate = reshape(state.sessionRate, limits.sessionsPerSecond(), false);
        shapeBandwidth(state);
    }

    private void shapeBandwidth(State state) {
        state.up = reshape(state.up, shared(state.limits.uploadBytesPerSecond(), state.share), true);
        state.down = reshape(state.down, shared(state.limits.downloadBytesPerSecond(), state.share), true);
    }

    /** {@code fraction} of a bandwidth limit, at least 1 byte/s; 0 (no limit) stays 0. */
    private static long shared(long limit, double fraction) {
        return limit <= 0 || fraction >= 1 ? limit : Math.max(1, (long) (limit * fraction));
    }

    private TokenBucket reshape(TokenBucket bucket, long rate, boolean bandwidth) {
        if (rate <= 0) {
            return null;
        }
        if (bucket == null) {
            return bandwidth ? TokenBucket.bandwidth(ticker, rate) : new TokenBucket(ticker, rate, rate);
        }
        bucket.rate(rate, bandwidth);
        return bucket;
    }
}
