package dev.sallyport.auth.jdbc;

import dev.sallyport.api.Command;
import dev.sallyport.api.Limits;
import dev.sallyport.api.LiveSession;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.TestBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.sql.DataSource;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.sallyport.auth.jdbc.JdbcUserStoreTest.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Open sessions' bytes reach the hourly usage while they run, in the hour they happen, never twice. */
@Timeout(120)
class LiveUsageTest {

    private static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
    private static final AtomicLong IDS = new AtomicLong(1L << 41);

    private static LiveSession open(long id, String user, Instant started, long up, long down) {
        return new LiveSession(id, Protocol.SOCKS5, Command.CONNECT, CLIENT, new InetSocketAddress(CLIENT.getAddress(), 1080),
                user, "t.test", 443, null, "direct", started, up, down);
    }

    private static List<List<Object>> hours(DataSource ds, String user) {
        return TestDatabase.query(ds, "SELECT to_char(hour AT TIME ZONE 'UTC', 'HH24:MI'), bytes_up, bytes_down, sessions "
                + "FROM sallyport_usage_hourly WHERE user_name = '" + user + "' ORDER BY hour");
    }

    @Test
    void progressAcrossAnHour_countsInBothHours_summaryAddsOnlyTheRemainder_repeatsAddNothing() throws Exception {
        DataSource ds = TestDatabase.fresh();
        Instant started = Instant.parse("2031-03-01T10:58:00Z");
        AtomicReference<Instant> clock = new AtomicReference<>(Instant.parse("2031-03-01T10:59:30Z"));
        try (JdbcStore store = JdbcStore.builder(ds).flushInterval(Duration.ofMillis(20)).maxBackoff(Duration.ofMillis(40))
                .accountingClock(clock::get).build()) {
            AccountingSink sink = (AccountingSink) store.accounting();
            long id = IDS.incrementAndGet();

            sink.sessionProgress(open(id, "ann", started, 100, 1000));
            await().until(() -> hours(ds, "ann").equals(List.of(List.of("10:00", 100L, 1000L, 0L))));

            clock.set(Instant.parse("2031-03-01T11:00:30Z"));
            sink.sessionProgress(open(id, "ann", started, 250, 2500));
            await().until(() -> hours(ds, "ann").size() == 2);
            // The same totals again, as after a write whose answer was lost: nothing more.
            sink.sessionProgress(open(id, "ann", started, 250, 2500));
            join(store.flush());

            sink.sessionClosed(new SessionSummary(id, "ann", CLIENT, Protocol.SOCKS5, Command.CONNECT, "t.test", 443,
                    300, 3000, started, Duration.ofMinutes(4), Outcome.OK, null));
            await().until(() -> store.writtenRecords() == 1);
            // A late repeat of the summary (a replayed spool): nothing twice.
            sink.write(List.of(new SessionSummary(id, "ann", CLIENT, Protocol.SOCKS5, Command.CONNECT, "t.test", 443,
                    300, 3000, started, Duration.ofMinutes(4), Outcome.OK, null)));
        }
        assertThat(hours(ds, "ann")).containsExactly(
                List.of("10:00", 100L, 1000L, 1L),
                List.of("11:00", 200L, 2000L, 0L));
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_usage_progress")).isZero();
    }

    @Test
    void progressOfAStoppedInstance_untouchedForAWeek_isForgotten_liveOnesStay() throws Exception {
        DataSource ds = TestDatabase.fresh();
        JdbcStore.builder(ds).build().close(); // creates the schema
        try (java.sql.Connection c = ds.getConnection()) {
            c.createStatement().executeUpdate("INSERT INTO sallyport_usage_progress VALUES "
                    + "('00000000-0000-0000-0000-000000000001', 1, 10, 10, now() - INTERVAL '8 days'), "
                    + "('00000000-0000-0000-0000-000000000001', 2, 10, 10, now() - INTERVAL '6 days'), "
                    + "('00000000-0000-0000-0000-000000000002', 3, 10, 10, now())");
        }
        try (JdbcStore store = JdbcStore.builder(ds).build()) {
            store.accounting();
            await().until(() -> TestDatabase.count(ds, "SELECT count(*) FROM sallyport_usage_progress") == 2);
        }
        assertThat(TestDatabase.query(ds, "SELECT session_id FROM sallyport_usage_progress ORDER BY 1"))
                .containsExactly(List.of(2L), List.of(3L));
    }

    @Test
    void sessionWithoutProgress_isCountedInTheHourItStarted_asBefore() throws Exception {
        DataSource ds = TestDatabase.fresh();
        try (JdbcStore store = JdbcStore.create(ds)) {
            AccountingSink sink = (AccountingSink) store.accounting();
            sink.write(List.of(AccountingTest.session("bo", 5, 50, Instant.parse("2031-03-01T10:59:59.900Z"), "x.test")));
        }
        assertThat(hours(ds, "bo")).containsExactly(List.of("10:00", 5L, 50L, 1L));
    }

    @Test
    void longTunnelThroughTheProxy_isAccountedWhileOpen_eachMinuteOfTheTicker_intoTheHourItHappens() throws Exception {
        DataSource ds = TestDatabase.fresh();
        AtomicLong ticker = new AtomicLong();
        AtomicReference<Instant> clock = new AtomicReference<>(Instant.parse("2031-03-01T10:59:00Z"));
        try (TcpServer echo = TcpServer.echo();
             JdbcStore store = JdbcStore.builder(ds).flushInterval(Duration.ofMillis(20)).maxBackoff(Duration.ofMillis(40))
                     .accountingClock(clock::get).build()) {
            NewCredentials cid = join(store.create("cid", Limits.NONE));
            try (ProxyManager proxy = ProxyManager.builder().socks5(0).ticker(ticker::get).auth(store)
                    .metrics(store.accounting()).start();
                 Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.login("cid", cid.password())).isZero();
                assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
                byte[] first = TestBytes.random(1000, 1);
                client.send(first);
                assertThat(client.read(first.length)).isEqualTo(first);
                assertThat(proxy.sessions()).singleElement().satisfies(s -> assertThat(s.user()).isEqualTo("cid"));

                ticker.addAndGet(Duration.ofSeconds(61).toNanos());
                await().until(() -> hours(ds, "cid").equals(List.of(List.of("10:00", 1000L, 1000L, 0L))));

                clock.set(Instant.parse("2031-03-01T11:00:05Z"));
                byte[] second = TestBytes.random(500, 2);
                client.send(second);
                assertThat(client.read(second.length)).isEqualTo(second);
                ticker.addAndGet(Duration.ofSeconds(61).toNanos());
                await().until(() -> hours(ds, "cid").size() == 2);
                assertThat(hours(ds, "cid")).containsExactly(List.of("10:00", 1000L, 1000L, 0L),
                        List.of("11:00", 500L, 500L, 0L));
            }
            await().until(() -> store.writtenRecords() == 1);
        }
        // Closed: the session counts once, in the (real) hour it started; its bytes exactly once in all.
        assertThat(TestDatabase.query(ds, "SELECT sum(bytes_up)::bigint, sum(bytes_down)::bigint, sum(sessions)::bigint "
                + "FROM sallyport_usage_hourly WHERE user_name = 'cid'").get(0)).containsExactly(1500L, 1500L, 1L);
    }
}
