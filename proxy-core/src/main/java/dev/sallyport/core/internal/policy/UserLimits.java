package dev.sallyport.core.internal.policy;

import dev.sallyport.core.Ticker;

import dev.sallyport.api.Limits;
import dev.sallyport.api.Principal;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-user limits enforced for every protocol: concurrent sessions, new sessions per second and
 * bandwidth each way, shared by all of a user's sessions on every event loop. Limits come from
 * the principal (set by the auth backend), field by field falling back to the defaults; a change
 * to a user re-shapes their open sessions at once, and disabling or deleting a user closes them.
 *
 * <p>Anonymous sessions (no authentication) are limited per client IP, under the name
 * {@code anonymous@IP}.
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
    public volatile TokenBucket up;
    public volatile TokenBucket down;
        final Set<Holder> holders = ConcurrentHashMap.newKeySet();

        public State(String key) {
            this.key = key;
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

    private final Ticker ticker;
    private final Limits defaults;
    private final Map<String, State> states = new ConcurrentHashMap<>();
    /** BIND listeners waiting for their peer, by {@link #key}; absent when none. */
    private final Map<String, Integer> bindListeners = new ConcurrentHashMap<>();

    public UserLimits(Ticker ticker, Limits defaults) {
        this.ticker = ticker;
        this.defaults = defaults;
    }

    /** Whether anonymous sessions need tracking at all (only when default limits exist). */
    boolean tracksAnonymous() {
        return !defaults.equals(Limits.NONE);
    }

    public static String key(Principal principal, InetAddress client) {
        return principal.isAnonymous() ? "anonymous@" + client.getHostAddress() : principal.name();
    }

    Limits effective(Limits own) {
        return new Limits(
                own.maxSessions() > 0 ? own.maxSessions() : defaults.maxSessions(),
                own.sessionsPerSecond() > 0 ? own.sessionsPerSecond() : defaults.sessionsPerSecond(),
                own.uploadBytesPerSecond() > 0 ? own.uploadBytesPerSecond() : defaults.uploadBytesPerSecond(),
                own.downloadBytesPerSecond() > 0 ? own.downloadBytesPerSecond() : defaults.downloadBytesPerSecond());
    }

    /**
     * Admits a new session of {@code principal}: takes a concurrent-session slot and a token of
     * the session rate, or the refusal when over a limit.
     */
    public Admitted admit(Principal principal, InetAddress client, Holder holder) {
        if (principal.isAnonymous() && !tracksAnonymous()) {
            return Admitted.UNTRACKED;
        }
        String key = key(principal, client);
        Limits limits = effective(principal.limits());
        State state = states.computeIfAbsent(key, State::new);
        synchronized (state) {
            apply(state, limits);
            if (limits.maxSessions() > 0 && state.active >= limits.maxSessions()) {
                return Admitted.refused("max-sessions", "user has " + state.active + " of " + limits.maxSessions()
                        + " sessions open");
            }
            if (state.sessionRate != null && !state.sessionRate.tryAcquire()) {
                return Admitted.refused("sessions-per-second", "over " + limits.sessionsPerSecond() + " new sessions/s");
            }
            state.active++;
            state.holders.add(holder);
        }
        return new Admitted(state, null);
    }

    public void release(State state, Holder holder) {
        synchronized (state) {
            if (state.holders.remove(holder)) {
                state.active--;
            }
            if (state.active == 0 && state.up == null && state.down == null && state.sessionRate == null) {
                states.remove(state.key, state);
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
        State state = states.get(user);
        if (state != null) {
            for (Holder holder : List.copyOf(state.holders)) {
                holder.revoke(reason);
            }
        }
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
        state.up = reshape(state.up, limits.uploadBytesPerSecond(), true);
        state.down = reshape(state.down, limits.downloadBytesPerSecond(), true);
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
