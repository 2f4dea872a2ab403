package dev.sallyport.core;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.InvalidSettingException;
import dev.sallyport.api.Limits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Reads proxy settings from a properties file into a {@link ProxyManager.Builder}: the keys of the
 * standalone server's {@code --config} file that configure the proxy itself (listeners, users,
 * rules, limits, TLS). Anything else (auth backends, metrics, timeouts) stays in code.
 *
 * <pre>{@code
 * try (ProxyManager proxy = ProxyProperties.apply(ProxyManager.builder(), Path.of("proxy.properties"))
 *         .metrics(sink)
 *         .start()) { ... }
 * }</pre>
 *
 * <table>
 * <caption>Keys</caption>
 * <tr><td>{@code bind}</td><td>listen address, as {@link ProxyManager.Builder#bind(String)}</td></tr>
 * <tr><td>{@code socks5}, {@code http}, {@code mixed}</td><td>listener ports, 0 for any free port</td></tr>
 * <tr><td>{@code tls-cert}, {@code tls-key}</td><td>PEM files, both or neither: the {@code http}
 *     listener serves TLS</td></tr>
 * <tr><td>{@code user.NAME}</td><td>an in-memory user and its password, or the password's hash ({@code pbkdf2-sha256$...} of {@code PasswordHashes.hash})</td></tr>
 * <tr><td>{@code allow-open-proxy}</td><td>{@code true} or {@code false}</td></tr>
 * <tr><td>{@code allow-ports}</td><td>only these target ports ({@code 80,443,8000-8100})</td></tr>
 * <tr><td>{@code allow}, {@code deny}</td><td>destination addresses or CIDRs, comma separated</td></tr>
 * <tr><td>{@code deny-private}</td><td>{@code true}: {@link AccessRules#denyPrivateDestinations()}</td></tr>
 * <tr><td>{@code bandwidth}</td><td>default bytes per second per user, each way: {@code 1048576},
 *     {@code 512K}, {@code 10M}, {@code 1G} (binary multiples)</td></tr>
 * <tr><td>{@code max-sessions-per-user}</td><td>default concurrent sessions per user, at least 1
 *     ({@code max-connections}, its old name, still works and logs a WARN)</td></tr>
 * <tr><td>{@code max-clients-per-ip}</td><td>connections open at once from one client IP, at least 1</td></tr>
 * <tr><td>{@code max-total-connections}</td><td>client connections open at once, all listeners
 *     together, at least 1 ({@link ProxyManager.Builder#maxConnections})</td></tr>
 * <tr><td>{@code max-bind-listeners}</td><td>BIND requests waiting at once per user, at least 1
 *     ({@link ProxyManager.Builder#maxBindListeners})</td></tr>
 * <tr><td>{@code proxy-protocol}</td><td>PROXY protocol on every listener, headers trusted from these
 *     comma-separated addresses or CIDRs ({@link ProxyManager.Builder#proxyProtocol(ProxyProtocolMode, String...)})</td></tr>
 * <tr><td>{@code proxy-protocol-mode}</td><td>{@code required} (the default) or {@code optional}, with
 *     {@code proxy-protocol}</td></tr>
 * <tr><td>{@code upstream-proxy-protocol}</td><td>{@code v1} or {@code v2}: a PROXY header towards targets
 *     ({@link ProxyManager.Builder#upstreamProxyProtocol})</td></tr>
 * <tr><td>{@code transport}</td><td>{@code auto} (the default), {@code io_uring}, {@code epoll} or
 *     {@code nio} ({@link ProxyManager.Builder#transport})</td></tr>
 * <tr><td>{@code io-threads}</td><td>I/O threads, 1-1024 ({@link ProxyManager.Builder#ioThreads})</td></tr>
 * </table>
 *
 * <p>Rules are appended in a fixed order, whatever the order in the file: {@code allow-ports}
 * first, then each {@code allow} (exceptions), each {@code deny}, and {@code deny-private}.
 * {@code bandwidth} and {@code max-sessions-per-user} together replace the builder's default limits.
 * A key that is absent leaves the builder as it was; values are trimmed. A file is read as
 * written, without the escapes of {@link Properties#load} ({@link #read}).
 *
 * <p>Every key and value is checked before the builder changes. An unknown key or a bad value
 * throws {@link InvalidSettingException} naming the key, reading {@code key: value (expected: ...)};
 * a password never appears in a message. A conflict with what the builder already holds (a listener set
 * twice) throws the builder's {@link IllegalStateException}.
 */
public final class ProxyProperties {

    private static final String USER = "user.";
    private static final String BOOLEAN = "true or false";
    private static final String PORT = "a port 0-65535, 0 for any free port";
    private static final String CIDR = "an address or CIDR such as 10.0.0.0/8 or fd00::/8";
    private static final String SESSIONS = "max-sessions-per-user";
    /** The old name of {@link #SESSIONS}, which read like the builder's global connection cap. */
    private static final String SESSIONS_DEPRECATED = "max-connections";
    private static final String PROXY_PROTOCOL = "proxy-protocol";
    private static final String PROXY_PROTOCOL_MODE = "proxy-protocol-mode";
    private static final String UPSTREAM_PROXY_PROTOCOL = "upstream-proxy-protocol";
    private static final Set<String> KEYS = Set.of("bind", "socks5", "http", "mixed", "tls-cert", "tls-key",
            "allow-open-proxy", "allow-ports", "allow", "deny", "deny-private", "bandwidth", SESSIONS,
            SESSIONS_DEPRECATED, "max-clients-per-ip", "max-total-connections", "max-bind-listeners", PROXY_PROTOCOL,
            PROXY_PROTOCOL_MODE, UPSTREAM_PROXY_PROTOCOL, "transport", "io-threads");
    private static final Logger log = LoggerFactory.getLogger(ProxyProperties.class);

    private ProxyProperties() {
    }

    /**
     * The keys {@link #apply(ProxyManager.Builder, Properties)} reads, besides {@code user.NAME};
     * {@code max-connections} among them is the deprecated name of {@code max-sessions-per-user}.
     *
     * @return the keys
     */
    public static Set<String> keys() {
        return KEYS;
    }

    /**
     * Reads {@code file} ({@link #read}) and applies it as {@link #apply(ProxyManager.Builder, Properties)} does.
     *
     * @param builder the builder to configure
     * @param file the settings file
     * @return {@code builder}
     * @throws UncheckedIOException     when the file cannot be read
     * @throws IllegalArgumentException when a line is malformed, or the file holds an unknown key or a bad value
     */
    public static ProxyManager.Builder apply(ProxyManager.Builder builder, Path file) {
        Objects.requireNonNull(builder, "builder");
        return apply(builder, read(file));
    }

    /**
     * Reads a settings file (UTF-8) as written: one {@code key=value} a line, the key before the
     * first {@code =} and the value after it, both trimmed; blank lines and lines starting with
     * {@code #} or {@code !} are skipped. Unlike {@link Properties#load}, nothing is unescaped: a
     * backslash is a character like any other, so {@code user.alice=pa\ss} is the password
     * {@code pa\ss}. Refused, naming the line: a line ending in a backslash (which
     * {@link Properties#load} would join to the next), a line without {@code =}, a key with a
     * space in it, a key set twice. Messages never hold a value.
     *
     * @param file the settings file
     * @return the settings
     * @throws UncheckedIOException     when the file cannot be read
     * @throws IllegalArgumentException naming the file and the line of the first malformed line
     */
    public static Properties read(Path file) {
        Objects.requireNonNull(file, "file");
        Properties properties = new Properties();
        Map<String, Integer> lineOf = new LinkedHashMap<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String text;
            for (int number = 1; (text = reader.readLine()) != null; number++) {
                String line = (number == 1 && text.startsWith("\uFEFF") ? text.substring(1) : text).strip();
                if (line.isEmpty() || line.charAt(0) == '#' || line.charAt(0) == '!') {
                    continue;
                }
                String where = file + " line " + number + ": ";
                int equals = line.indexOf('=');
                if (equals < 0) {
                    throw new IllegalArgumentException(where + "no '=' (expected: key=value)");
                }
                String key = line.substring(0, equals).strip();
                if (key.isEmpty()) {
                    throw new IllegalArgumentException(where + "no key before '=' (expected: key=value)");
                }
                if (key.chars().anyMatch(Character::isWhitespace)) {
                    throw new IllegalArgumentException(where + "key '" + key + "' (expected: a key without spaces, then =)");
                }
                if (line.endsWith("\\")) {
                    throw new IllegalArgumentException(where + "key '" + key + "' ends with a backslash (expected: one "
                            + "setting per line; values are read as written, so a backslash does not continue a line)");
                }
                Integer first = lineOf.putIfAbsent(key, number);
                if (first != null) {
                    throw new IllegalArgumentException(where + "key '" + key + "' again, first set on line " + first
                            + " (expected: each key once)");
                }
                properties.setProperty(key, line.substring(equals + 1).strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return properties;
    }

    /**
     * Applies the settings in {@code properties} to {@code builder} and returns the builder.
     *
     * @param builder the builder to configure
     * @param properties the settings
     * @return {@code builder}
     * @throws IllegalArgumentException when a key is unknown or a value is bad; the builder is unchanged
     * @throws IllegalStateException    when a setting conflicts with what the builder already holds
     */
    public static ProxyManager.Builder apply(ProxyManager.Builder builder, Properties properties) {
        Objects.requireNonNull(builder, "builder");
        Objects.requireNonNull(properties, "properties");
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> users = new LinkedHashMap<>();
        for (String key : new TreeSet<>(properties.stringPropertyNames())) {
            String value = properties.getProperty(key).trim();
            if (key.startsWith(USER)) {
                users.put(key.substring(USER.length()), value);
            } else if (KEYS.contains(key)) {
                values.put(key, value);
            } else {
                throw new InvalidSettingException(key, "unknown key (expected one of: "
                        + String.join(", ", new TreeSet<>(KEYS)) + ", user.NAME)");
            }
        }
        // Checked on a scratch builder, so that a bad address or user name leaves the caller's untouched.
        ProxyManager.Builder scratch = ProxyManager.builder();
        String bind = values.get("bind");
        if (bind != null) {
            try {
                scratch.bind(bind);
            } catch (IllegalArgumentException e) {
                throw bad("bind", bind, "an IP address such as 127.0.0.1, ::1 or 0.0.0.0, or localhost");
            }
        }
        users.forEach((name, password) -> checkUser(scratch, name, password));
        Map<String, Integer> listeners = new LinkedHashMap<>();
        for (String listener : List.of("socks5", "http", "mixed")) {
            if (values.containsKey(listener)) {
                listeners.put(listener, integer(listener, values.get(listener), 0, 65535, PORT));
            }
        }
        Path[] tls = tls(values.get("tls-cert"), values.get("tls-key"));
        Boolean openProxy = bool(values, "allow-open-proxy");
        List<AccessRule> rules = rules(values);
        Limits limits = limits(values);
        Integer perIp = atLeastOne(values, "max-clients-per-ip");
        Integer total = atLeastOne(values, "max-total-connections");
        Integer binds = atLeastOne(values, "max-bind-listeners");
        String[] trusted = trustedSources(scratch, values);
        ProxyProtocolMode mode = proxyProtocolMode(values, trusted);
        Integer upstream = upstreamProxyProtocol(values.get(UPSTREAM_PROXY_PROTOCOL));
        IoTransport transport = transport(values.get("transport"));
        Integer ioThreads = values.containsKey("io-threads")
                ? integer("io-threads", values.get("io-threads"), 1, 1024, "an integer 1-1024") : null;

        if (bind != null) {
            builder.bind(bind);
        }
        listeners.forEach(builder::listener);
        if (tls != null) {
            builder.tls("http", tls[0], tls[1]);
        }
        // A value in PasswordHashes' format is taken as the hash of the password, not as the password.
        users.forEach((name, secret) -> {
            if (dev.sallyport.api.PasswordHashes.isHash(secret)) {
                builder.userHash(name, secret);
            } else {
                builder.user(name, secret);
            }
        });
        if (openProxy != null) {
            builder.allowOpenProxy(openProxy);
        }
        rules.forEach(builder::accessRule);
        if (limits != null) {
            builder.defaultLimits(limits);
        }
        if (perIp != null) {
            builder.maxConnectionsPerClient(perIp);
        }
        if (total != null) {
            builder.maxConnections(total);
        }
        if (binds != null) {
            builder.maxBindListeners(binds);
        }
        if (trusted != null) {
            builder.proxyProtocol(mode, trusted);
        }
        if (upstream != null) {
            builder.upstreamProxyProtocol(upstream);
        }
        if (transport != null) {
            builder.transport(transport);
        }
        if (ioThreads != null) {
            builder.ioThreads(ioThreads);
        }
        return builder;
    }

    private static IoTransport transport(String value) {
        if (value == null) {
            return null;
        }
        for (IoTransport transport : IoTransport.values()) {
            if (transport.name().toLowerCase(java.util.Locale.ROOT).equals(value)) {
                return transport;
            }
        }
        throw bad("transport", value, "auto, io_uring, epoll or nio");
    }

    private static Integer atLeastOne(Map<String, String> values, String key) {
        return values.containsKey(key) ? integer(key, values.get(key), 1, Integer.MAX_VALUE, "an integer >= 1") : null;
    }

    private static void checkUser(ProxyManager.Builder scratch, String name, String password) {
        if (name.isEmpty()) {
            throw new InvalidSettingException(USER, "no user name (expected: user.NAME=PASSWORD)");
        }
        if (password.isEmpty()) {
            throw new InvalidSettingException(USER + name, "empty password (expected: at least one character)");
        }
        try {
            scratch.user(name, password);
        } catch (IllegalArgumentException e) {
            // The builder's message names the rule the name broke; it never holds the password.
            String problem = "bad user name (" + e.getMessage() + ")";
            throw new InvalidSettingException(USER + name, problem, USER + name + ": " + problem, e);
        }
    }

    private static Path[] tls(String cert, String key) {
        if (cert == null && key == null) {
            return null;
        }
        if (key == null) {
            throw new InvalidSettingException("tls-key", "missing (expected: set together with tls-cert)");
        }
        if (cert == null) {
            throw new InvalidSettingException("tls-cert", "missing (expected: set together with tls-key)");
        }
        return new Path[] {readable("tls-cert", cert), readable("tls-key", key)};
    }

    private static Path readable(String key, String value) {
        Path file = Path.of(value);
        if (!Files.isReadable(file)) {
            throw bad(key, value, "a readable PEM file");
        }
        return file;
    }

    /** In the documented order: ports, allow exceptions, denials, the private-range preset. */
    private static List<AccessRule> rules(Map<String, String> values) {
        List<AccessRule> rules = new ArrayList<>();
        String ports = values.get("allow-ports");
        if (ports != null) {
            try {
                rules.add(AccessRules.onlyPorts(ports));
            } catch (IllegalArgumentException e) {
                throw bad("allow-ports", ports, "ports such as 80,443,8000-8100");
            }
        }
        addPerCidr(rules, values, "allow", AccessRules::allowDestinations);
        addPerCidr(rules, values, "deny", AccessRules::denyDestinations);
        if (Boolean.TRUE.equals(bool(values, "deny-private"))) {
            rules.add(AccessRules.denyPrivateDestinations());
        }
        return rules;
    }

    /** The {@code proxy-protocol} CIDRs, each checked; null when the key is absent. */
    private static String[] trustedSources(ProxyManager.Builder scratch, Map<String, String> values) {
        String list = values.get(PROXY_PROTOCOL);
        if (list == null) {
            return null;
        }
        String[] cidrs = java.util.Arrays.stream(list.split(",", -1)).map(String::trim).filter(c -> !c.isEmpty())
                .toArray(String[]::new);
        if (cidrs.length == 0) {
            throw bad(PROXY_PROTOCOL, list, "the load balancers' addresses or CIDRs, comma separated");
        }
        for (String cidr : cidrs) {
            try {
                scratch.proxyProtocol(ProxyProtocolMode.REQUIRED, cidr);
            } catch (IllegalArgumentException e) {
                throw bad(PROXY_PROTOCOL, cidr, CIDR);
            }
        }
        return cidrs;
    }

    private static ProxyProtocolMode proxyProtocolMode(Map<String, String> values, String[] trusted) {
        String mode = values.get(PROXY_PROTOCOL_MODE);
        if (mode == null) {
            return ProxyProtocolMode.REQUIRED;
        }
        ProxyProtocolMode parsed = switch (mode) {
            case "required" -> ProxyProtocolMode.REQUIRED;
            case "optional" -> ProxyProtocolMode.OPTIONAL;
            default -> throw bad(PROXY_PROTOCOL_MODE, mode, "required or optional");
        };
        if (trusted == null) {
            throw new InvalidSettingException(PROXY_PROTOCOL_MODE, mode + " (expected: set together with "
                    + PROXY_PROTOCOL + ")");
        }
        return parsed;
    }

    private static Integer upstreamProxyProtocol(String version) {
        if (version == null) {
            return null;
        }
        return switch (version) {
            case "v1" -> 1;
            case "v2" -> 2;
            case "off" -> 0;
            default -> throw bad(UPSTREAM_PROXY_PROTOCOL, version, "v1, v2 or off");
        };
    }

    /** One rule per address, as the server's repeated {@code --allow}/{@code --deny} flags give. */
    private static void addPerCidr(List<AccessRule> rules, Map<String, String> values, String key,
                                   Function<String[], AccessRule> factory) {
        String list = values.get(key);
        if (list == null) {
            return;
        }
        for (String item : list.split(",", -1)) {
            String cidr = item.trim();
            if (cidr.isEmpty()) {
                continue;
            }
            try {
                rules.add(factory.apply(new String[] {cidr}));
            } catch (IllegalArgumentException e) {
                throw bad(key, cidr, CIDR);
            }
        }
    }

    private static Limits limits(Map<String, String> values) {
        String bandwidth = values.get("bandwidth");
        String sessionsKey = sessionsKey(values);
        String sessions = values.get(sessionsKey);
        if (bandwidth == null && sessions == null) {
            return null;
        }
        Limits limits = Limits.NONE;
        if (bandwidth != null) {
            limits = limits.withBandwidth(bytesPerSecond(bandwidth));
        }
        if (sessions != null) {
            limits = limits.withMaxSessions(atLeastOne(values, sessionsKey));
        }
        return limits;
    }

    /** {@code 1048576}, {@code 512K}, {@code 10M}, {@code 1G}: binary multiples. */
    private static long bytesPerSecond(String text) {
        String digits = text.toUpperCase(Locale.ROOT);
        long multiplier = switch (digits.isEmpty() ? ' ' : digits.charAt(digits.length() - 1)) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> 1;
        };
        if (multiplier > 1) {
            digits = digits.substring(0, digits.length() - 1);
        }
        try {
            long value = Math.multiplyExact(Long.parseLong(digits), multiplier);
            if (value > 0) {
                return value;
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // Reported below.
        }
        throw bad("bandwidth", text, "bytes per second > 0 such as 1048576, 512K, 10M or 1G");
    }

    private static int integer(String key, String text, int min, int max, String expected) {
        try {
            int value = Integer.parseInt(text);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw bad(key, text, expected);
    }

    private static Boolean bool(Map<String, String> values, String key) {
        String text = values.get(key);
        if (text == null) {
            return null;
        }
        return switch (text) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> throw bad(key, text, BOOLEAN);
        };
    }

    private static InvalidSettingException bad(String key, String value, String expected) {
        return new InvalidSettingException(key, (value.isEmpty() ? "''" : value) + " (expected: " + expected + ")");
    }

    /**
     * The key that sets the sessions per user: {@code max-sessions-per-user}, or its old name
     * {@code max-connections} with one WARN (messages then name the key as written); both at once
     * are refused.
     */
    private static String sessionsKey(Map<String, String> values) {
        if (!values.containsKey(SESSIONS_DEPRECATED)) {
            return SESSIONS;
        }
        if (values.containsKey(SESSIONS)) {
            throw new InvalidSettingException(SESSIONS_DEPRECATED, "the old name of " + SESSIONS + ", which is set too "
                    + "(expected: only " + SESSIONS + ")");
        }
        log.warn("Setting {} is deprecated: it is the default number of concurrent sessions per user, not a cap on "
                + "connections; use {}", SESSIONS_DEPRECATED, SESSIONS);
        return SESSIONS_DEPRECATED;
    }
}
