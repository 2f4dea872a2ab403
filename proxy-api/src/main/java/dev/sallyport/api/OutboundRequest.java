package dev.sallyport.api;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What an outbound connection is for, as a {@link ConnectionPool} sees it: the target as the
 * client asked for it, the address the access rules checked, who asked, and the route chosen.
 *
 * @param host      the target host as the client named it (a name or an address literal)
 * @param port      the target port
 * @param address   the resolved address the rules checked, with {@code port}
 * @param principal who asked; {@link Principal#anonymous()} on an open proxy
 * @param route     the route's name: {@code direct}, {@code direct via ADDRESS} for a chosen
 *                  source address, or {@code upstream GROUP}
 */
public record OutboundRequest(String host, int port, InetSocketAddress address, Principal principal, String route) {

    /**
     * Checks that no component is null.
     *
     * @param host      the target host as asked
     * @param port      the target port
     * @param address   the resolved target
     * @param principal who asked
     * @param route     the route's name
     */
    public OutboundRequest {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(route, "route");
    }
}
