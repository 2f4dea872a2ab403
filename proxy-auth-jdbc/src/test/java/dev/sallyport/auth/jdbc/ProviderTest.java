package dev.sallyport.auth.jdbc;

import dev.sallyport.api.AuthBackendProvider;
import dev.sallyport.api.Limits;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.MetricsSinkProvider;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;

import static dev.sallyport.auth.jdbc.JdbcUserStoreTest.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code jdbc} providers found by name, the way the standalone server uses them. */
@Timeout(120)
class ProviderTest {

    @Test
    void serviceLoader_findsTheAuthAndMetricsProvidersNamedJdbc() {
        assertThat(ServiceLoader.load(AuthBackendProvider.class).stream().map(p -> p.get().name())).contains("jdbc");
        assertThat(ServiceLoader.load(MetricsSinkProvider.class).stream().map(p -> p.get().name())).contains("jdbc");
    }

    @Test
    void authJdbc_byName_storesUsersAndLogsInOverSocks5() throws Exception {
        PGSimpleDataSource ds = (PGSimpleDataSource) TestDatabase.fresh();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).auth("jdbc", TestDatabase.settings(ds)).start()) {
            assertThat(proxy.users()).isInstanceOf(JdbcStore.class);
            NewCredentials alice = join(proxy.users().create("alice", Limits.NONE));
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.login("alice", alice.token())).isZero();
                assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
                assertThat(client.exchange(new byte[] {1, 2, 3})).containsExactly(1, 2, 3);
            }
            // Core does not close what providers build; the owner of the manager does.
            ((JdbcStore) proxy.users()).close();
        }
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_users")).isEqualTo(1);
    }

    @Test
    void metricsJdbc_sinkWritesTheAccessLog_andCloseFlushes() throws Exception {
        PGSimpleDataSource ds = (PGSimpleDataSource) TestDatabase.fresh();
        Map<String, String> settings = new HashMap<>(TestDatabase.settings(ds));
        settings.put("flushIntervalMillis", "3600000");
        settings.put("maxBackoffMillis", "3600000");
        settings.put("batchSize", "50");
        MetricsSink sink = new JdbcAccountingProvider().create(settings);
        sink.sessionClosed(AccountingTest.session("bob", 10, 20, Instant.now(), "t"));
        assertThat(sink).isInstanceOf(AutoCloseable.class);
        ((AutoCloseable) sink).close();
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log")).isEqualTo(1);
    }

    @Test
    void missingUrl_failsStartNamingTheSetting() {
        ProxyManager.Builder builder = ProxyManager.builder().socks5(0).auth("jdbc", Map.of("user", "postgres"));
        assertThatThrownBy(builder::start).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("auth jdbc: setting 'url' missing (expected: a PostgreSQL JDBC URL, "
                        + "jdbc:postgresql://HOST[:PORT]/DATABASE)");
    }

    @Test
    void badSettings_failNamingTheSetting_neverRepeatingASecret() {
        JdbcAuthProvider provider = new JdbcAuthProvider();
        assertThatThrownBy(() -> provider.create(Map.of("url", "jdbc:postgresql://h/db", "pasword", "hunter2")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("auth jdbc: unknown setting 'pasword' (expected one of: [batchSize,")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> provider.create(Map.of("url", "jdbc:mysql://h/db?password=hunter2")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("auth jdbc: setting 'url' is not a PostgreSQL JDBC URL (expected: "
                        + "jdbc:postgresql://HOST[:PORT]/DATABASE)");
        assertThatThrownBy(() -> provider.create(Map.of("url", "jdbc:postgresql://h:notaport/db?password=hunter2")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("auth jdbc: setting 'url' cannot be parsed")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> provider.create(Map.of("url", "jdbc:postgresql://h/db", "threads", "many")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("auth jdbc: setting 'threads' is 'many' (expected: an integer)");
        assertThatThrownBy(() -> provider.create(Map.of("url", "jdbc:postgresql://h/db", "batchSize", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("auth jdbc: setting 'batchSize' is 0 (expected: 1-2000)");
        assertThatThrownBy(() -> provider.create(Map.of("url", "jdbc:postgresql://h/db", "migrate", "yes")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("auth jdbc: setting 'migrate' is 'yes' (expected: true or false)");
    }

    @Test
    void unreachableDatabaseAtStart_failsClosedWithoutTheSecret() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort();
        }
        Map<String, String> settings = Map.of("url", "jdbc:postgresql://127.0.0.1:" + deadPort + "/db",
                "user", "postgres", "password", "hunter2");
        assertThatThrownBy(() -> new JdbcAuthProvider().create(settings))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("jdbc: schema migration failed: database unreachable (SQLState 08001)")
                .hasMessageNotContaining("hunter2");
    }
}
