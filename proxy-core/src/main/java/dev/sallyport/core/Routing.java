package dev.sallyport.core;

import dev.sallyport.core.internal.route.RouteMatch;

import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How admitted requests reach their targets, for {@link ProxyManager.Builder#routing}: ordered
 * route rules, the first that matches wins, and a request no rule matches goes direct. Routing
 * runs after the access rules and limits: a request the rules deny is never routed, and the
 * rules always check the locally resolved addresses (deny-private and the link-local and self
 * defaults hold through every upstream). An upstream is sent the host name as the client asked
 * (socks5h semantics).
 *
 * <p>A match is {@code *}, a destination CIDR or address ({@code 10.0.0.0/8}), a domain pattern
 * ({@code example.com}, {@code *.example.com}), {@code port:N[-M][,...]}, {@code user:NAME},
 * {@code attr:KEY=VALUE} (a principal attribute), or {@code client:CIDR}; several joined with
 * {@code &} must all hold. A target is {@code direct}, {@code direct:ADDR[,ADDR...]} (from one
 * of these local source addresses), {@code deny}, or an upstream group's name. Plain
 * {@code direct} dials from the {@link Builder#egress} addresses when given. A user keeps one
 * source address of a list (by name); anonymous requests take them in turn.
 *
 * <p>BIND and UDP ASSOCIATE always go direct, from the address the kernel picks; a rule that
 * sends one to an upstream group or denies it refuses it (SOCKS "not allowed by ruleset").
 *
 * <pre>{@code
 * Routing routing = Routing.builder()
 *     .group(UpstreamGroup.of("eu", Upstream.parse("socks5://10.0.0.5:1080"), Upstream.parse("socks5://10.0.0.6:1080")))
 *     .route("attr:upstream=eu", "eu")
 *     .route("*.internal.example.com", "direct")
 *     .route("port:25", "deny")
 *     .egress("192.0.2.10", "192.0.2.11")
 *     .build();
 * }</pre>
 */
public final class Routing {

    private static final Routing DIRECT = new Routing(Map.of(), List.of(), List.of(), List.of());

    /** One rule: the match and the target, as given. */
    public record Rule(String match, String target) {
    }

    private final Map<String, UpstreamGroup> groups;
    private final List<Rule> rules;
    private final List<InetAddress> egress;
    private final List<X509Certificate> trust;

    private Routing(Map<String, UpstreamGroup> groups, List<Rule> rules, List<InetAddress> egress,
                    List<X509Certificate> trust) {
        this.groups = groups;
        this.rules = rules;
        this.egress = egress;
        this.trust = trust;
    }

    /** @return routing that sends everything direct, from the address the kernel picks: the default */
    public static Routing direct() {
        return DIRECT;
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the upstream groups by name, in the order given */
    public Map<String, UpstreamGroup> groups() {
        return groups;
    }

    /** @return the route rules, in order */
    public List<Rule> rules() {
        return rules;
    }

    /** @return the default source addresses of direct routes; empty for the kernel's choice */
    public List<InetAddress> egress() {
        return egress;
    }

    /** @return certificates trusted for HTTPS upstreams; empty for the JDK's trust store */
    public List<X509Certificate> trust() {
        return trust;
    }

    @Override
    public String toString() {
        return "Routing" + rules + " groups " + groups.values() + (egress.isEmpty() ? "" : " egress " + egress);
    }

    /** Builds a {@link Routing}; each method checks its argument at once. Not thread-safe. */
    public static final class Builder {

        private final Map<String, UpstreamGroup> groups = new LinkedHashMap<>();
        private final List<Rule> rules = new ArrayList<>();
        private final List<InetAddress> egress = new ArrayList<>();
        private final List<X509Certificate> trust = new ArrayList<>();

        private Builder() {
        }

        /**
         * Adds an upstream group, or replaces the one of the same name.
         *
         * @param group the group
         * @return this builder
         */
        public Builder group(UpstreamGroup group) {
            Objects.requireNonNull(group, "group");
            groups.put(group.name(), group);
            return this;
        }

        /**
         * Appends a route rule.
         *
         * @param match  which requests (see the class description)
         * @param target {@code direct}, {@code direct:ADDR[,ADDR...]}, {@code deny} or a group name
         * @return this builder
         * @throws IllegalArgumentException when the match or a source address cannot be parsed
         */
        public Builder route(String match, String target) {
            Objects.requireNonNull(match, "match");
            Objects.requireNonNull(target, "target");
            RouteMatch.parse(match);
            if (target.startsWith("direct:")) {
                RouteMatch.addresses("route " + match, target.substring("direct:".length()));
            }
            rules.add(new Rule(match.trim(), target.trim()));
            return this;
        }

        /**
         * Sets the source addresses of plain {@code direct} routes (each must be a local address).
         *
         * @param addresses address literals, none for the kernel's choice (the default)
         * @return this builder
         * @throws IllegalArgumentException when one is not an address literal
         */
        public Builder egress(String... addresses) {
            Objects.requireNonNull(addresses, "addresses");
            egress.clear();
            egress.addAll(RouteMatch.addresses("egress", String.join(",", addresses)));
            return this;
        }

        /**
         * Trusts these certificates (instead of the JDK's trust store) for HTTPS upstreams.
         *
         * @param certificates CA or self-signed certificates
         * @return this builder
         */
        public Builder trust(X509Certificate... certificates) {
            Objects.requireNonNull(certificates, "certificates");
            trust.clear();
            trust.addAll(List.of(certificates));
            return this;
        }

        /**
         * @return the routing
         * @throws IllegalStateException when a rule names a group that was not added
         */
        public Routing build() {
            for (Rule rule : rules) {
                String t = rule.target();
                if (!t.equals("direct") && !t.startsWith("direct:") && !t.equals("deny") && !groups.containsKey(t)) {
                    throw new IllegalStateException("route " + rule.match() + ": target '" + t
                            + "' (expected: direct, direct:ADDR, deny or a group: " + groups.keySet() + ")");
                }
            }
            return new Routing(Collections.unmodifiableMap(new LinkedHashMap<>(groups)), List.copyOf(rules),
                    List.copyOf(egress), List.copyOf(trust));
        }
    }
}
