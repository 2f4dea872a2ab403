package dev.sallyport.auth.jdbc;

import dev.sallyport.api.Command;
import dev.sallyport.api.Limits;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static dev.sallyport.auth.jdbc.JdbcUserStoreTest.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Rows of sessions that never authenticated (sampled or skipped), and failed logins with the user name tried. */
@Timeout(120)
class UnauthenticatedRowsTest {

    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    private static final AtomicLong IDS = new AtomicLong(1L << 41);
    private static final Instant NOW = Instant.now();

    private static SessionSummary summary(String user, Command command, Outcome outcome, String tried) {
        return new SessionSummary(IDS.incrementAndGet(), user, new InetSocketAddress(InetAddress.getLoopbackAddress(), 4000),
                Protocol.SOCKS5, command, command == null ? null : "t.test", command == null ? 0 : 443, 0, 0, NOW,
                Duration.ofMillis(1), outcome, null, tried);
    }

    /** 3000 never-authenticated sessions, 7 failed logins without a request, 5 sessions of a user; returns rows by kind. */
    private static List<List<Object>> feed(int oneIn) throws Exception {
        DataSource ds = TestDatabase.fresh();
        try (JdbcStore store = JdbcStore.builder(ds).logUnauthenticated(oneIn).build()) {
            AccountingSink sink = (AccountingSink) store.accounting();
            for (int i = 0; i < 3000; i++) {
                sink.sessionClosed(summary(null, null, i % 2 == 0 ? Outcome.CLIENT_CLOSED : Outcome.PROTOCOL_ERROR, null));
            }
            for (int i = 0; i < 7; i++) {
                sink.sessionClosed(summary(null, null, Outcome.AUTH_FAILED, "guess" + i));
            }
            for (int i = 0; i < 5; i++) {
                sink.sessionClosed(summary("alice", Command.CONNECT, Outcome.OK, null));
            }
            assertThat(join(store.flush())).isTrue();
            assertThat(sink.sampling.skipped()).isEqualTo(3000 - (oneIn == 0 ? 0 : 3000 / oneIn));
            assertThat(store.droppedRecords()).isZero();
            return TestDatabase.query(ds, "SELECT CASE WHEN user_name IS NULL AND command IS NULL AND outcome <> 'AUTH_FAILED' "
                    + "THEN 'NEVER_AUTHENTICATED' ELSE outcome END, count(*) FROM sallyport_access_log GROUP BY 1 ORDER BY 1");
        }
    }

    @Test
    void logUnauthenticated_oneInTen_keepsExactlyATenthOfThem_andEveryFailedLoginAndSession() throws Exception {
        assertThat(feed(10)).containsExactly(List.of("AUTH_FAILED", 7L), List.of("NEVER_AUTHENTICATED", 300L),
                List.of("OK", 5L));
    }

    @Test
    void logUnauthenticated_none_skipsThemAll_butKeepsFailedLogins() throws Exception {
        assertThat(feed(0)).containsExactly(List.of("AUTH_FAILED", 7L), List.of("OK", 5L));
    }

    @Test
    void logUnauthenticated_default_keepsThemAll() throws Exception {
        assertThat(feed(1)).containsExactly(List.of("AUTH_FAILED", 7L), List.of("NEVER_AUTHENTICATED", 3000L),
                List.of("OK", 5L));
    }

    @Test
    void logUnauthenticated_negative_isRefused() {
        assertThatThrownBy(() -> JdbcStore.builder(TestDatabase.fresh()).logUnauthenticated(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("logUnauthenticated: -1 (expected: 0 for none, 1 for all, N for one in N)");
    }

    @Test
    void connectAndClose_throughARealProxy_oneInFour_writesExactlyAQuarter() throws Exception {
        DataSource ds = TestDatabase.fresh();
        SessionRecorder recorder = new SessionRecorder();
        try (JdbcStore store = JdbcStore.builder(ds).logUnauthenticated(4).build();
             ProxyManager proxy = ProxyManager.builder().socks5(0).auth(store).metrics(store.accounting())
                     .metrics(recorder).start()) {
            for (int i = 0; i < 40; i++) {
                new Socket(proxy.address("socks5").getAddress(), proxy.address("socks5").getPort()).close();
            }
            for (int i = 0; i < 40; i++) {
                recorder.takeSession(Duration.ofSeconds(10));
            }
            assertThat(join(store.flush())).isTrue();
            assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log")).isEqualTo(10);
        }
    }

    @Test
    void failedLogins_recordTheUserNameTried_boundedAndWithoutTheSecret() throws Exception {
        DataSource ds = TestDatabase.fresh();
        SessionRecorder recorder = new SessionRecorder();
        try (JdbcStore store = JdbcStore.builder(ds).logUnauthenticated(0).build();
             ProxyManager proxy = ProxyManager.builder().socks5(0).http(0).auth(store).metrics(store.accounting())
                     .metrics(recorder).start()) {
            join(proxy.users().create("bob", "right-password", Limits.NONE));
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.login("bob", "wrong-password-1")).isNotZero();
            }
            assertThat(recorder.takeSession(Duration.ofSeconds(10)).triedUser()).isEqualTo("bob");
            String longName = "\u0001evil\n" + "n".repeat(200);
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.login(longName, "wrong-password-2")).isNotZero();
            }
            recorder.takeSession(Duration.ofSeconds(10));
            try (RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
                assertThat(client.connect("127.0.0.1:" + echo.port(),
                        RawHttpClient.proxyAuthorization("carol", "wrong-password-3")).status())
                        .isEqualTo(407);
            }
            recorder.takeSession(Duration.ofSeconds(10));
            try (RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
                assertThat(client.connect("127.0.0.1:" + echo.port(), "Proxy-Authorization: Bearer wrong-token-4").status())
                        .isEqualTo(407);
            }
            recorder.takeSession(Duration.ofSeconds(10));
            assertThat(join(store.flush())).isTrue();

            List<List<Object>> rows = TestDatabase.query(ds, "SELECT protocol, outcome, user_name, tried_user "
                    + "FROM sallyport_access_log ORDER BY started_at, session_id");
            String bounded = "\uFFFDevil\uFFFD" + "n".repeat(64 - 6);
            assertThat(rows).containsExactly(
                    java.util.Arrays.asList("socks5", "AUTH_FAILED", null, "bob"),
                    java.util.Arrays.asList("socks5", "AUTH_FAILED", null, bounded),
                    java.util.Arrays.asList("http", "AUTH_FAILED", null, "carol"),
                    java.util.Arrays.asList("http", "AUTH_FAILED", null, null));
            assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log t "
                    + "WHERE t::text LIKE '%wrong-%'")).isZero();
            // A tried name is not a user: no usage row for it.
            assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_usage_hourly")).isZero();
        }
    }

    @Test
    void sessionSummary_triedUser_isCutAt64CharsWithoutSplittingASurrogatePair() {
        String name = "a".repeat(63) + "\uD83D\uDE00" + "b";
        assertThat(summary(null, null, Outcome.AUTH_FAILED, name).triedUser()).isEqualTo("a".repeat(63));
        String plain = "x".repeat(64);
        assertThat(summary(null, null, Outcome.AUTH_FAILED, plain).triedUser()).isSameAs(plain);
        assertThat(summary(null, null, Outcome.AUTH_FAILED, null).triedUser()).isNull();
    }

    @Test
    void successfulSessions_haveNoTriedUser() throws Exception {
        DataSource ds = TestDatabase.fresh();
        SessionRecorder recorder = new SessionRecorder();
        try (JdbcStore store = JdbcStore.create(ds);
             ProxyManager proxy = ProxyManager.builder().socks5(0).auth(store).metrics(recorder).start()) {
            join(proxy.users().create("dave", "pw-dave", Limits.NONE));
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.login("dave", "pw-dave")).isZero();
                assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
            }
            SessionSummary ok = recorder.takeSession(Duration.ofSeconds(10));
            assertThat(ok.outcome()).isEqualTo(Outcome.OK);
            assertThat(ok.triedUser()).isNull();
        }
    }
}
