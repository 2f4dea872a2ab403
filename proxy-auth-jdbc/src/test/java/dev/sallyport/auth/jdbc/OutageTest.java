package dev.sallyport.auth.jdbc;

import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.AllowLoggedExceptions;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.TestBytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static dev.sallyport.auth.jdbc.JdbcUserStoreTest.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** PostgreSQL stopped under a running proxy, then started again on the same port and data. */
@Timeout(180)
class OutageTest {

    private static final int BUFFER = 10;

    private TestDatabase.Private pg;
    private PGSimpleDataSource ds;
    private TcpServer echo;
    private JdbcStore store;
    private SessionRecorder metrics;
    private ProxyManager proxy;

    @BeforeEach
    void start() throws Exception {
        pg = new TestDatabase.Private();
        ds = pg.dataSource();
        echo = TcpServer.echo();
        store = JdbcStore.builder(ds).flushInterval(Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(200))
                .batchSize(5).bufferSize(BUFFER).build();
        metrics = new SessionRecorder();
        proxy = ProxyManager.builder().socks5(0).auth(store).metrics(store.accounting()).metrics(metrics).start();
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        store.close();
        echo.close();
        pg.close();
    }

    private SessionSummary tunnel(String user, String password, byte[] data) throws Exception {
        try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.login(user, password)).as("login status of " + user).isZero();
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
            assertThat(client.exchange(data)).isEqualTo(data);
        }
        return metrics.takeSession(Duration.ofSeconds(10));
    }

    @Test
    // PostgreSQL is stopped on purpose: the auth chain logs the login it fails closed.
    @AllowLoggedExceptions(IllegalStateException.class)
    void databaseDown_cachedLoginsWork_unknownFailClosed_recordsBufferedThenWritten_overflowCounted() throws Exception {
        NewCredentials alice = join(store.create("alice", Limits.NONE));
        NewCredentials bob = join(store.create("bob", Limits.NONE));
        tunnel("alice", alice.password(), TestBytes.random(1000, 1));
        await().atMost(Duration.ofSeconds(20)).until(() -> store.writtenRecords() == 1);

        pg.stop();

        // alice is in core's auth cache: no database needed.
        SessionSummary during = tunnel("alice", alice.password(), TestBytes.random(2345, 2));
        assertThat(during.outcome()).isEqualTo(Outcome.OK);
        // bob never logged in: the lookup fails, and the login fails closed (RFC 1929 status 0x01).
        try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.login("bob", bob.password())).isEqualTo(1);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(metrics.takeSession(Duration.ofSeconds(10)).outcome()).isNotEqualTo(Outcome.OK);
        assertThat(store.bufferedRecords()).isEqualTo(2);

        // Fill the buffer to its bound and past it: the excess is dropped and counted.
        for (int i = 0; i < BUFFER - 2 + 3; i++) {
            store.accounting().sessionClosed(AccountingTest.session("filler", 1, 1, Instant.now(), "filler.test"));
        }
        assertThat(store.bufferedRecords()).isEqualTo(BUFFER);
        assertThat(store.droppedRecords()).isEqualTo(3);

        pg.restart();

        // Nothing restarted but PostgreSQL: the buffer drains by itself and logins work again.
        await().atMost(Duration.ofSeconds(30)).until(() -> store.bufferedRecords() == 0);
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log")).isEqualTo(1 + BUFFER);
        assertThat(TestDatabase.query(ds, "SELECT bytes_up, bytes_down FROM sallyport_access_log "
                + "WHERE user_name = 'alice' ORDER BY session_id")).containsExactly(List.of(1000L, 1000L), List.of(2345L, 2345L));
        assertThat(TestDatabase.query(ds, "SELECT sum(bytes_up)::bigint, sum(sessions)::bigint FROM sallyport_usage_hourly "
                + "WHERE user_name = 'alice'").get(0)).containsExactly(3345L, 2L);
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log WHERE user_name = 'filler'"))
                .isEqualTo(BUFFER - 2);
        assertThat(store.droppedRecords()).isEqualTo(3);

        assertThat(tunnel("bob", bob.password(), TestBytes.random(77, 3)).user()).isEqualTo("bob");
    }
}
