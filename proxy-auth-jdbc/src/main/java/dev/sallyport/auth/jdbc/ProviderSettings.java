package dev.sallyport.auth.jdbc;

import dev.sallyport.api.InvalidSettingException;
import org.postgresql.ds.PGSimpleDataSource;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns provider settings into a {@link JdbcStore}. Every refusal is an
 * {@link InvalidSettingException} naming the setting to fix; messages never repeat a value that
 * may hold a secret (the password, or a URL with {@code password=} in it).
 */
final class ProviderSettings {

    static final Set<String> KNOWN = Set.of("url", "user", "password", "threads", "batchSize", "bufferSize",
            "flushIntervalMillis", "maxBackoffMillis", "migrate", "retentionDays", "logUnauthenticated", "spoolDir");

    private ProviderSettings() {
    }

    static JdbcStore store(String kind, Map<String, String> settings) {
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
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
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

        JdbcStore.Builder builder = JdbcStore.builder(dataSource);
        Integer threads = integer(kind, settings, "threads");
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
        String migrate = settings.get("migrate");
        if (migrate != null) {
            if (!migrate.equals("true") && !migrate.equals("false")) {
                throw bad(kind, "migrate", "is '" + migrate + "' (expected: true or false)", null);
            }
            builder.migrate(Boolean.parseBoolean(migrate));
        }
        String spoolDir = settings.get("spoolDir");
        if (spoolDir != null) {
            if (spoolDir.isBlank()) {
                throw bad(kind, "spoolDir", "is empty (expected: a directory for records not written at close)", null);
            }
            builder.spoolDirectory(java.nio.file.Path.of(spoolDir));
        }
        return builder.build();
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
            throw new InvalidSettingException(key, e.getMessage(), kind + ": setting " + e.getMessage(), e);
        }
    }

    /** The message reads {@code KIND: setting 'KEY' PROBLEM}. */
    private static InvalidSettingException bad(String kind, String key, String problem, Throwable cause) {
        return new InvalidSettingException(key, problem, kind + ": setting '" + key + "' " + problem, cause);
    }
}
