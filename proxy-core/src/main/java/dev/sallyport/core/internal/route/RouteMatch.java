package dev.sallyport.core.internal.route;

import dev.sallyport.api.Principal;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.policy.Cidr;
import dev.sallyport.core.internal.policy.DomainPattern;
import dev.sallyport.core.internal.policy.PortSet;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which requests a route rule takes: {@code *}, a destination CIDR or address, a domain pattern,
 * {@code port:}, {@code user:}, {@code attr:KEY=VALUE} or {@code client:CIDR}; several joined by
 * {@code &} must all hold. A destination CIDR is matched against the address that will be dialled
 * (or the literal target when nothing was resolved).
 */
public final class RouteMatch {

    private static final String EXPECTED = "*, a CIDR, a domain pattern such as *.example.com, port:N[-M], user:NAME,"
            + " attr:KEY=VALUE or client:CIDR, joined by &";

    /** One condition. */
    @FunctionalInterface
    private interface Condition {
        boolean test(String host, int port, InetAddress address, Principal principal, InetAddress client);
    }

    private final String text;
    private final List<Condition> conditions;

    private RouteMatch(String text, List<Condition> conditions) {
        this.text = text;
        this.conditions = conditions;
    }

    /**
     * Parses a match.
     *
     * @throws IllegalArgumentException naming the match and the expected forms
     */
    public static RouteMatch parse(String text) {
        Objects.requireNonNull(text, "match");
        String setting = "route " + text.trim();
        List<Condition> conditions = new ArrayList<>();
        for (String part : text.split("&", -1)) {
            conditions.add(condition(setting, part.trim()));
        }
        return new RouteMatch(text.trim(), List.copyOf(conditions));
    }

    private static Condition condition(String setting, String part) {
        if (part.equals("*")) {
            return (host, port, address, principal, client) -> true;
        }
        if (part.startsWith("port:")) {
            PortSet ports = PortSet.parse(setting, part.substring(5));
            return (host, port, address, principal, client) -> ports.contains(port);
        }
        if (part.startsWith("user:")) {
            String name = part.substring(5);
            if (name.isEmpty()) {
                throw new IllegalArgumentException(setting + ": '" + part + "' (expected: user:NAME)");
            }
            return (host, port, address, principal, client) -> !principal.isAnonymous() && principal.name().equals(name);
        }
        if (part.startsWith("attr:")) {
            int eq = part.indexOf('=');
            if (eq < 6) {
                throw new IllegalArgumentException(setting + ": '" + part + "' (expected: attr:KEY=VALUE)");
            }
            String key = part.substring(5, eq);
            String value = part.substring(eq + 1);
            return (host, port, address, principal, client) -> value.equals(principal.attributes().get(key));
        }
        if (part.startsWith("client:")) {
            Cidr cidr = Cidr.parse(setting, part.substring(7));
            return (host, port, address, principal, client) -> client != null && cidr.contains(client);
        }
        if (part.isEmpty() || part.contains(":") && !part.contains("/") && Addresses.literal(part) == null
                && !part.startsWith("[")) {
            throw new IllegalArgumentException(setting + ": '" + part + "' (expected: " + EXPECTED + ")");
        }
        if (part.contains("/") || Addresses.literal(part) != null) {
            Cidr cidr = Cidr.parse(setting, part);
            return (host, port, address, principal, client) -> address != null && cidr.contains(address);
        }
        DomainPattern pattern = DomainPattern.parse(setting, part);
        return (host, port, address, principal, client) -> pattern.matches(host);
    }

    /** Parses a comma-separated list of address literals. */
    public static List<InetAddress> addresses(String setting, String text) {
        List<InetAddress> addresses = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            InetAddress address = Addresses.literal(part.trim());
            if (address == null) {
                throw new IllegalArgumentException(setting + ": '" + part.trim() + "' (expected: an IP address literal)");
            }
            addresses.add(address);
        }
        return addresses;
    }

    /** Whether every condition holds for the request. */
    boolean matches(String host, int port, InetAddress address, Principal principal, InetAddress client) {
        for (int i = 0; i < conditions.size(); i++) {
            if (!conditions.get(i).test(host, port, address, principal, client)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return text;
    }
}
