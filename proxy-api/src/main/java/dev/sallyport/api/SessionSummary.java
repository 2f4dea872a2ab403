package dev.sallyport.api;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One session, reported once to every {@link MetricsSink} when it ends.
 *
 * @param id          a process-unique session number
 * @param user        the authenticated user name, or {@code null} for anonymous sessions
 * @param client      the client's address
 * @param protocol    the protocol
 * @param command     the command, or {@code null} when the client never made a request
 * @param targetHost  the target as the client named it, or {@code null} without a request
 * @param targetPort  the target port, or 0 without a request
 * @param bytesUp     bytes relayed from the client to the target
 * @param bytesDown   bytes relayed from the target to the client
 * @param started     when the client connected
 * @param duration    how long the session lasted
 * @param outcome     how it ended
 * @param rule        the rule or limit that decided a refusal, or {@code null}
 * @param triedUser   for a refused login ({@link Outcome#AUTH_FAILED}), the user name the client
 *                    tried (never a password or token), at most {@link #MAX_TRIED_USER} characters
 *                    with control characters replaced; {@code null} otherwise and for a bearer token
 * @param route       how the target was reached: {@code direct}, {@code direct:ADDR,...}, an upstream
 *                    group's name; {@code null} when the request was refused before its route was chosen
 * @param upstream    the group and upstream proxy the tunnel went through ({@code eu/10.0.0.5:1080}),
 *                    or {@code null} for direct routes and failed connects
 */
public record SessionSummary(long id, String user, InetSocketAddress client, Protocol protocol,
                             Command command, String targetHost, int targetPort, long bytesUp,
                             long bytesDown, Instant started, Duration duration, Outcome outcome,
                             String rule, String triedUser, String route, String upstream) {

    /** The longest {@link #triedUser()} kept, in chars; a longer name is cut. */
    public static final int MAX_TRIED_USER = 64;

    /**
     * Checks that the required components are not null.
     *
     * @param id a process-unique session number
     * @param user the authenticated user name, or {@code null} for anonymous sessions
     * @param client the client's address
     * @param protocol the protocol
     * @param command the command, or {@code null} when the client never made a request
     * @param targetHost the target as the client named it, or {@code null} without a request
     * @param targetPort the target port, or 0 without a request
     * @param bytesUp bytes relayed from the client to the target
     * @param bytesDown bytes relayed from the target to the client
     * @param started when the client connected
     * @param duration how long the session lasted
     * @param outcome how it ended
     * @param rule the rule or limit that decided a refusal, or {@code null}
     * @param triedUser the user name a refused login tried, or {@code null}; bounded here
     * @param route the route's name, or {@code null}
     * @param upstream the group and upstream proxy, or {@code null}
     */
    public SessionSummary {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(started, "started");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(outcome, "outcome");
        triedUser = bounded(triedUser);
    }

    /**
     * A summary without a route (the shape before {@code route} and {@code upstream} existed).
     *
     * @param id a process-unique session number
     * @param user the authenticated user name, or {@code null} for anonymous sessions
     * @param client the client's address
     * @param protocol the protocol
     * @param command the command, or {@code null} when the client never made a request
     * @param targetHost the target as the client named it, or {@code null} without a request
     * @param targetPort the target port, or 0 without a request
     * @param bytesUp bytes relayed from the client to the target
     * @param bytesDown bytes relayed from the target to the client
     * @param started when the client connected
     * @param duration how long the session lasted
     * @param outcome how it ended
     * @param rule the rule or limit that decided a refusal, or {@code null}
     * @param triedUser the user name a refused login tried, or {@code null}; bounded here
     */
    public SessionSummary(long id, String user, InetSocketAddress client, Protocol protocol, Command command,
                          String targetHost, int targetPort, long bytesUp, long bytesDown, Instant started,
                          Duration duration, Outcome outcome, String rule, String triedUser) {
        this(id, user, client, protocol, command, targetHost, targetPort, bytesUp, bytesDown, started, duration,
                outcome, rule, triedUser, null, null);
    }

    /**
     * A summary without a tried user name (the shape before {@code triedUser} existed).
     *
     * @param id a process-unique session number
     * @param user the authenticated user name, or {@code null} for anonymous sessions
     * @param client the client's address
     * @param protocol the protocol
     * @param command the command, or {@code null} when the client never made a request
     * @param targetHost the target as the client named it, or {@code null} without a request
     * @param targetPort the target port, or 0 without a request
     * @param bytesUp bytes relayed from the client to the target
     * @param bytesDown bytes relayed from the target to the client
     * @param started when the client connected
     * @param duration how long the session lasted
     * @param outcome how it ended
     * @param rule the rule or limit that decided a refusal, or {@code null}
     */
    public SessionSummary(long id, String user, InetSocketAddress client, Protocol protocol, Command command,
                          String targetHost, int targetPort, long bytesUp, long bytesDown, Instant started,
                          Duration duration, Outcome outcome, String rule) {
        this(id, user, client, protocol, command, targetHost, targetPort, bytesUp, bytesDown, started, duration,
                outcome, rule, null, null, null);
    }

    /** Cut to {@link #MAX_TRIED_USER} chars (not inside a surrogate pair), control characters replaced by U+FFFD. */
    private static String bounded(String name) {
        if (name == null) {
            return null;
        }
        int end = Math.min(name.length(), MAX_TRIED_USER);
        if (end < name.length() && Character.isHighSurrogate(name.charAt(end - 1))) {
            end--;
        }
        boolean clean = end == name.length();
        for (int i = 0; clean && i < end; i++) {
            clean = !Character.isISOControl(name.charAt(i));
        }
        if (clean) {
            return name;
        }
        char[] chars = new char[end];
        for (int i = 0; i < end; i++) {
            char c = name.charAt(i);
            chars[i] = Character.isISOControl(c) ? '\uFFFD' : c;
        }
        return new String(chars);
    }
}
