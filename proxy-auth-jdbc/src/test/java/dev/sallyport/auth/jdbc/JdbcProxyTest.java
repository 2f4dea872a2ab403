package dev.sallyport.auth.jdbc;

import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.TestBytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static dev.sallyport.auth.jdbc.JdbcUserStoreTest.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A real ProxyManager with SOCKS5, users in PostgreSQL, and the access log and usage written back. */
@Timeout(120)
class JdbcProxyTest {

    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    private DataSource ds;
    private JdbcStore store;
    private SessionRecorder metrics;
    private ProxyManager proxy;

    @BeforeEach
    void start() {
        ds = TestDatabase.fresh();
        store = JdbcStore.builder(ds).flushInterval(Duration.ofMillis(100)).build();
        metrics = new SessionRecorder();
        proxy = ProxyManager.builder().socks5(0).auth(store).metrics(store.accounting()).metrics(metrics).start();
    }

    @AfterEach
    void stop() {
        proxy.close();
        store.close();
    }

    /** Logs in, tunnels {@code data} to the echo server and back, and returns the session's summary. */
    private SessionSummary tunnel(String user, String secret, byte[] data) throws Exception {
        try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.login(user, secret)).as("login status").isZero();
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).as("CONNECT reply").isZero();
            assertThat(client.exchange(data)).isEqualTo(data);
        }
        return metrics.takeSession(Duration.ofSeconds(10));
    }

    @Test
    void socks5_passwordAndTokenLogins_exactBytesInAccessLogAndUsage() throws Exception {
        NewCredentials alice = join(proxy.users().create("alice", Limits.NONE));
        Instant before = Instant.now();

        SessionSummary first = tunnel("alice", alice.password(), TestBytes.random(100_000, 1));
        SessionSummary second = tunnel("alice", alice.token(), TestBytes.random(70_001, 2));

        // Written by the periodic flush, without any explicit flush call.
        await().atMost(Duration.ofSeconds(20)).until(() ->
                TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log WHERE user_name = 'alice'") == 2);
        List<List<Object>> rows = TestDatabase.query(ds, """
                SELECT session_id, bytes_up, bytes_down, outcome, protocol, command, target_host, target_port,
                       host(client_address), client_port
                FROM sallyport_access_log WHERE user_name = 'alice' ORDER BY started_at, session_id""");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0)).containsExactly(first.id(), 100_000L, 100_000L, "OK", "socks5", "CONNECT",
                first.targetHost(), echo.port(), "127.0.0.1", first.client().getPort());
        assertThat(rows.get(1)).containsExactly(second.id(), 70_001L, 70_001L, "OK", "socks5", "CONNECT",
                second.targetHost(), echo.port(), "127.0.0.1", second.client().getPort());

        assertThat(TestDatabase.query(ds, """
                SELECT sum(bytes_up), sum(bytes_down), sum(sessions) FROM sallyport_usage_hourly
                WHERE user_name = 'alice'""").get(0)).containsExactly(
                java.math.BigDecimal.valueOf(170_001), java.math.BigDecimal.valueOf(170_001),
                java.math.BigDecimal.valueOf(2));

        // The operator queries see the same figures.
        Instant after = Instant.now().plusSeconds(1);
        assertThat(join(store.usage(before, after))).containsExactly(new JdbcStore.Usage("alice", 170_001, 170_001, 2));
        List<JdbcStore.SessionRecord> recent = join(store.recentSessions("alice", 10));
        assertThat(recent).extracting(JdbcStore.SessionRecord::bytesUp).containsExactly(70_001L, 100_000L);
        assertThat(recent.get(0).protocol()).isEqualTo(Protocol.SOCKS5);
        assertThat(recent.get(0).outcome()).isEqualTo(Outcome.OK);
        assertThat(recent.get(0).clientAddress()).isEqualTo("127.0.0.1");
    }

    @Test
    void socks5_hostileUserNameAndPassword_logInAndAreLoggedVerbatim() throws Exception {
        String name = "o'brien\"; DROP TABLE sallyport_access_log; -- 名前-ñ-😀";
        String password = "p'; DELETE FROM sallyport_users; -- ß\"\\" + "x".repeat(200);
        join(proxy.users().create(name, password, Limits.NONE));

        SessionSummary summary = tunnel(name, password, TestBytes.random(4096, 3));
        assertThat(summary.user()).isEqualTo(name);

        assertThat(store.flush().toCompletableFuture().get()).isTrue();
        assertThat(join(store.recentSessions(name, 5))).singleElement().satisfies(s -> {
            assertThat(s.user()).isEqualTo(name);
            assertThat(s.bytesUp()).isEqualTo(4096);
        });
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_users")).isEqualTo(1);
    }

    @Test
    void socks5_wrongPassword_refusedWithStatusFailure() throws Exception {
        join(proxy.users().create("bob", "right", Limits.NONE));
        try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.login("bob", "wrong")).isNotZero();
            assertThat(client.closedByPeer()).isTrue();
        }
        try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.login("nobody", "right")).isNotZero();
        }
    }

    @Test
    void disableThroughUsers_evictsTheCachedLogin_nextLoginRefused() throws Exception {
        NewCredentials carol = join(proxy.users().create("carol", Limits.NONE));
        tunnel("carol", carol.password(), TestBytes.random(10, 4));

        join(proxy.users().enable("carol", false));

        try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.login("carol", carol.password())).isNotZero();
        }
    }
}
