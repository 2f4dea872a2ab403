package dev.sallyport.api;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Objects;

/**
 * A session that is open: what {@link SessionListener#opened} receives once admission decided its
 * target, and what {@code ProxyManager.sessions()} lists until it closes.
 *
 * @param id            the session's number, the {@link SessionSummary#id()} of its summary
 * @param protocol      the protocol
 * @param command       the command
 * @param client        the client's address
 * @param listener      the proxy address the client connected to
 * @param user          the authenticated user name, or {@code null} for an anonymous session
 * @param targetHost    the target as the client named it (for UDP ASSOCIATE, the address the
 *                      client said it would send from)
 * @param targetPort    the target port
 * @param targetAddress the address the rules checked and the proxy dials, or {@code null} where
 *                      there is no single target (UDP ASSOCIATE)
 * @param route         how the target is reached; {@code direct} today
 * @param started       when the session started: the client connected, or for a request on
 *                      an HTTP keep-alive connection, the request arrived
 * @param bytesUp       bytes relayed from the client so far (0 when opened; HTTP requests
 *                      count theirs when they end)
 * @param bytesDown     bytes relayed to the client so far, likewise
 */
public record LiveSession(long id, Protocol protocol, Command command, InetSocketAddress client,
                          InetSocketAddress listener, String user, String targetHost, int targetPort,
                          InetAddress targetAddress, String route, Instant started, long bytesUp,
                          long bytesDown) {
    /**
     * Checks that the fields every session has are present.
     *
     * @param id            the session's number, the {@link SessionSummary#id()} of its summary
     * @param protocol      the protocol
     * @param command       the command
     * @param client        the client's address
     * @param listener      the proxy address the client connected to
     * @param user          the authenticated user name, or {@code null} for an anonymous session
     * @param targetHost    the target as the client named it (for UDP ASSOCIATE, the address the
     *                      client said it would send from)
     * @param targetPort    the target port
     * @param targetAddress the address the rules checked and the proxy dials, or {@code null} where
     *                      there is no single target (UDP ASSOCIATE)
     * @param route         how the target is reached; {@code direct} today
     * @param started       when the session started: the client connected, or for a request on
     *                      an HTTP keep-alive connection, the request arrived
     * @param bytesUp       bytes relayed from the client so far (0 when opened; HTTP requests
     *                      count theirs when they end)
     * @param bytesDown     bytes relayed to the client so far, likewise
     */
    public LiveSession {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(targetHost, "targetHost");
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(started, "started");
    }
}
