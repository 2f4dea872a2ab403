package dev.sallyport.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code prune} and the retention flags of {@code serve} against a real PostgreSQL. */
@Timeout(240)
class PruneAndRetentionFlagsTest {

    @RegisterExtension
    static TestPostgres postgres = new TestPostgres();

    private record Run(int exit, List<String> out, String err) {
    }

    private static Run run(String... args) throws Exception {
        try (ServerProcess process = ServerProcess.start(args)) {
            int exit = process.awaitExit();
            return new Run(exit, process.remainingStdout(), process.stderr());
        }
    }

    private static long query(String sql) throws SQLException {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(postgres.url());
        ds.setUser("postgres");
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String partition(LocalDate day) {
        return "sallyport_access_log_" + day.format(DateTimeFormatter.BASIC_ISO_DATE);
    }

    private static long partitionExists(LocalDate day) throws SQLException {
        return query("SELECT count(*) FROM pg_class WHERE relname = '" + partition(day) + "'");
    }

    @Test
    void prune_olderThan30d_dropsTheOldDays_andTheLogShrinks() throws Exception {
        assertThat(run("users", "list", "--jdbc-url", postgres.url(), "--jdbc-user", "postgres").exit()).isZero();
        query("SELECT sallyport_access_log_add_days((now() AT TIME ZONE 'UTC')::date - 45, (now() AT TIME ZONE 'UTC')::date)");
        query("WITH i AS (INSERT INTO sallyport_access_log (instance_id, session_id, started_at, client_port, protocol, "
                + "target_host, target_port, outcome, bytes_up, bytes_down, duration_ms) SELECT gen_random_uuid(), g, "
                + "now() - g * INTERVAL '1 minute', 1, 'socks5', 'host.example', 443, 'OK', g, g, g "
                + "FROM generate_series(1, 45 * 1440, 10) AS g RETURNING 1) SELECT count(*) FROM i");
        String size = "SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('sallyport_access_log')";
        long before = query(size);
        LocalDate old = LocalDate.now(ZoneOffset.UTC).minusDays(40);

        Run prune = run("prune", "--older-than", "30d", "--jdbc-url", postgres.url(), "--jdbc-user", "postgres");

        assertThat(prune.exit()).as(prune.err()).isZero();
        assertThat(prune.out()).anySatisfy(l -> assertThat(l).matches("dropped \\d+ day partition\\(s\\) of the access "
                + "log older than 30 day\\(s\\)"));
        assertThat(partitionExists(old)).isZero();
        assertThat(partitionExists(LocalDate.now(ZoneOffset.UTC).minusDays(29))).isOne();
        assertThat(query("SELECT count(*) FROM sallyport_access_log WHERE started_at < now() - INTERVAL '31 days'")).isZero();
        assertThat(query(size)).isLessThan(before * 85 / 100);
    }

    @Test
    void prune_withoutWholeDays_isAUsageError() throws Exception {
        Run run = run("prune", "--older-than", "12h", "--jdbc-url", postgres.url(), "--jdbc-user", "postgres");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--older-than: '12h' (expected: whole days >= 1, e.g. 30d)");
    }

    @Test
    void serve_retentionDaysAndLogUnauthenticatedNone_dropOldDaysAndSkipConnectAndClose() throws Exception {
        assertThat(run("users", "list", "--jdbc-url", postgres.url(), "--jdbc-user", "postgres").exit()).isZero();
        query("SELECT sallyport_access_log_add_days((now() AT TIME ZONE 'UTC')::date - 20, (now() AT TIME ZONE 'UTC')::date)");
        LocalDate old = LocalDate.now(ZoneOffset.UTC).minusDays(15);
        assertThat(partitionExists(old)).isOne();
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--jdbc-url", postgres.url(),
                "--jdbc-user", "postgres", "--retention-days", "7", "--log-unauthenticated", "none")) {
            var socks = server.awaitReady().get(0).address();
            await().atMost(Duration.ofSeconds(60)).until(() -> partitionExists(old) == 0);
            assertThat(partitionExists(LocalDate.now(ZoneOffset.UTC).plusDays(2))).isOne();
            for (int i = 0; i < 5; i++) {
                new Socket(socks.getAddress(), socks.getPort()).close();
            }
            server.process.destroy();
            assertThat(server.awaitExit()).isZero();
        }
        // The five connect-and-close sessions (from loopback) got no row; the test would see them otherwise.
        assertThat(query("SELECT count(*) FROM sallyport_access_log WHERE client_address = '127.0.0.1'")).isZero();
    }

    @Test
    void serve_badLogUnauthenticated_isAUsageError() throws Exception {
        Run run = run("serve", "--socks5", "0", "--jdbc-url", postgres.url(), "--jdbc-user", "postgres",
                "--log-unauthenticated", "some");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--log-unauthenticated: 'some' (expected: all, none, or N >= 1 for one in N)");
    }
}
