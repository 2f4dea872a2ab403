package dev.sallyport.spring.boot;

import dev.sallyport.api.Limits;
import dev.sallyport.auth.jdbc.JdbcStore;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

import javax.sql.DataSource;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** sallyport.jdbc.enabled: users, logins and the access log in the application's DataSource (real PostgreSQL). */
@Timeout(120)
class SallyportJdbcTest {

    private static EmbeddedPostgres postgres;

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = EmbeddedPostgres.builder()
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setPGStartupWait(Duration.ofSeconds(30))
                .start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    private static DataSource dataSource() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {"127.0.0.1"});
        ds.setPortNumbers(new int[] {postgres.getPort()});
        ds.setDatabaseName("postgres");
        ds.setUser("postgres");
        ds.setConnectTimeout(2);
        ds.setSocketTimeout(10);
        return ds;
    }

    private static long accessLogRows(DataSource ds, String user) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM sallyport_access_log WHERE user_name = '" + user + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void jdbcEnabled_logsInUsersOfTheApplicationsDataSource_writesTheAccessLog_andHealthIsDownWithoutTheDatabase() throws Exception {
        DataSource ds = dataSource();
        try (TcpServer echo = TcpServer.echo()) {
            SallyportPropertiesTest.RUNNER.withBean(DataSource.class, () -> ds)
                    .withPropertyValues("sallyport.listeners.socks5=0", "sallyport.jdbc.enabled=true")
                    .run(context -> {
                        SallyportProxy proxy = context.getBean(SallyportProxy.class);
                        JdbcStore store = context.getBean(JdbcStore.class);
                        assertThat(proxy.manager().users()).isSameAs(store);
                        store.create("dora", "dora-password", Limits.NONE).toCompletableFuture().get(10, TimeUnit.SECONDS);

                        InetSocketAddress socks = proxy.manager().address("socks5");
                        try (Socks5Client client = Socks5Client.open(socks)) {
                            assertThat(client.login("dora", "wrong-password")).isNotZero();
                        }
                        try (Socks5Client client = Socks5Client.open(socks)) {
                            assertThat(client.login("dora", "dora-password")).isZero();
                            assertThat(client.connect(echo.address()).succeeded()).isTrue();
                        }
                        await().atMost(Duration.ofSeconds(20)).until(() -> {
                            store.flush().toCompletableFuture().get(10, TimeUnit.SECONDS);
                            return accessLogRows(ds, "dora") == 1;
                        });
                        HealthIndicator health = context.getBean("sallyportHealthIndicator", HealthIndicator.class);
                        assertThat(health.health().getStatus()).isEqualTo(Status.UP);

                        postgres.close();
                        postgres = null;
                        assertThat(health.health()).satisfies(down -> {
                            assertThat(down.getStatus()).isEqualTo(Status.DOWN);
                            assertThat(down.getDetails()).containsEntry("state", "auth backend unavailable");
                        });
                    });
        }
    }

    @Test
    void jdbcEnabled_withoutADataSource_failsNamingTheProperty() {
        SallyportPropertiesTest.RUNNER.withPropertyValues("sallyport.listeners.socks5=0", "sallyport.jdbc.enabled=true")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause()
                            .hasMessageContaining("sallyport.jdbc.enabled: true (expected: one DataSource bean");
                });
    }
}
