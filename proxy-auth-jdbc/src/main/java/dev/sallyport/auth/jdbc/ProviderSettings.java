package dev.sallyport.auth.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.sallyport.api.InvalidSettingException;
import org.postgresql.ds.PGSimpleDataSource;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns provider settings into a {@link JdbcStore} over a HikariCP pool of its own. Every refusal
 * is an {@link InvalidSettingException} naming the setting to fix; messages never repeat a value
 * that may hold a secret (the password, or a URL with {@code password=} in it).
 *
 * <p>The pool holds at most {@code poolSize} connections (default: {@code threads} + 1, one for
 * each database thread and one for the accounting flusher; more threads than connections just
 * wait for one), opened on demand and closed after 10 idle minutes down to one, each replaced
 * after {@code maxLifetimeMillis}. A call waits up to {@code connectionTimeoutMillis} for a free
 * connection (a login thus waits its turn instead of failing while the pool is busy) and fails
 * after that, naming why the pool could not open one. Two kinds of connection stay outside the
 * pool: the store's {@code LISTEN} connection and, once fleet limits run, their two threads' own.
 * The pool never fails the start: a database that is down shows up in the first call.
 */
final class ProviderSettings {

    static final Set<String> KNOWN = Set.of("url", "user", "password", "threads", "batchSize", "bufferSize",
            "flushIntervalMillis", "maxBackoffMillis", "migrate", "retentionDays", "logUnauthenticated", "spoolDir",
            "poolSize", "connectionTimeoutMillis", "maxLifetimeMillis");

    static final int DEFAULT_CONNECTION_TIMEOUT_MILLIS = 5_000;
    static final int DEFAULT_MAX_LIFETIME_MILLIS = 30 * 60_000;

    private ProviderSettings() {
    }

    static JdbcStore store(String kind, Map<String, String> settings) {
        return store(kind, settings, new PGSimpleDataSource());
    }

    /** With the driver's data source to configure: a test's, that counts the connections it opens. */
    static JdbcStore store(String kind, Map<String, String> settings, PGSimpleDataSource dataSource) {
        if (settings == null) {
            throw new InvalidSettingException("url", "missing (expected: at least url)",
                    kind + ": settings missing (expected: at least url)", null);
        }
        for (String key : settings.keySet()) {
            if (!KNOWN.contains(key)) {
                String problem = "unknown setting (expected one of: " + new TreeSet<>(KNOWN) + ")";
                throw new InvalidSettingException(key, problem, kind + ": unknown setting '" + key + "' (expected one of: "
                        + new TreeSet<>(KNOWN) + ")", null);
            }
        }
        String url = settings.get("url");
        if (url == null || url.isBlank()) {
            throw bad(kind, "url", "missing (expected: a PostgreSQL JDBC URL, jdbc:postgresql://HOST[:PORT]/DATABASE)", null);
        }
        if (!url.startsWith("jdbc:postgresql:")) {
            throw bad(kind, "url", "is not a PostgreSQL JDBC URL (expected: jdbc:postgresql://HOST[:PORT]/DATABASE)", null);
        }
        try {
            dataSource.setUrl(url);
        } catch (RuntimeException e) {
            // The driver's message repeats the URL, which may carry a password: not passed on.
            throw bad(kind, "url", "cannot be parsed (expected: jdbc:postgresql://HOST[:PORT]/DATABASE[?PARAMS])", null);
        }
        String user = settings.get("user");
        if (user != null) {
            if (user.isEmpty()) {
                throw bad(kind, "user", "is empty (expected: a database user name, or leave it out to use the URL's)", null);
            }
            dataSource.setUser(user);
        }
        String password = settings.get("password");
        if (password != null) {
            dataSource.setPassword(password);
        }
        dataSource.setApplicationName("sallyport");
        // Fail fast when the database is unreachable instead of holding threads: 5 s to connect,
        // 30 s for any one statement's answer.
        dataSource.setConnectTimeout(5);
        dataSource.setSocketTimeout(30);
        dataSource.setTcpKeepAlive(true);
        // Server error details may repeat bound values (hashes); keep them out of exception messages.
        dataSource.setLogServerErrorDetail(false);

        Integer threads = integer(kind, settings, "threads");
        Integer poolSize = integer(kind, settings, "poolSize");
        Integer connectionTimeout = integer(kind, settings, "connectionTimeoutMillis");
        Integer maxLifetime = integer(kind, settings, "maxLifetimeMillis");
        int effectiveThreads = threads == null ? JdbcStore.Builder.DEFAULT_THREADS : threads;
        int pool = poolSize == null ? Math.min(effectiveThreads + 1, 1000) : range(kind, "poolSize", poolSize, 1, 1000);
        long timeout = connectionTimeout == null ? DEFAULT_CONNECTION_TIMEOUT_MILLIS
                : range(kind, "connectionTimeoutMillis", connectionTimeout, 250, 600_000);
        long lifetime = maxLifetime == null ? DEFAULT_MAX_LIFETIME_MILLIS : maxLifetime;
        if (lifetime != 0 && lifetime < 30_000) {
            throw bad(kind, "maxLifetimeMillis", "is " + lifetime + " (expected: 0 for none, or >= 30000)", null);
        }
        String migrate = settings.get("migrate");
        if (migrate != null && !migrate.equals("true") && !migrate.equals("false")) {
            throw bad(kind, "migrate", "is '" + migrate + "' (expected: true or false)", null);
        }
        HikariDataSource pooled = pool(dataSource, pool, timeout, lifetime);
        try {
            JdbcStore.Builder builder = JdbcStore.builder(pooled).owned(pooled).held(dataSource);
            if (threads != null) {
                wrap(kind, "threads", () -> builder.threads(threads));
            }
            Integer batch = integer(kind, settings, "batchSize");
            if (batch != null) {
                wrap(kind, "batchSize", () -> builder.batchSize(batch));
            }
            Integer buffer = integer(kind, settings, "bufferSize");
            if (buffer != null) {
                wrap(kind, "bufferSize", () -> builder.bufferSize(buffer));
            }
            Integer flush = integer(kind, settings, "flushIntervalMillis");
            if (flush != null) {
                wrap(kind, "flushIntervalMillis", () -> builder.flushInterval(Duration.ofMillis(flush)));
            }
            Integer backoff = integer(kind, settings, "maxBackoffMillis");
            if (backoff != null) {
                wrap(kind, "maxBackoffMillis", () -> builder.maxBackoff(Duration.ofMillis(backoff)));
            }
            Integer retention = integer(kind, settings, "retentionDays");
            if (retention != null) {
                wrap(kind, "retentionDays", () -> builder.retention(Duration.ofDays(retention)));
            }
            Integer unauthenticated = integer(kind, settings, "logUnauthenticated");
            if (unauthenticated != null) {
                wrap(kind, "logUnauthenticated", () -> builder.logUnauthenticated(unauthenticated));
            }
            String spoolDir = settings.get("spoolDir");
            if (spoolDir != null) {
                if (spoolDir.isBlank()) {
                    throw bad(kind, "spoolDir", "is empty (expected: a directory for records not written at close)", null);
                }
                builder.spoolDirectory(java.nio.file.Path.of(spoolDir));
            }
            if (migrate != null) {
                builder.migrate(Boolean.parseBoolean(migrate));
            }
            return builder.build();
        } catch (RuntimeException e) {
            pooled.close(); // idempotent: build() may have closed it with its store
            throw e;
        }
    }

    /** HikariCP over {@code dataSource}; every value already checked here (HikariCP would clamp some silently). */
    private static HikariDataSource pool(PGSimpleDataSource dataSource, int size, long connectionTimeout, long maxLifetime) {
        HikariConfig config = new HikariConfig();
        config.setDataSource(dataSource);
        config.setPoolName("sallyport-jdbc-pool");
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(connectionTimeout);
        config.setMaxLifetime(maxLifetime);
        // Start without a connection: a database that is down fails the first call (migration,
        // or a login with --no-migrate), reported by kind, not the pool's construction.
        config.setInitializationFailTimeout(-1);
        return new HikariDataSource(config);
    }

    private static int range(String kind, String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw bad(kind, key, "is " + value + " (expected: " + min + "-" + max + ")", null);
        }
        return value;
    }

    private static Integer integer(String kind, Map<String, String> settings, String key) {
        String value = settings.get(key);
        if (value == null) {
            return null;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw bad(kind, key, "is '" + value + "' (expected: an integer)", null);
        }
    }

    private static void wrap(String kind, String key, Runnable set) {
        try {
            set.run();
        } catch (IllegalArgumentException e) {
            // The builder's message names its own method ("threads: 0 (expected: 1-256)"): the key names it here.
            throw bad(kind, key, "is " + e.getMessage().replaceFirst("^[A-Za-z]+: ", ""), e);
        }
    }

    /** The message reads {@code KIND: setting 'KEY' PROBLEM}. */
    private static InvalidSettingException bad(String kind, String key, String problem, Throwable cause) {
        return new InvalidSettingException(key, problem, kind + ": setting '" + key + "' " + problem, cause);
    }
}
