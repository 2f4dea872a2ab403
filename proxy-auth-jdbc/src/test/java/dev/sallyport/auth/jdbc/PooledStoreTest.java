package dev.sallyport.auth.jdbc;

import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.PasswordHashes;
import dev.sallyport.api.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The store built from settings pools its connections (HikariCP): a role limited to two
 * connections serves hundreds of concurrent cold logins, each waiting its turn for a connection
 * instead of being refused with "too many connections" (53300) as when every call opened one.
 */
@Timeout(120)
class PooledStoreTest {

    private static final AuthContext CONTEXT = new AuthContext(new InetSocketAddress("127.0.0.1", 40000), Protocol.SOCKS5);
    private static final int LOGINS = 400;

    @Test
    void roleLimitedToTwoConnections_serves400ConcurrentColdTokenLogins_noneRefused() throws Exception {
        PGSimpleDataSource admin = (PGSimpleDataSource) TestDatabase.fresh();
        JdbcStore.create(admin).close();
        String role = "limited_" + admin.getDatabaseName();
        List<String> tokens = users(admin, LOGINS);
        execute(admin, "CREATE ROLE " + role + " LOGIN CONNECTION LIMIT 2",
                "GRANT SELECT ON sallyport_users, sallyport_schema_history TO " + role);
        Map<String, String> settings = new HashMap<>(TestDatabase.settings(admin));
        settings.put("user", role);
        settings.put("migrate", "false");
        settings.put("poolSize", "2");
        settings.put("threads", "8");

        // Before: the same logins over a plain data source, a connection per call.
        CountingDataSource plain = new CountingDataSource();
        plain.setUrl(TestDatabase.url(admin));
        plain.setUser(role);
        Logins before;
        try (JdbcStore store = JdbcStore.builder(plain).migrate(false).threads(8).build()) {
            before = logins(store, tokens);
        }
        CountingDataSource pooled = new CountingDataSource();
        Logins after;
        try (JdbcStore store = ProviderSettings.store("jdbc", settings, pooled)) {
            after = logins(store, tokens);
        }

        assertThat(after.results()).hasSize(LOGINS).allMatch(r -> r instanceof AuthResult.Success);
        assertThat(pooled.opened.get()).as("connections opened").isLessThanOrEqualTo(2);
        System.out.printf("PooledStoreTest: %d concurrent cold token logins, role limited to 2 connections, 8 threads:%n"
                + "  before (a connection per call): %d ms, %.0f logins/s, %d refused, %d connections opened%n"
                + "  after (pool of 2): %d ms, %.0f logins/s, %d refused, %d connections opened%n", LOGINS,
                before.millis(), before.rate(), before.refused(), plain.opened.get(),
                after.millis(), after.rate(), after.refused(), pooled.opened.get());
    }

    private record Logins(List<AuthResult> results, long refused, long millis) {
        double rate() {
            return results.size() * 1000.0 / Math.max(1, millis);
        }
    }

    private static Logins logins(JdbcStore store, List<String> tokens) throws InterruptedException {
        long started = System.nanoTime();
        List<CompletableFuture<AuthResult>> logins = new ArrayList<>();
        for (String token : tokens) {
            logins.add(store.authenticate(Credentials.token(token), CONTEXT).toCompletableFuture());
        }
        List<AuthResult> results = new ArrayList<>();
        long refused = 0;
        for (CompletableFuture<AuthResult> login : logins) {
            try {
                results.add(login.get(60, TimeUnit.SECONDS));
            } catch (ExecutionException | TimeoutException e) {
                refused++;
            }
        }
        return new Logins(results, refused, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    /** Counts the connections it opens. */
    static final class CountingDataSource extends PGSimpleDataSource {
        private static final long serialVersionUID = 1L;
        final transient AtomicInteger opened = new AtomicInteger();

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            opened.incrementAndGet();
            return super.getConnection(user, password);
        }
    }

    @Test
    void poolSettings_outOfRange_areRefusedNamingTheSetting() {
        Map<String, String> base = Map.of("url", "jdbc:postgresql://127.0.0.1:1/none");
        assertThatThrownBy(() -> JdbcStore.fromSettings(with(base, "poolSize", "0")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("jdbc: setting 'poolSize' is 0 (expected: 1-1000)");
        assertThatThrownBy(() -> JdbcStore.fromSettings(with(base, "connectionTimeoutMillis", "100")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jdbc: setting 'connectionTimeoutMillis' is 100 (expected: 250-600000)");
        assertThatThrownBy(() -> JdbcStore.fromSettings(with(base, "maxLifetimeMillis", "1000")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jdbc: setting 'maxLifetimeMillis' is 1000 (expected: 0 for none, or >= 30000)");
        assertThatThrownBy(() -> JdbcStore.fromSettings(with(base, "poolSize", "many")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jdbc: setting 'poolSize' is 'many' (expected: an integer)");
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> settings = new HashMap<>(base);
        settings.put(key, value);
        return settings;
    }

    /** {@code count} users with known tokens, inserted directly: a password hash per user would cost PBKDF2 each. */
    static List<String> users(DataSource ds, int count) throws SQLException {
        List<String> tokens = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement insert = c.prepareStatement(
                "INSERT INTO sallyport_users (name, password_hash, token_hash) VALUES (?, 'unused', ?)")) {
            for (int i = 0; i < count; i++) {
                String token = "token-" + i + "-" + Long.toHexString(Double.doubleToLongBits(Math.random()));
                tokens.add(token);
                insert.setString(1, "user" + i);
                insert.setString(2, PasswordHashes.tokenHash(token));
                insert.addBatch();
            }
            insert.executeBatch();
        }
        return tokens;
    }

    static void execute(DataSource ds, String... statements) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

}
