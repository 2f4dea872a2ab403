package dev.sallyport.auth.jdbc;

import dev.sallyport.api.AuthContext;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Database failures an operator fixes outside Sallyport are named (missing database, bad login,
 * too many connections, unreachable, permission denied) against a real PostgreSQL, and an outage
 * is logged once when it starts and once when it ends, never once per failed login.
 */
@Timeout(120)
class DbErrorTest {

    private static final AuthContext CONTEXT = new AuthContext(new InetSocketAddress("127.0.0.1", 40000), Protocol.SOCKS5);

    private static Map<String, String> settings(PGSimpleDataSource ds, String... pairs) {
        Map<String, String> settings = new HashMap<>(TestDatabase.settings(ds));
        settings.put("connectionTimeoutMillis", "1000");
        for (int i = 0; i < pairs.length; i += 2) {
            settings.put(pairs[i], pairs[i + 1]);
        }
        return settings;
    }

    @Test
    void missingDatabase_isNamed() {
        PGSimpleDataSource ds = (PGSimpleDataSource) TestDatabase.fresh();
        ds.setDatabaseName("no_such_database");
        assertThatThrownBy(() -> JdbcStore.fromSettings(settings(ds)).close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("jdbc: schema migration failed: database does not exist (SQLState 3D000)");
    }

    @Test
    void roleThatMayNotLogIn_isNamedAsLoginRefused() throws Exception {
        PGSimpleDataSource ds = (PGSimpleDataSource) TestDatabase.fresh();
        PooledStoreTest.execute(ds, "CREATE ROLE nologin_" + ds.getDatabaseName() + " NOLOGIN");
        assertThatThrownBy(() -> JdbcStore.fromSettings(settings(ds, "user", "nologin_" + ds.getDatabaseName())).close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("jdbc: schema migration failed: login refused (bad user name or password) (SQLState 28000)");
    }

    @Test
    void roleAtItsConnectionLimit_isNamedAsTooManyConnections() throws Exception {
        PGSimpleDataSource ds = (PGSimpleDataSource) TestDatabase.fresh();
        PooledStoreTest.execute(ds, "CREATE ROLE full_" + ds.getDatabaseName() + " LOGIN CONNECTION LIMIT 0");
        assertThatThrownBy(() -> JdbcStore.fromSettings(settings(ds, "user", "full_" + ds.getDatabaseName())).close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("jdbc: schema migration failed: too many connections (the role's or the server's limit) "
                        + "(SQLState 53300)");
    }

    @Test
    void closedPort_isNamedAsUnreachable() throws Exception {
        int dead;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dead = socket.getLocalPort();
        }
        PGSimpleDataSource ds = TestDatabase.dataSource(dead, "postgres");
        assertThatThrownBy(() -> JdbcStore.fromSettings(settings(ds)).close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("jdbc: schema migration failed: database unreachable (SQLState 08001)");
    }

    @Test
    void roleWithoutGrants_isNamedAsPermissionDenied() throws Exception {
        PGSimpleDataSource ds = (PGSimpleDataSource) TestDatabase.fresh();
        JdbcStore.create(ds).close();
        String role = "nogrant_" + ds.getDatabaseName();
        PooledStoreTest.execute(ds, "CREATE ROLE " + role + " LOGIN");
        assertThatThrownBy(() -> JdbcStore.fromSettings(settings(ds, "user", role, "migrate", "false")).close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("jdbc: schema version check failed: permission denied (the database role lacks a grant) "
                        + "(SQLState 42501)");
    }

    @Test
    void outage_isOneWarnWhenItStarts_andOneInfoWhenItEnds_notOnePerLogin() throws Exception {
        PGSimpleDataSource target = (PGSimpleDataSource) TestDatabase.fresh();
        JdbcStore.create(target).close();
        List<String> tokens = PooledStoreTest.users(target, 1);
        SwitchableDataSource ds = new SwitchableDataSource(target);
        RecordingLogger logger = new RecordingLogger();
        AtomicLong clock = new AtomicLong();
        OutageLog outage = new OutageLog(logger, clock::get);
        try (Db db = new Db(ds, 4, 1024, "test-jdbc-", false, outage)) {
            JdbcUsers users = new JdbcUsers(db);
            assertThat(login(users, tokens.get(0))).isTrue();
            ds.reachable(false);
            for (int i = 0; i < 50; i++) {
                assertThat(login(users, tokens.get(0))).isFalse();
            }
            ds.reachable(true);
            for (int i = 0; i < 5; i++) {
                assertThat(login(users, tokens.get(0))).isTrue();
            }
        }

        assertThat(logger.lines(Level.WARN)).containsExactly("PostgreSQL: database unreachable (SQLState 08001): calls to "
                + "the database fail until this changes, logins not in the auth cache among them (one line per change; "
                + "each failure at DEBUG)");
        assertThat(logger.lines(Level.INFO)).containsExactly("PostgreSQL answers again (after: database unreachable; "
                + "50 calls failed)");
        assertThat(logger.throwables(Level.WARN)).isZero();
        assertThat(logger.lines(Level.DEBUG)).hasSize(50);
    }

    @Test
    void flappingDatabase_isWarnedAboutOnceAMinute() {
        RecordingLogger logger = new RecordingLogger();
        AtomicLong clock = new AtomicLong();
        OutageLog outage = new OutageLog(logger, clock::get);
        IllegalStateException tooMany = new IllegalStateException(new java.sql.SQLException("full", "53300"));
        for (int i = 0; i < 20; i++) {
            outage.failed("token login", tooMany);
            outage.answered();
        }
        clock.addAndGet(OutageLog.REPEAT_NANOS);
        outage.failed("token login", tooMany);

        assertThat(logger.lines(Level.WARN)).hasSize(2);
        assertThat(logger.lines(Level.INFO)).hasSize(1);
    }

    private static boolean login(JdbcUsers users, String token) throws Exception {
        CompletableFuture<?> login = users.authenticate(Credentials.token(token), CONTEXT).toCompletableFuture();
        try {
            login.get(30, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException e) {
            return false;
        }
    }

    /** Keeps what is logged, formatted. */
    private static final class RecordingLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;
        private final List<Object[]> events = java.util.Collections.synchronizedList(new ArrayList<>());

        List<String> lines(Level level) {
            synchronized (events) {
                return events.stream().filter(e -> e[0] == level).map(e -> (String) e[1]).toList();
            }
        }

        long throwables(Level level) {
            synchronized (events) {
                return events.stream().filter(e -> e[0] == level && e[2] != null).count();
            }
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
                                                   Throwable throwable) {
            events.add(new Object[] {level, MessageFormatter.basicArrayFormat(pattern, arguments), throwable});
        }

        @Override
        public boolean isTraceEnabled() {
            return false;
        }

        @Override
        public boolean isDebugEnabled() {
            return true;
        }

        @Override
        public boolean isInfoEnabled() {
            return true;
        }

        @Override
        public boolean isWarnEnabled() {
            return true;
        }

        @Override
        public boolean isErrorEnabled() {
            return true;
        }
    }
}
