package dev.sallyport.api;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Where a login attempt comes from.
 *
 * @param client   the client's address
 * @param protocol the protocol that carried the credentials
 */
public record AuthContext(InetSocketAddress client, Protocol protocol) {
    /**
     * Checks that no component is null.
     *
     * @param client the client's address
     * @param protocol the protocol that carried the credentials
     */
    public AuthContext {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(protocol, "protocol");
    }
}
