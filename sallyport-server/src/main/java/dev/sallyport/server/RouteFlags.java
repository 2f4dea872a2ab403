package dev.sallyport.server;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Routing;
import dev.sallyport.core.Upstream;
import dev.sallyport.core.UpstreamGroup;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The routing flags of {@code serve}: upstream proxy groups, ordered route rules and default
 * source addresses, turned into one {@link Routing}. In the config file they are
 * {@code upstream.NAME=URL[,URL...][;OPTION=VALUE...]}, {@code route.N=MATCH=TARGET} (applied in the
 * order of N) and {@code egress=ADDR[,ADDR...]}. Messages and logs never show an upstream's password.
 */
final class RouteFlags {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RouteFlags.class);

    @Option(names = "--upstream", paramLabel = "NAME=URL[,URL...][;OPTION=VALUE...]", description = "An upstream "
            + "proxy group: URLs socks5://[USER:PASS@]HOST:PORT, http://... or https://... (optionally ?weight=N), "
            + "a chain of hops as URL>URL (first hop first; quote it in a shell), "
            + "options strategy=round-robin|weighted-random|least-active|hash-user|hash-destination|failover, "
            + "max-fails=N, fail-timeout=DURATION (e.g. 10s), attempts=N, fallback=direct, "
            + "health=connect|connect:HOST:PORT, health-interval=DURATION (default 10s). Repeatable.")
    List<String> upstreams = new ArrayList<>();

    /** The {@code upstream.NAME} keys of a config file: like {@code --upstream}, but not on the command line. */
    @Option(names = "--config-upstream", hidden = true)
    List<String> configUpstreams = new ArrayList<>();

    @Option(names = "--route", paramLabel = "MATCH=TARGET", description = "A route rule, in order, first match wins: "
            + "MATCH is *, a CIDR, a domain pattern (*.example.com), port:N[-M], user:NAME, attr:KEY=VALUE or "
            + "client:CIDR (joined by &); TARGET is an upstream group, direct, direct:ADDR[,ADDR...] or deny. "
            + "Unmatched requests go direct. Repeatable.")
    List<String> routes = new ArrayList<>();

    @Option(names = "--egress", paramLabel = "ADDR[,ADDR...]", description = "Local source addresses of direct "
            + "routes (a user keeps one of them).")
    String egress;

    /** Sets the routing on {@code builder} when a flag was given; a bad value is a usage error naming its flag. */
    void apply(ProxyManager.Builder builder, Function<String, CommandLine.ParameterException> usage) {
        if (upstreams.isEmpty() && configUpstreams.isEmpty() && routes.isEmpty() && egress == null) {
            return;
        }
        Routing.Builder routing = Routing.builder();
        boolean passwordOnCommandLine = false;
        for (String upstream : allUpstreams()) {
            try {
                UpstreamGroup group = group(upstream);
                routing.group(group);
                passwordOnCommandLine |= upstreams.contains(upstream)
                        && group.upstreams().stream().flatMap(u -> u.hops().stream())
                        .anyMatch(hop -> hop.password() != null && !hop.password().isEmpty());
            } catch (IllegalArgumentException e) {
                throw usage.apply("--upstream: " + e.getMessage());
            }
        }
        if (passwordOnCommandLine) {
            log.warn("--upstream with USER:PASS shows the upstream's password to every local user (ps, /proc/PID/cmdline); "
                    + "put it in the --config file as upstream.NAME=URL (a file only its owner may read)");
        }
        for (String route : routes) {
            // The match may hold '=' (attr:KEY=VALUE); the target never does.
            int eq = route.lastIndexOf('=');
            if (eq <= 0 || eq == route.length() - 1) {
                throw usage.apply("--route: '" + route + "' (expected: MATCH=TARGET)");
            }
            try {
                routing.route(route.substring(0, eq), route.substring(eq + 1));
            } catch (IllegalArgumentException e) {
                throw usage.apply("--route: " + e.getMessage());
            }
        }
        try {
            if (egress != null) {
                routing.egress(egress.split(","));
            }
        } catch (IllegalArgumentException e) {
            throw usage.apply("--egress: " + e.getMessage());
        }
        try {
            builder.routing(routing.build());
        } catch (IllegalStateException e) {
            throw usage.apply("--route: " + e.getMessage());
        }
    }

    /** Adds the routing flags that were given to the effective-configuration line, upstream logins masked. */
    void describe(Map<String, Object> settings) {
        if (!allUpstreams().isEmpty()) {
            // Parsed again (they were checked at apply): the group's own text never shows a password.
            settings.put("upstream", allUpstreams().stream().map(text -> group(text).toString()).toList());
        }
        if (!routes.isEmpty()) {
            settings.put("route", routes);
        }
        if (egress != null) {
            settings.put("egress", egress);
        }
    }

    /** The config file's groups, then the command line's. */
    private List<String> allUpstreams() {
        List<String> all = new ArrayList<>(configUpstreams);
        all.addAll(upstreams);
        return all;
    }

    /** Parses {@code NAME=URL[,URL...][;OPTION=VALUE...]}; messages never show a password. */
    static UpstreamGroup group(String text) {
        try {
            return parseGroup(text);
        } catch (IllegalArgumentException e) {
            if (!splitsCredentials(text)) {
                throw e;
            }
            // With credentials in the text, a ',', ';' or '>' left unencoded in a password splits it, and
            // the error would quote a piece of it: name the group only.
            int eq = text.indexOf('=');
            String name = eq > 0 ? text.substring(0, eq).trim() : "?";
            throw new IllegalArgumentException("group " + (name.indexOf(':') < 0 && name.indexOf('@') < 0 ? name : "?")
                    + " does not parse (expected: NAME=URL[,URL...][;OPTION=VALUE...], with ',' ';' '>' '@' '%' in user "
                    + "names and passwords percent-encoded as %2C %3B %3E %40 %25)", null);
        }
    }

    /**
     * Whether a separator ({@code , ; >}) stands between a URL's {@code ://} and the last {@code @}
     * before the next URL: then the pieces the parser sees cut a user name or password apart.
     */
    static boolean splitsCredentials(String text) {
        for (int start = text.indexOf("://"); start >= 0; ) {
            int next = text.indexOf("://", start + 3);
            int end = next < 0 ? text.length() : next;
            int at = text.lastIndexOf('@', end - 1);
            if (at > start) {
                String userinfo = text.substring(start + 3, at);
                if (userinfo.indexOf(',') >= 0 || userinfo.indexOf(';') >= 0 || userinfo.indexOf('>') >= 0) {
                    return true;
                }
            }
            start = next;
        }
        return false;
    }

    private static UpstreamGroup parseGroup(String text) {
        String[] parts = text.split(";", -1);
        int eq = parts[0].indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("'" + redact(text) + "' (expected: NAME=URL[,URL...][;OPTION=VALUE...])");
        }
        List<Upstream> list = new ArrayList<>();
        for (String url : parts[0].substring(eq + 1).split(",", -1)) {
            list.add(Upstream.parse(url.trim()));
        }
        UpstreamGroup group = UpstreamGroup.of(parts[0].substring(0, eq).trim(), list.toArray(Upstream[]::new));
        for (int i = 1; i < parts.length; i++) {
            group = option(group, parts[i].trim());
        }
        return group;
    }

    private static UpstreamGroup option(UpstreamGroup group, String option) {
        int eq = option.indexOf('=');
        String key = eq < 0 ? option : option.substring(0, eq);
        String value = eq < 0 ? "" : option.substring(eq + 1).trim();
        return switch (key.trim()) {
            case "strategy" -> group.strategy(strategy(value));
            case "max-fails" -> group.maxFails(number(key, value));
            case "attempts" -> group.attempts(number(key, value));
            case "fail-timeout" -> group.failTimeout(duration(key, value));
            case "fallback" -> {
                if (!value.equals("direct") && !value.equals("none")) {
                    throw new IllegalArgumentException("fallback: '" + value + "' (expected: direct or none)");
                }
                yield group.fallbackDirect(value.equals("direct"));
            }
            case "health" -> group.healthCheck(value);
            case "health-interval" -> group.healthInterval(duration(key, value));
            default -> throw new IllegalArgumentException("option '" + key + "' of group " + group.name()
                    + " (expected: strategy, max-fails, fail-timeout, attempts, fallback, health or health-interval)");
        };
    }

    private static UpstreamGroup.Strategy strategy(String value) {
        try {
            return UpstreamGroup.Strategy.valueOf(value.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("strategy: '" + value + "' (expected: round-robin, weighted-random, "
                    + "least-active, hash-user, hash-destination or failover)");
        }
    }

    private static int number(String key, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": '" + value + "' (expected: a whole number)");
        }
    }

    /** {@code 500ms}, {@code 10s}, {@code 5m}, or an ISO-8601 duration. */
    static Duration duration(String key, String value) {
        String v = value.toLowerCase(Locale.ROOT);
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            if (v.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            return Duration.parse(value);
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException(key + ": '" + value + "' (expected: a duration such as 500ms, 10s or 5m)");
        }
    }

    /** The text with any {@code user:password@} of its URLs shown as {@code user:***@}. */
    static String redact(String text) {
        return text.replaceAll("(://[^:/@,;>]*):[^@/,;>]*@", "$1:***@");
    }

    /** Whether a config-file key is one of routing's ({@link #configFlags} turns those into flags). */
    static boolean isConfigKey(String key) {
        return key.equals("egress") || key.startsWith("upstream.") || key.startsWith("route.");
    }

    /**
     * The routing keys of a config file as flags: {@code upstream.NAME=...}, {@code route.N=...} in
     * the numeric order of N, {@code egress=...}.
     */
    static List<String> configFlags(Properties properties, Path file) throws ConfigFile.UsageException {
        List<String> flags = new ArrayList<>();
        Map<Long, String> ordered = new TreeMap<>();
        for (String key : new java.util.TreeSet<>(properties.stringPropertyNames())) {
            String value = properties.getProperty(key).trim();
            if (key.startsWith("upstream.") && key.length() > "upstream.".length()) {
                flags.add("--config-upstream");
                flags.add(key.substring("upstream.".length()) + "=" + value);
            } else if (key.startsWith("route.")) {
                try {
                    ordered.put(Long.parseLong(key.substring("route.".length())), value);
                } catch (NumberFormatException e) {
                    throw new ConfigFile.UsageException("--config: " + key + " in " + file
                            + " (expected: route.N=MATCH=TARGET with N a number giving the order)");
                }
            } else if (key.equals("egress")) {
                flags.add("--egress");
                flags.add(value);
            }
        }
        ordered.values().forEach(route -> {
            flags.add("--route");
            flags.add(route);
        });
        return flags;
    }
}
