package dev.sallyport.server;

import dev.sallyport.api.InvalidSettingException;
import dev.sallyport.auth.jdbc.JdbcStore;
import dev.sallyport.core.ProxyManager;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The flags of {@code serve} that size its use of PostgreSQL and of the auth cache: whether to
 * migrate the schema, the store's threads, pool, buffer and batch, and how long a login stays
 * cached. Each is also a {@code --config} key (its name without dashes; {@code migrate=false} for
 * {@code --no-migrate}) and the connection ones an environment variable. The store checks the
 * values ({@link JdbcStore#fromSettings}); a refusal names the flag.
 */
final class DatabaseFlags {

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)?");

    @Option(names = "--migrate", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Create or migrate the schema at start (default). --no-migrate only checks it is current: for a "
                    + "role without DDL rights; run 'sallyport migrate' as the owner first.")
    boolean migrate = true;

    @Option(names = "--jdbc-threads", paramLabel = "N", defaultValue = "${env:SALLYPORT_JDBC_THREADS}",
            description = "Threads for database calls and password hashing (default: 4, or $SALLYPORT_JDBC_THREADS).")
    Integer threads;

    @Option(names = "--jdbc-pool-size", paramLabel = "N", defaultValue = "${env:SALLYPORT_JDBC_POOL_SIZE}",
            description = "Pooled PostgreSQL connections at most (default: threads + 1, or $SALLYPORT_JDBC_POOL_SIZE); "
                    + "the LISTEN connection and the fleet limits' two are outside it.")
    Integer poolSize;

    @Option(names = "--jdbc-connection-timeout", paramLabel = "DURATION",
            defaultValue = "${env:SALLYPORT_JDBC_CONNECTION_TIMEOUT}",
            description = "How long a call waits for a pooled connection, e.g. 5s (default), 500ms.")
    String connectionTimeout;

    @Option(names = "--jdbc-max-lifetime", paramLabel = "DURATION", defaultValue = "${env:SALLYPORT_JDBC_MAX_LIFETIME}",
            description = "Replace a pooled connection after this, e.g. 30m (default); 0 for never.")
    String maxLifetime;

    @Option(names = "--jdbc-buffer-size", paramLabel = "N",
            description = "Access-log records held while the database is slow or down (default: 100000).")
    Integer bufferSize;

    @Option(names = "--jdbc-batch-size", paramLabel = "N", description = "Access-log records per statement (default: 500).")
    Integer batchSize;

    @Option(names = "--auth-cache-ttl", paramLabel = "DURATION",
            description = "How long a successful login is remembered, e.g. 5m (default), 30s; 0 turns the cache off.")
    String authCacheTtl;

    /** The flags and the store settings they set, in the order they are described. */
    private Map<String, Object> flags() {
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("threads", threads);
        flags.put("poolSize", poolSize);
        flags.put("connectionTimeoutMillis", connectionTimeout);
        flags.put("maxLifetimeMillis", maxLifetime);
        flags.put("bufferSize", bufferSize);
        flags.put("batchSize", batchSize);
        return flags;
    }

    /** Store settings whose flags are not {@code --jdbc-*}: those of other serve mixins. */
    private static final Map<String, String> OTHER_FLAGS = Map.of("retentionDays", "--retention-days",
            "logUnauthenticated", "--log-unauthenticated", "spoolDir", "--spool-dir");

    /** The flag of a store setting: {@code poolSize} is {@code --jdbc-pool-size}. */
    static String flag(String setting) {
        if (OTHER_FLAGS.containsKey(setting)) {
            return OTHER_FLAGS.get(setting);
        }
        String name = setting.endsWith("Millis") ? setting.substring(0, setting.length() - "Millis".length()) : setting;
        return "--jdbc-" + name.replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
    }

    /**
     * Opens the store of {@code --jdbc-url} with these flags and {@code more} settings (of other
     * flags); every refusal of a setting is a usage error naming its flag.
     */
    JdbcStore open(String url, String user, String password, Map<String, String> more,
                   Function<String, RuntimeException> usage) {
        Map<String, String> settings = JdbcOptions.settings(url, user, password);
        settings.putAll(more);
        settings.put("migrate", Boolean.toString(migrate));
        flags().forEach((setting, value) -> {
            if (value != null) {
                settings.put(setting, value instanceof String text
                        ? Long.toString(millis(flag(setting), text, usage)) : value.toString());
            }
        });
        try {
            return JdbcStore.fromSettings(settings);
        } catch (InvalidSettingException e) {
            throw usage.apply(flag(e.setting()) + ": " + e.problem()
                    + (e.setting().endsWith("Millis") ? " in milliseconds" : ""));
        }
    }

    /**
     * Applies {@code --auth-cache-ttl} to {@code builder}; without {@code jdbc} (no --jdbc-url), a
     * database flag is a usage error.
     */
    void apply(ProxyManager.Builder builder, boolean jdbc, Function<String, RuntimeException> usage) {
        if (!jdbc) {
            for (Map.Entry<String, Object> flag : flags().entrySet()) {
                if (flag.getValue() != null) {
                    throw usage.apply(flag(flag.getKey()) + ": needs --jdbc-url");
                }
            }
            if (!migrate) {
                throw usage.apply("--no-migrate: needs --jdbc-url");
            }
        }
        if (authCacheTtl != null) {
            try {
                builder.authCacheTtl(Duration.ofMillis(millis("--auth-cache-ttl", authCacheTtl, usage)));
            } catch (IllegalArgumentException e) {
                throw usage.apply("--auth-cache-ttl: " + e.getMessage());
            }
        }
    }

    /** Adds the flags that are set (never a secret) to serve's effective-configuration line. */
    void describe(Map<String, Object> settings) {
        if (!migrate) {
            settings.put("migrate", false);
        }
        flags().forEach((setting, value) -> {
            if (value != null) {
                settings.put(flag(setting).substring(2), value);
            }
        });
        if (authCacheTtl != null) {
            settings.put("auth-cache-ttl", authCacheTtl);
        }
    }

    /** {@code 500ms}, {@code 5s}, {@code 30m}, {@code 1h}, or a number of seconds. */
    static long millis(String flag, String text, Function<String, RuntimeException> usage) {
        Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw usage.apply(flag + ": '" + text + "' (expected: a duration such as 500ms, 5s, 30m or 1h)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> n;
            case "s" -> n * 1000;
            case "m" -> n * 60_000;
            default -> n * 3_600_000;
        };
    }
}
