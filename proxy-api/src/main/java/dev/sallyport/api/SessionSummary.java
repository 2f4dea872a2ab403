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
 */
public record SessionSummary(long id, String user, InetSocketAddress client, Protocol protocol,
                             Command command, String targetHost, int targetPort, long bytesUp,
                             long bytesDown, Instant started, Duration duration, Outcome outcome,
                             String rule) {
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
     */
    public SessionSummary {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(started, "started");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(outcome, "outcome");
    }
}
