package dev.sallyport.api;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What a client asked for, decoded by a protocol module and independent of its wire format.
 *
 * @param protocol    the protocol that carried the request
 * @param command     what the client wants done
 * @param client      the client's address
 * @param listener    the proxy address the client connected to
 * @param credentials what the client presented, {@link Credentials#none()} if nothing
 * @param targetHost  the target as the client named it: a host name or an IP literal
 * @param targetPort  the target port, 0 to 65535
 */
public record ProxyRequest(Protocol protocol, Command command, InetSocketAddress client,
                           InetSocketAddress listener, Credentials credentials, String targetHost,
                           int targetPort) {
    /**
     * Checks the components: none null, the port 0 to 65535.
     *
     * @param protocol the protocol that carried the request
     * @param command what the client wants done
     * @param client the client's address
     * @param listener the proxy address the client connected to
     * @param credentials what the client presented, {@link Credentials#none()} if nothing
     * @param targetHost the target as the client named it: a host name or an IP literal
     * @param targetPort the target port, 0 to 65535
     */
    public ProxyRequest {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(targetHost, "targetHost");
        if (targetPort < 0 || targetPort > 65535) {
            throw new IllegalArgumentException("targetPort: " + targetPort + " (expected: 0-65535)");
        }
    }
}
