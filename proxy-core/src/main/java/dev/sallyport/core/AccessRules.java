package dev.sallyport.core;

import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.policy.Cidr;
import dev.sallyport.core.internal.policy.DomainPattern;
import dev.sallyport.core.internal.policy.PortSet;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.AccessRule;
import dev.sallyport.api.Decision;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Built-in {@link AccessRule}s. Rules are ordered and the first that does not abstain decides, so
 * they compose: {@code allow...} rules allow what they match and abstain otherwise,
 * {@code deny...} rules deny what they match, and {@code only...} rules deny everything they do
 * not match. Address rules see the address the proxy resolved and will connect to, so a name
 * cannot smuggle a private address past them (DNS rebinding).
 *
 * <pre>{@code
 * ProxyManager.builder().socks5(1080)
 *     .accessRule(AccessRules.allowClients("10.1.0.0/16"))
 *     .accessRule(AccessRules.onlyClients("10.0.0.0/8"))
 *     .accessRule(AccessRules.denyPrivateDestinations())
 *     .accessRule(AccessRules.onlyPorts("80,443"))
 *     .accessRule(AccessRules.userAttributes())
 *     .start();
 * }</pre>
 *
 * <p>Every factory validates its arguments at once and names the bad one.
 */
public final class AccessRules {

    /**
     * Destinations the {@link #denyPrivateDestinations()} preset refuses: private, loopback,
     * link-local (cloud metadata), CGNAT, unique-local, multicast, reserved and unspecified
     * ranges of IPv4 and IPv6, and the deprecated IPv4-compatible {@code ::/96} (IPv4-mapped,
     * IPv4-compatible, NAT64 and 6to4 addresses are also checked as the IPv4 address they carry).
     */
    public static final List<String> PRIVATE_RANGES = List.of(
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
            "224.0.0.0/4", "240.0.0.0/4",
            "::/128", "::1/128", "::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10",
            "ff00::/8");

    /** Principal attribute read by {@link #userAttributes()}: the ports the user may reach. */
    public static final String ATTRIBUTE_PORTS = "allow-ports";
    /** Principal attribute read by {@link #userAttributes()}: the domains the user may reach. */
    public static final String ATTRIBUTE_DOMAINS = "allow-domains";
    /** Principal attribute read by {@link #userAttributes()}: the destination ranges the user may reach. */
    public static final String ATTRIBUTE_DESTINATIONS = "allow-destinations";

    private AccessRules() {
    }

    /**
     * Allows clients whose address is in one of {@code cidrs}; abstains for others.
     *
     * @param cidrs client ranges in CIDR notation, e.g. {@code 10.0.0.0/8}
     * @return the rule
     */
    public static AccessRule allowClients(String... cidrs) {
        Cidr[] ranges = cidrs("allowClients", cidrs);
        return rule("allow-clients " + join(ranges), r -> in(ranges, r.request().client().getAddress())
                ? Decision.allow("client in " + join(ranges)) : Decision.abstain());
    }

    /**
     * Denies clients whose address is in one of {@code cidrs}.
     *
     * @param cidrs client ranges in CIDR notation
     * @return the rule
     */
    public static AccessRule denyClients(String... cidrs) {
        Cidr[] ranges = cidrs("denyClients", cidrs);
        return rule("deny-clients " + join(ranges), r -> in(ranges, r.request().client().getAddress())
                ? Decision.deny("client in " + join(ranges)) : Decision.abstain());
    }

    /**
     * Denies every client whose address is not in one of {@code cidrs}.
     *
     * @param cidrs client ranges in CIDR notation
     * @return the rule
     */
    public static AccessRule onlyClients(String... cidrs) {
        Cidr[] ranges = cidrs("onlyClients", cidrs);
        return rule("only-clients " + join(ranges), r -> in(ranges, r.request().client().getAddress())
                ? Decision.abstain() : Decision.deny("client not in " + join(ranges)));
    }

    /**
     * Allows destinations (resolved addresses) in one of {@code cidrs}; abstains for others.
     *
     * @param cidrs destination ranges in CIDR notation
     * @return the rule
     */
    public static AccessRule allowDestinations(String... cidrs) {
        Cidr[] ranges = cidrs("allowDestinations", cidrs);
        return rule("allow-destinations " + join(ranges), r -> in(ranges, r.resolvedAddress())
                ? Decision.allow("destination in " + join(ranges)) : Decision.abstain());
    }

    /**
     * Denies destinations (resolved addresses) in one of {@code cidrs}.
     *
     * @param cidrs destination ranges in CIDR notation
     * @return the rule
     */
    public static AccessRule denyDestinations(String... cidrs) {
        Cidr[] ranges = cidrs("denyDestinations", cidrs);
        return rule("deny-destinations " + join(ranges), r -> in(ranges, r.resolvedAddress())
                ? Decision.deny("destination in " + join(ranges)) : Decision.abstain());
    }

    /**
     * Denies every destination (resolved address) not in one of {@code cidrs}.
     *
     * @param cidrs destination ranges in CIDR notation
     * @return the rule
     */
    public static AccessRule onlyDestinations(String... cidrs) {
        Cidr[] ranges = cidrs("onlyDestinations", cidrs);
        return rule("only-destinations " + join(ranges), r -> in(ranges, r.resolvedAddress())
                ? Decision.abstain() : Decision.deny("destination not in " + join(ranges)));
    }

    /**
     * The preset: denies every range in {@link #PRIVATE_RANGES}. Named {@code deny-private}.
     *
     * @return the rule
     */
    public static AccessRule denyPrivateDestinations() {
        Cidr[] ranges = cidrs("denyPrivateDestinations", PRIVATE_RANGES.toArray(String[]::new));
        return rule("deny-private", r -> in(ranges, r.resolvedAddress())
                ? Decision.deny("private or reserved destination") : Decision.abstain());
    }

    /**
     * Allows targets named by a matching pattern ({@code example.com}, {@code *.example.com}).
     *
     * @param patterns domain patterns
     * @return the rule
     */
    public static AccessRule allowDomains(String... patterns) {
        DomainPattern[] p = patterns("allowDomains", patterns);
        return rule("allow-domains " + join(p), r -> matches(p, r.request().targetHost())
                ? Decision.allow("domain matches " + join(p)) : Decision.abstain());
    }

    /**
     * Denies targets named by a matching pattern.
     *
     * @param patterns domain patterns
     * @return the rule
     */
    public static AccessRule denyDomains(String... patterns) {
        DomainPattern[] p = patterns("denyDomains", patterns);
        return rule("deny-domains " + join(p), r -> matches(p, r.request().targetHost())
                ? Decision.deny("domain matches " + join(p)) : Decision.abstain());
    }

    /**
     * Denies every target not named by a matching pattern (IP literals never match).
     *
     * @param patterns domain patterns
     * @return the rule
     */
    public static AccessRule onlyDomains(String... patterns) {
        DomainPattern[] p = patterns("onlyDomains", patterns);
        return rule("only-domains " + join(p), r -> matches(p, r.request().targetHost())
                ? Decision.abstain() : Decision.deny("domain not in " + join(p)));
    }

    /**
     * Allows target ports in {@code ports} ({@code 80,443,8000-8100}); abstains for others.
     *
     * @param ports ports and port ranges, comma separated
     * @return the rule
     */
    public static AccessRule allowPorts(String ports) {
        PortSet set = PortSet.parse("allowPorts", ports);
        return rule("allow-ports " + set, r -> set.contains(r.request().targetPort())
                ? Decision.allow("port in " + set) : Decision.abstain());
    }

    /**
     * Denies target ports in {@code ports}.
     *
     * @param ports ports and port ranges, comma separated
     * @return the rule
     */
    public static AccessRule denyPorts(String ports) {
        PortSet set = PortSet.parse("denyPorts", ports);
        return rule("deny-ports " + set, r -> set.contains(r.request().targetPort())
                ? Decision.deny("port in " + set) : Decision.abstain());
    }

    /**
     * Denies every target port not in {@code ports}.
     *
     * @param ports ports and port ranges, comma separated
     * @return the rule
     */
    public static AccessRule onlyPorts(String ports) {
        PortSet set = PortSet.parse("onlyPorts", ports);
        return rule("only-ports " + set, r -> set.contains(r.request().targetPort())
                ? Decision.abstain() : Decision.deny("port not in " + set));
    }

    /**
     * Per-user restrictions from the principal's attributes, set by the auth backend:
     * {@value #ATTRIBUTE_PORTS} (e.g. {@code 80,443}), {@value #ATTRIBUTE_DOMAINS} (e.g.
     * {@code example.com,*.example.org}) and {@value #ATTRIBUTE_DESTINATIONS} (CIDRs, comma
     * separated). A request outside any attribute the user has is denied; a user without these
     * attributes is not restricted. A malformed attribute denies (fail closed).
     *
     * @return the rule
     */
    public static AccessRule userAttributes() {
        return rule("user-attributes", AccessRules::checkAttributes);
    }

    private static Decision checkAttributes(AccessRequest r) {
        Map<String, String> attributes = r.principal().attributes();
        if (attributes.isEmpty()) {
            return Decision.abstain();
        }
        try {
            String ports = attributes.get(ATTRIBUTE_PORTS);
            if (ports != null && !PortSet.parse(ATTRIBUTE_PORTS, ports).contains(r.request().targetPort())) {
                return Decision.deny("port not in the user's " + ATTRIBUTE_PORTS);
            }
            String domains = attributes.get(ATTRIBUTE_DOMAINS);
            if (domains != null && !matches(patterns(ATTRIBUTE_DOMAINS, domains.split(",")), r.request().targetHost())) {
                return Decision.deny("domain not in the user's " + ATTRIBUTE_DOMAINS);
            }
            String destinations = attributes.get(ATTRIBUTE_DESTINATIONS);
            if (destinations != null && !in(cidrs(ATTRIBUTE_DESTINATIONS, destinations.split(",")), r.resolvedAddress())) {
                return Decision.deny("destination not in the user's " + ATTRIBUTE_DESTINATIONS);
            }
        } catch (IllegalArgumentException malformed) {
            return Decision.deny("malformed user attribute: " + malformed.getMessage());
        }
        return Decision.abstain();
    }

    private static AccessRule rule(String name, AccessRule rule) {
        return AccessRule.named(name, rule);
    }

    private static Cidr[] cidrs(String setting, String... values) {
        Objects.requireNonNull(values, setting);
        if (values.length == 0) {
            throw new IllegalArgumentException(setting + ": no ranges (expected: at least one CIDR)");
        }
        return Arrays.stream(values).map(v -> Cidr.parse(setting, v)).toArray(Cidr[]::new);
    }

    private static DomainPattern[] patterns(String setting, String... values) {
        Objects.requireNonNull(values, setting);
        if (values.length == 0) {
            throw new IllegalArgumentException(setting + ": no patterns (expected: at least one, e.g. *.example.com)");
        }
        return Arrays.stream(values).map(v -> DomainPattern.parse(setting, v)).toArray(DomainPattern[]::new);
    }

    private static boolean in(Cidr[] ranges, java.net.InetAddress address) {
        if (address == null) {
            return false;
        }
        for (Cidr range : ranges) {
            if (range.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(DomainPattern[] patterns, String host) {
        if (Addresses.literal(host) != null) {
            return false;
        }
        for (DomainPattern pattern : patterns) {
            if (pattern.matches(host)) {
                return true;
            }
        }
        return false;
    }

    private static String join(Object[] items) {
        return String.join(",", Arrays.stream(items).map(String::valueOf).toList());
    }
}
