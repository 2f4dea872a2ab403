package dev.sallyport.api;

import java.net.InetAddress;
import java.util.Objects;

/**
 * What an {@link AccessRule} decides on: the request, who made it, and the address the proxy
 * will connect to. Core resolves a name once, evaluates the rules against that address and
 * connects to exactly that address, so a name cannot resolve to something else later.
 *
 * @param request         the decoded request
 * @param principal       the authenticated user, or {@link Principal#anonymous()}
 * @param resolvedAddress the address the target resolved to
 */
public record AccessRequest(ProxyRequest request, Principal principal, InetAddress resolvedAddress) {
    /**
     * Checks that no component is null.
     *
     * @param request the decoded request
     * @param principal the authenticated user, or {@link Principal#anonymous()}
     * @param resolvedAddress the address the target resolved to
     */
    public AccessRequest {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(resolvedAddress, "resolvedAddress");
    }
}
