package dev.sallyport.core.internal.policy;

import dev.sallyport.core.internal.net.Addresses;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.AccessRule;
import dev.sallyport.api.Decision;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Core's built-in rules. Most are safe defaults evaluated after the host's own rules, which may
 * override them; {@code deny-self} and {@code deny-protected} are not defaults but boundaries,
 * evaluated before the host's rules ({@link #isBoundary}): no allow rule, however broad, makes the
 * proxy's own listeners or the host's metrics and admin ports a proxy target.
 */
public final class DefaultRules {

    private DefaultRules() {
    }

    /** The defaults of a proxy on loopback with nothing else to protect. */
    public static List<AccessRule> all(List<InetSocketAddress> listeners) {
        return all(listeners, List.of(), false);
    }

    /**
     * The defaults: link-local targets, the proxy's own {@code listeners} and the host's
     * {@code protectedAddresses} are denied; with {@code denyLocal} (a listener beyond loopback)
     * so are loopback and every address of this host.
     */
    public static List<AccessRule> all(List<InetSocketAddress> listeners, List<InetSocketAddress> protectedAddresses,
                                       boolean denyLocal) {
        return all(listeners, protectedAddresses, denyLocal, Addresses.localAddresses());
    }

    static List<AccessRule> all(List<InetSocketAddress> listeners, List<InetSocketAddress> protectedAddresses,
                                boolean denyLocal, Set<InetAddress> local) {
        List<AccessRule> rules = new ArrayList<>(List.of(denyLinkLocal(), denySelf(listeners, local)));
        if (!protectedAddresses.isEmpty()) {
            rules.add(denyProtected(protectedAddresses, local));
        }
        if (denyLocal) {
            rules.add(denyLocal(local));
        }
        return List.copyOf(rules);
    }

    /** 169.254.0.0/16 and fe80::/10 host cloud metadata services; never a proxy's business. */
    static AccessRule denyLinkLocal() {
        return AccessRule.named("deny-link-local", request -> Addresses.isLinkLocal(request.resolvedAddress())
                ? Decision.deny("link-local target") : Decision.abstain());
    }

    /** A request to one of the proxy's own listening sockets would loop through the proxy. */
    static AccessRule denySelf(List<InetSocketAddress> listeners, Set<InetAddress> local) {
        return new Boundary("deny-self", request -> isOneOf(request, listeners, local)
                ? Decision.deny("the proxy's own listener") : Decision.abstain());
    }

    /**
     * The host's other servers (a metrics or admin port, forward auth) that proxy users must not
     * reach, even when a host rule allows loopback (their callers on loopback are trusted).
     */
    static AccessRule denyProtected(List<InetSocketAddress> protectedAddresses, Set<InetAddress> local) {
        return new Boundary("deny-protected", request -> isOneOf(request, protectedAddresses, local)
                ? Decision.deny("a protected address of the proxy's host") : Decision.abstain());
    }

    /** Whether {@code rule} is a boundary: evaluated before the host's rules, which cannot override it. */
    public static boolean isBoundary(AccessRule rule) {
        return rule instanceof Boundary;
    }

    /** A built-in rule no host rule overrides. */
    private record Boundary(String name, AccessRule rule) implements AccessRule {
        @Override
        public Decision evaluate(AccessRequest request) {
            return rule.evaluate(request);
        }
    }

    /**
     * On a listener beyond loopback, a remote client must not reach services that trust the
     * host's own addresses (loopback-only admin ports, the host's SSH): Squid's {@code to_localhost}.
     */
    static AccessRule denyLocal(Set<InetAddress> local) {
        return AccessRule.named("deny-local", request -> {
            InetAddress target = target(request);
            return target.isLoopbackAddress() || target.isAnyLocalAddress() || local.contains(target)
                    ? Decision.deny("an address of the proxy's own host") : Decision.abstain();
        });
    }

    private static InetAddress target(AccessRequest request) {
        return Addresses.unmapped(Addresses.withoutScope(request.resolvedAddress()));
    }

    private static boolean isOneOf(AccessRequest request, List<InetSocketAddress> sockets, Set<InetAddress> local) {
        int port = request.request().targetPort();
        InetAddress target = target(request);
        for (InetSocketAddress socket : sockets) {
            if (socket.getPort() != port) {
                continue;
            }
            InetAddress bound = Addresses.unmapped(socket.getAddress());
            if (target.isAnyLocalAddress() || target.equals(bound)
                    || (target.isLoopbackAddress() && bound.isLoopbackAddress())
                    || (bound.isAnyLocalAddress() && (target.isLoopbackAddress() || local.contains(target)))) {
                return true;
            }
        }
        return false;
    }
}
