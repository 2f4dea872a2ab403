package dev.sallyport.server;

import dev.sallyport.api.UserNames;
import dev.sallyport.core.ProxyProperties;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code serve --config FILE}: a file of {@code key=value} lines whose keys are the flag names without dashes,
 * turned into flags placed before the command line's own, so flags given on the command line win.
 * Users are {@code user.NAME=PASSWORD} (or {@code =HASH}) lines; any {@code --user} on the command line replaces
 * them; {@code user-file=FILE} names a file of more ({@link SecretFlags}).
 * Providers are named by {@code auth-provider}, {@code rule-provider}, {@code metrics-provider} and
 * {@code pool-provider}, with their settings as {@code auth.KEY=VALUE} (and {@code rule.}, {@code metrics.},
 * {@code pool.}) lines ({@link ProviderFlags}).
 * The keys that configure the proxy itself are those of {@link ProxyProperties}, which checks and
 * applies their values (through the flags of the same names); the server adds its own keys for
 * PostgreSQL, metrics and logging ({@link #SERVER_KEYS}).
 *
 * <p>Properties rather than YAML: every setting is a flat key, the format needs no dependency,
 * and there is no indentation to get wrong in a file that holds passwords. The file is read as
 * written ({@link ProxyProperties#read}): no escapes, no continuation lines, so a password is
 * exactly what the line shows. A file holding passwords or provider settings must not be readable
 * by others nor writable by its group or others ({@code serve} checks, see {@link #exposure}).
 *
 * <pre>
 * bind=0.0.0.0
 * socks5=1080
 * http=8080
 * metrics=9090
 * log-level=info
 * access-log=true
 * allow-open-proxy=false
 * deny-private=true
 * allow=10.1.2.3/32,10.9.0.0/16
 * allow-ports=80,443
 * bandwidth=10M
 * user.alice=s3cret
 * rule-provider=domain-blocklist
 * rule.domains=ads.example,*.tracker.example
 * </pre>
 */
final class ConfigFile {

    /** Keys of the server alone; the rest are {@link ProxyProperties#keys()}. */
    static final Set<String> SERVER_KEYS = Set.of("metrics", "metrics-bind", "metrics-token-file", "jdbc-url",
            "jdbc-user", "jdbc-password", "log-level", "access-log", "auth-provider", "rule-provider",
            "metrics-provider", "pool-provider", "instance", "retention-days", "log-unauthenticated", "spool-dir",
            "migrate", "jdbc-threads", "jdbc-pool-size", "jdbc-connection-timeout", "jdbc-max-lifetime",
            "jdbc-buffer-size", "jdbc-batch-size", "auth-cache-ttl", "user-file", "warm-up");

    /** Every key besides {@code user.NAME}: each is a flag of {@code serve} without its dashes. */
    static final Set<String> KEYS = Stream.of(SERVER_KEYS, ForwardAuthFlags.KEYS, ProxyProperties.keys())
            .flatMap(Set::stream).collect(Collectors.toUnmodifiableSet());

    private ConfigFile() {
    }

    /** Expands {@code --config FILE} in the arguments of {@code serve}; other arguments pass through. */
    static String[] expand(String[] args) throws UsageException {
        int serve = List.of(args).indexOf("serve");
        if (serve < 0) {
            return args;
        }
        Path file = null;
        List<String> rest = new ArrayList<>();
        boolean cliUsers = false;
        for (int i = serve + 1; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--config")) {
                if (i + 1 >= args.length) {
                    throw new UsageException("--config: missing FILE");
                }
                file = Path.of(args[++i]);
            } else if (arg.startsWith("--config=")) {
                file = Path.of(arg.substring("--config=".length()));
            } else {
                cliUsers |= arg.equals("--user") || arg.startsWith("--user=");
                rest.add(arg);
            }
        }
        if (file == null) {
            return args;
        }
        List<String> expanded = new ArrayList<>(List.of(args).subList(0, serve + 1));
        expanded.addAll(flags(file, cliUsers));
        // serve still learns which file it was, to check who may read it.
        expanded.add("--config");
        expanded.add(file.toString());
        expanded.addAll(rest);
        return expanded.toArray(String[]::new);
    }

    private static Properties read(Path file) throws UsageException {
        try {
            return ProxyProperties.read(file);
        } catch (UncheckedIOException e) {
            throw new UsageException("--config: " + e.getMessage() + " (" + e.getCause().getMessage() + ")");
        } catch (IllegalArgumentException e) {
            throw new UsageException("--config: " + e.getMessage());
        }
    }

    /**
     * What secrets the file may hold, for a refusal ({@code "holds passwords"}), or null: a
     * {@code user.NAME} or {@code jdbc-password} is a password; a provider's settings
     * ({@code auth.KEY}, ...) may be credentials, and the server cannot tell which.
     */
    static String secrets(Path file) {
        Set<String> keys;
        try {
            keys = read(file).stringPropertyNames();
        } catch (UsageException e) {
            return null; // expand() has read it already; a file that changed since fails later.
        }
        if (keys.stream().anyMatch(k -> k.startsWith("user.") || k.equals("jdbc-password") || k.startsWith("upstream."))) {
            return "holds passwords";
        }
        return keys.stream().anyMatch(k -> providerKind(k) != null) ? "holds provider settings (possibly credentials)" : null;
    }

    /** The provider kind of a setting key ({@code auth} for {@code auth.url}), or null. */
    private static String providerKind(String key) {
        int dot = key.indexOf('.');
        return dot > 0 && dot < key.length() - 1 && ProviderFlags.KINDS.contains(key.substring(0, dot))
                ? key.substring(0, dot) : null;
    }

    /**
     * How {@code file} is exposed to others, for a refusal ({@code "readable by others (rw-r--r--)"}),
     * or null when only its owner (and group, reading) may use it, or where the file system has
     * no POSIX permissions.
     */
    static String exposure(Path file) {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException | IOException e) {
            return null;
        }
        List<String> exposed = new ArrayList<>();
        if (permissions.contains(PosixFilePermission.OTHERS_READ)) {
            exposed.add("readable by others");
        }
        if (permissions.contains(PosixFilePermission.GROUP_WRITE) || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
            exposed.add("writable by " + (permissions.contains(PosixFilePermission.OTHERS_WRITE) ? "others" : "its group"));
        }
        return exposed.isEmpty() ? null
                : String.join(" and ", exposed) + " (" + PosixFilePermissions.toString(permissions) + ")";
    }

    private static List<String> flags(Path file, boolean skipUsers) throws UsageException {
        Properties properties = read(file);
        List<String> flags = new ArrayList<>(RouteFlags.configFlags(properties, file));
        for (String key : new TreeSet<>(properties.stringPropertyNames())) {
            String value = properties.getProperty(key).trim();
            if (key.startsWith("user.") && key.length() > "user.".length()) {
                checkName(file, key);
                if (!skipUsers) {
                    // Not --user: that one warns of a password on the command line, which this is not.
                    flags.add("--config-user");
                    flags.add(key.substring("user.".length()) + ":" + value);
                }
            } else if (providerKind(key) != null) {
                String kind = providerKind(key);
                flags.add("--" + kind + "-setting");
                flags.add(key.substring(kind.length() + 1) + "=" + value);
            } else if (key.equals("allow") || key.equals("deny")) {
                for (String cidr : value.split(",", -1)) {
                    if (!cidr.isBlank()) {
                        flags.add("--" + key);
                        flags.add(cidr.trim());
                    }
                }
            } else if (key.equals("access-log") || key.equals("allow-open-proxy") || key.equals("deny-private")
                    || key.equals("migrate") || key.equals(ForwardAuthFlags.ENABLED)) {
                if (!value.equals("true") && !value.equals("false")) {
                    throw new UsageException("--config: " + key + "=" + value + " in " + file + " (expected: true or false)");
                }
                flags.add(value.equals("true") ? "--" + key : "--no-" + key);
            } else if (RouteFlags.isConfigKey(key)) {
                continue; // Routing's keys, turned into flags above (routes in their order).
            } else if (KEYS.contains(key)) {
                flags.add("--" + key);
                flags.add(value);
            } else {
                throw new UsageException("--config: unknown key '" + key + "' in " + file + " (expected one of: "
                        + new TreeSet<>(KEYS) + ", user.NAME or a provider's setting auth.KEY, rule.KEY, metrics.KEY, pool.KEY)");
            }
        }
        return flags;
    }

    /** {@code user.a:b=...} would otherwise become the user {@code a} with the password {@code b:...}. */
    private static void checkName(Path file, String key) throws UsageException {
        try {
            UserNames.validate(key.substring("user.".length()));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--config: " + key + " in " + file + ": " + e.getMessage());
        }
    }

    /** A problem with the configuration file, reported like a bad flag. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message, null, false, false);
        }
    }
}
