package dev.sallyport.core.internal.policy;

import dev.sallyport.core.internal.net.Addresses;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.AccessRule;
import dev.sallyport.api.Decision;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;

/** Core's built-in rules, evaluated after the host's own: safe defaults a host may override. */
public final class DefaultRules {

    private DefaultRules() {
    }

    public static List<AccessRule> all(List<InetSocketAddress> listeners) {
        return List.of(denyLinkLocal(), denySelf(listeners, Addresses.localAddresses()));
    }

    /** 169.254.0.0/16 and fe80::/10 host cloud metadata services; never a proxy's business. */
    static AccessRule denyLinkLocal() {
        return AccessRule.named("deny-link-local", request -> Addresses.isLinkLocal(request.resolvedAddress())
                ? Decision.deny("link-local target") : Decision.abstain());
    }

    /** A request to one of the proxy's own listening sockets would loop through the proxy. */
    static AccessRule denySelf(List<InetSocketAddress> listeners, Set<InetAddress> local) {
        return AccessRule.named("deny-self", request -> isSelf(request, listeners, local)
                ? Decision.deny("the proxy's own listener") : Decision.abstain());
    }

    private static boolean isSelf(AccessRequest request, List<InetSocketAddress> listeners, Set<InetAddress> local) {
        int port = request.request().targetPort();
        InetAddress target = Addresses.unmapped(Addresses.withoutScope(request.resolvedAddress()));
        for (InetSocketAddress listener : listeners) {
            if (listener.getPort() != port) {
                continue;
            }
            InetAddress bound = listener.getAddress();
            if (target.isAnyLocalAddress() || target.equals(bound)
                    || (target.isLoopbackAddress() && bound.isLoopbackAddress())
                    || (bound.isAnyLocalAddress() && (target.isLoopbackAddress() || local.contains(target)))) {
                return true;
            }
        }
        return false;
    }
}
