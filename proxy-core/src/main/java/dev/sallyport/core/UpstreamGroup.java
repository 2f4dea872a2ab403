package dev.sallyport.core;

import dev.sallyport.core.internal.route.HealthChecks;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A named group of {@link Upstream} proxies that a {@link Routing} rule sends requests through.
 * Immutable: each option returns a copy.
 *
 * <p>Health is passive: {@code maxFails} failed connects to one upstream within
 * {@code failTimeout} take it out of selection for {@code failTimeout}. A connect that fails
 * before any byte was relayed is retried on the next upstream, up to {@code attempts} upstreams
 * and within the proxy's connect timeout as a whole. When every upstream is down the request is
 * refused (SOCKS general failure, HTTP 502 naming the group), or dialled directly when
 * {@link #fallbackDirect(boolean)} says so.
 *
 * <p>Health may also be active ({@link #healthCheck(String)}): every {@link #healthInterval()}
 * each upstream is checked on the proxy's I/O threads, within the connect timeout, one check at a
 * time per upstream. A failed check counts like a failed connect; a passed one brings a down
 * upstream back at once. With checks on, only a check brings a down upstream back (no session
 * is sent to find out).
 *
 * <pre>{@code
 * UpstreamGroup.of("eu", Upstream.parse("socks5://10.0.0.5:1080"), Upstream.parse("socks5://10.0.0.6:1080"))
 *     .strategy(UpstreamGroup.Strategy.LEAST_ACTIVE)
 *     .maxFails(3)
 *     .failTimeout(Duration.ofSeconds(30))
 *     .healthCheck("connect:example.com:443")
 *     .healthInterval(Duration.ofSeconds(5));
 * }</pre>
 */
public final class UpstreamGroup {

    /** How an upstream is picked for a new session. */
    public enum Strategy {
        /** Each upstream in turn. The default. */
        ROUND_ROBIN,
        /** At random, in proportion to {@link Upstream#weight()}. */
        WEIGHTED_RANDOM,
        /** The one with the fewest open sessions through it (ties: the first). */
        LEAST_ACTIVE,
        /** By the user name, so a user keeps one upstream while it is up (anonymous: by client address). */
        HASH_USER,
        /** By the target host and port, so one target keeps one upstream while it is up. */
        HASH_DESTINATION,
        /** The first upstream that is up, in the order given: a primary and its backups. */
        FAILOVER
    }

    private static final Duration MAX_FAIL_TIMEOUT = Duration.ofDays(1);
    private static final Duration DEFAULT_HEALTH_INTERVAL = Duration.ofSeconds(10);

    private final String name;
    private final List<Upstream> upstreams;
    private final Strategy strategy;
    private final int maxFails;
    private final Duration failTimeout;
    private final int attempts;
    private final boolean fallbackDirect;
    /** {@code connect}, {@code connect:HOST:PORT}, or null for passive health only. */
    private final String healthCheck;
    private final Duration healthInterval;

    private UpstreamGroup(String name, List<Upstream> upstreams, Strategy strategy, int maxFails, Duration failTimeout,
                          int attempts, boolean fallbackDirect, String healthCheck, Duration healthInterval) {
        this.name = name;
        this.upstreams = upstreams;
        this.strategy = strategy;
        this.maxFails = maxFails;
        this.failTimeout = failTimeout;
        this.attempts = attempts;
        this.fallbackDirect = fallbackDirect;
        this.healthCheck = healthCheck;
        this.healthInterval = healthInterval;
    }

    /**
     * A group with round robin selection, {@code maxFails} 1, {@code failTimeout} 10 s, as many
     * attempts as upstreams, and no fallback.
     *
     * @param name      letters, digits, {@code -} and {@code _}; not {@code direct} or {@code deny}
     * @param upstreams at least one
     * @return the group
     * @throws IllegalArgumentException when the name is not of that form or there is no upstream
     * @throws NullPointerException     when an argument is null
     */
    public static UpstreamGroup of(String name, Upstream... upstreams) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(upstreams, "upstreams");
        if (!name.matches("[A-Za-z0-9_-]{1,64}") || name.equals("direct") || name.equals("deny")) {
            throw new IllegalArgumentException("upstream group: '" + name
                    + "' (expected: 1-64 letters, digits, - or _, not direct or deny)");
        }
        if (upstreams.length == 0) {
            throw new IllegalArgumentException("upstream group " + name + ": no upstream (expected: at least one)");
        }
        List<Upstream> list = List.of(upstreams);
        return new UpstreamGroup(name, list, Strategy.ROUND_ROBIN, 1, Duration.ofSeconds(10), list.size(), false,
                null, DEFAULT_HEALTH_INTERVAL);
    }

    /**
     * @param strategy how an upstream is picked; default {@link Strategy#ROUND_ROBIN}
     * @return a copy with it
     */
    public UpstreamGroup strategy(Strategy strategy) {
        Objects.requireNonNull(strategy, "strategy");
        return new UpstreamGroup(name, upstreams, strategy, maxFails, failTimeout, attempts, fallbackDirect, healthCheck,
                healthInterval);
    }

    /**
     * @param fails failed connects within {@link #failTimeout()} that mark an upstream down; 1-1000, default 1
     * @return a copy with it
     * @throws IllegalArgumentException when out of range
     */
    public UpstreamGroup maxFails(int fails) {
        if (fails < 1 || fails > 1000) {
            throw new IllegalArgumentException("maxFails: " + fails + " (expected: 1-1000)");
        }
        return new UpstreamGroup(name, upstreams, strategy, fails, failTimeout, attempts, fallbackDirect, healthCheck,
                healthInterval);
    }

    /**
     * @param timeout the window failures are counted in, and how long a failed upstream stays
     *                down; positive, at most a day; default 10 s
     * @return a copy with it
     * @throws IllegalArgumentException when zero, negative or over a day
     */
    public UpstreamGroup failTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "failTimeout");
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_FAIL_TIMEOUT) > 0) {
            throw new IllegalArgumentException("failTimeout: " + timeout + " (expected: > 0 and <= " + MAX_FAIL_TIMEOUT + ")");
        }
        return new UpstreamGroup(name, upstreams, strategy, maxFails, timeout, attempts, fallbackDirect, healthCheck,
                healthInterval);
    }

    /**
     * @param attempts upstreams tried for one request before it fails; at least 1; default the number of upstreams
     * @return a copy with it
     * @throws IllegalArgumentException when below 1
     */
    public UpstreamGroup attempts(int attempts) {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts: " + attempts + " (expected: >= 1)");
        }
        return new UpstreamGroup(name, upstreams, strategy, maxFails, failTimeout, attempts, fallbackDirect, healthCheck,
                healthInterval);
    }

    /**
     * @param fallback whether a request goes direct when every upstream is down; default false
     * @return a copy with it
     */
    public UpstreamGroup fallbackDirect(boolean fallback) {
        return new UpstreamGroup(name, upstreams, strategy, maxFails, failTimeout, attempts, fallback, healthCheck,
                healthInterval);
    }

    /**
     * Turns active health checks on: {@code connect} opens a TCP connection to each upstream (to
     * a chain's last hop, through the hops before it) and closes it; {@code connect:HOST:PORT}
     * shakes hands through each upstream (SOCKS5 or HTTP CONNECT, every hop of a chain) to that
     * target, then closes. Off by default (passive health only).
     *
     * @param check {@code connect} or {@code connect:HOST:PORT} (an IPv6 address in brackets)
     * @return a copy with it
     * @throws IllegalArgumentException when not of that form
     */
    public UpstreamGroup healthCheck(String check) {
        Objects.requireNonNull(check, "healthCheck");
        if (!check.equals("connect")) {
            HealthChecks.target(check);
        }
        return new UpstreamGroup(name, upstreams, strategy, maxFails, failTimeout, attempts, fallbackDirect, check,
                healthInterval);
    }

    /**
     * @param interval the time from the end of one check of an upstream to the start of the
     *                 next; positive, at most a day; default 10 s; used once {@link #healthCheck(String)} is set
     * @return a copy with it
     * @throws IllegalArgumentException when zero, negative or over a day
     */
    public UpstreamGroup healthInterval(Duration interval) {
        Objects.requireNonNull(interval, "healthInterval");
        if (interval.isNegative() || interval.isZero() || interval.compareTo(MAX_FAIL_TIMEOUT) > 0) {
            throw new IllegalArgumentException("healthInterval: " + interval + " (expected: > 0 and <= "
                    + MAX_FAIL_TIMEOUT + ")");
        }
        return new UpstreamGroup(name, upstreams, strategy, maxFails, failTimeout, attempts, fallbackDirect,
                healthCheck, interval);
    }

    /** @return the group's name */
    public String name() {
        return name;
    }

    /** @return the upstreams, in the order given */
    public List<Upstream> upstreams() {
        return upstreams;
    }

    /** @return the selection strategy */
    public Strategy strategy() {
        return strategy;
    }

    /** @return failures that mark an upstream down */
    public int maxFails() {
        return maxFails;
    }

    /** @return the failure window and the time an upstream stays down */
    public Duration failTimeout() {
        return failTimeout;
    }

    /** @return upstreams tried per request */
    public int attempts() {
        return attempts;
    }

    /** @return whether requests go direct when every upstream is down */
    public boolean fallbackDirect() {
        return fallbackDirect;
    }

    /** @return {@code connect}, {@code connect:HOST:PORT}, or {@code null} when health is passive only */
    public String healthCheck() {
        return healthCheck;
    }

    /** @return the time between two checks of one upstream */
    public Duration healthInterval() {
        return healthInterval;
    }

    @Override
    public String toString() {
        return name + upstreams + " " + strategy.name().toLowerCase(java.util.Locale.ROOT)
                + (healthCheck == null ? "" : " health=" + healthCheck + " every " + healthInterval);
    }
}
